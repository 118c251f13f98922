/* SPDX-License-Identifier: MIT */
#include <ctype.h>

#include "conf/conf-keys.h"
#include "conf/conf-loader.h"
#include "conf/conf-principals.h"
#include "conf/conf-secret.h"
#include "conf/conf-values.h"
#include "util/log.h"
#include "util/secret.h"

#define CONF_ACCOUNTS_MAX 256
#define CLIENT_ID_LENGTH_MAX 255

#define DEFAULT_ISSUER "https://account.gipo.it"
#define DEFAULT_SCOPE "openid offline_access giponext.patients giponext.agenda"
#define DEFAULT_USERINFO_URL "https://api.giponext.it/v2/userinfo"
#define DEFAULT_API_BASE "https://api.giponext.it"
#define DEFAULT_REFRESH_MARGIN 60

static const struct {
        const char *name;
        section_kind section;
} key_table[_KEY_MAX] = {
        [KEY_STATE_DIR]                     = { "state_dir", SECTION_DAEMON },
        [KEY_SOCKET]                        = { "socket", SECTION_DAEMON },
        [KEY_SOCKET_MODE]                   = { "socket_mode", SECTION_DAEMON },
        [KEY_ADMINS]                        = { "admins", SECTION_DAEMON },
        [KEY_LOG_LEVEL]                     = { "log_level", SECTION_DAEMON },
        [KEY_ISSUER]                        = { "issuer", SECTION_ACCOUNT },
        [KEY_CLIENT_ID]                     = { "client_id", SECTION_ACCOUNT },
        [KEY_CLIENT_SECRET]                 = { "client_secret", SECTION_ACCOUNT },
        [KEY_CLIENT_SECRET_FILE]            = { "client_secret_file", SECTION_ACCOUNT },
        [KEY_CLIENT_AUTH]                   = { "client_auth", SECTION_ACCOUNT },
        [KEY_SCOPE]                         = { "scope", SECTION_ACCOUNT },
        [KEY_USERINFO_URL]                  = { "userinfo_url", SECTION_ACCOUNT },
        [KEY_ALLOWED_TENANTS]               = { "allowed_tenants", SECTION_ACCOUNT },
        [KEY_USERS]                         = { "users", SECTION_ACCOUNT },
        [KEY_REFRESH_MARGIN]                = { "refresh_margin", SECTION_ACCOUNT },
        [KEY_API_BASE]                      = { "api_base", SECTION_ACCOUNT },
        [KEY_AUTHORIZATION_ENDPOINT]        = { "authorization_endpoint", SECTION_ACCOUNT },
        [KEY_TOKEN_ENDPOINT]                = { "token_endpoint", SECTION_ACCOUNT },
        [KEY_DEVICE_AUTHORIZATION_ENDPOINT] = { "device_authorization_endpoint", SECTION_ACCOUNT },
        [KEY_REVOCATION_ENDPOINT]           = { "revocation_endpoint", SECTION_ACCOUNT },
        [KEY_API_MAX_CONCURRENT]            = { "api_max_concurrent", SECTION_ACCOUNT },
        [KEY_API_QUEUE_MAX]                 = { "api_queue_max", SECTION_ACCOUNT },
        [KEY_API_WAIT]                      = { "api_wait", SECTION_ACCOUNT },
        [KEY_API_BODY_MAX]                  = { "api_body_max", SECTION_ACCOUNT },
};

conf_account *conf_account_free(conf_account *a) {
        if (!a)
                return NULL;
        free(a->name);
        free(a->issuer);
        free(a->client_id);
        secret_free(a->client_secret);
        free(a->client_secret_file);
        free(a->scope);
        free(a->userinfo_url);
        strv_free(a->allowed_tenants);
        principal_list_done(&a->users);
        free(a->api_base);
        free(a->authorization_endpoint);
        free(a->token_endpoint);
        free(a->device_authorization_endpoint);
        free(a->revocation_endpoint);
        free(a->file);
        free(a);
        return NULL;
}

static int apply_key(loader *l, key_id k, const char *value) {
        conf *c = l->conf;
        conf_account *a = l->account;
        int r;

        switch (k) {
        case KEY_STATE_DIR:
                r = conf_parse_absolute_path(l, "state_dir", value, &c->state_dir);
                if (r >= 0)
                        l->state_dir_from_env = false;
                return r;
        case KEY_SOCKET:
                if (value[0] == '/' && strlen(value) >= SUN_PATH_SIZE) {
                        conf_loader_error(l, l->line, "socket: path is longer than %zu bytes",
                                          SUN_PATH_SIZE - 1);
                        return -EINVAL;
                }
                r = conf_parse_absolute_path(l, "socket", value, &c->socket);
                if (r >= 0)
                        l->socket_from_env = false;
                return r;
        case KEY_SOCKET_MODE:
                return conf_parse_socket_mode(l, value, &c->socket_mode);
        case KEY_ADMINS:
                return conf_parse_principals(l, "admins", value, &c->admins);
        case KEY_LOG_LEVEL:
                r = log_level_from_string(value);
                if (r < 0) {
                        conf_loader_error(l, l->line,
                                          "log_level: \"%s\" is not one of debug, info, notice, warning, error", value);
                        return -EINVAL;
                }
                c->log_level = r;
                return 0;
        case KEY_ISSUER:
                return conf_parse_url(l, "issuer", value, false, &a->issuer);
        case KEY_CLIENT_ID:
                if (isempty(value) || strlen(value) > CLIENT_ID_LENGTH_MAX || !conf_is_printable_ascii(value, true)) {
                        conf_loader_error(l, l->line, "client_id: must be 1-%u printable ASCII characters",
                                          CLIENT_ID_LENGTH_MAX);
                        return -EINVAL;
                }
                return conf_set_string(l, &a->client_id, value);
        case KEY_CLIENT_SECRET:
                return conf_parse_client_secret(l, value, a);
        case KEY_CLIENT_SECRET_FILE:
                return conf_parse_client_secret_file(l, value, a);
        case KEY_CLIENT_AUTH:
                if (client_auth_from_string(value, &a->client_auth) < 0) {
                        conf_loader_error(l, l->line, "client_auth: \"%s\" is not one of basic, post", value);
                        return -EINVAL;
                }
                return 0;
        case KEY_SCOPE:
                return conf_parse_scope(l, value, &a->scope);
        case KEY_USERINFO_URL:
                return conf_parse_url(l, "userinfo_url", value, true, &a->userinfo_url);
        case KEY_ALLOWED_TENANTS:
                return conf_parse_tenants(l, value, &a->allowed_tenants);
        case KEY_USERS:
                return conf_parse_principals(l, "users", value, &a->users);
        case KEY_REFRESH_MARGIN:
                return conf_parse_refresh_margin(l, value, &a->refresh_margin);
        case KEY_API_MAX_CONCURRENT:
                return conf_parse_unsigned(l, "api_max_concurrent", value, 1, API_MAX_CONCURRENT_MAX,
                                           &a->api_max_concurrent);
        case KEY_API_QUEUE_MAX:
                return conf_parse_unsigned(l, "api_queue_max", value, 0, API_QUEUE_MAX_MAX, &a->api_queue_max);
        case KEY_API_WAIT:
                return conf_parse_unsigned(l, "api_wait", value, 0, API_WAIT_MAX, &a->api_wait);
        case KEY_API_BODY_MAX:
                return conf_parse_unsigned(l, "api_body_max", value, 0, API_BODY_MAX_MAX, &a->api_body_max);
        case KEY_API_BASE:
                return conf_parse_url(l, "api_base", value, false, &a->api_base);
        case KEY_AUTHORIZATION_ENDPOINT:
                return conf_parse_url(l, "authorization_endpoint", value, true, &a->authorization_endpoint);
        case KEY_TOKEN_ENDPOINT:
                return conf_parse_url(l, "token_endpoint", value, true, &a->token_endpoint);
        case KEY_DEVICE_AUTHORIZATION_ENDPOINT:
                return conf_parse_url(l, "device_authorization_endpoint", value, true,
                                      &a->device_authorization_endpoint);
        case KEY_REVOCATION_ENDPOINT:
                return conf_parse_url(l, "revocation_endpoint", value, true, &a->revocation_endpoint);
        case _KEY_MAX:
                break;
        }
        return -EINVAL;
}

int conf_handle_key(void *userdata, const char *section, const char *name, const char *value) {
        loader *l = userdata;
        key_id k;

        /* inih's own section name is cut at 49 bytes, shorter than
         * "account " plus a 64-byte name: the reader tracks sections. */
        (void) section;

        l->handler_called = true;
        if (l->full || l->oom)
                return 1;

        switch (l->section) {
        case SECTION_NONE:
                conf_loader_error(l, l->line, "key \"%s\" outside of any section", name);
                return 1;
        case SECTION_IGNORE:
                return 1;
        case SECTION_DAEMON:
        case SECTION_ACCOUNT:
                break;
        }

        for (k = 0; k < _KEY_MAX; k++)
                if (key_table[k].section == l->section && streq(key_table[k].name, name))
                        break;
        if (k == _KEY_MAX) {
                conf_loader_error(l, l->line, "unknown key \"%s\" in [%s]", name, l->section_label);
                return 1;
        }
        if (l->key_line[k] > 0) {
                conf_loader_error(l, l->line, "\"%s\" is already set in this section at line %u",
                                  name, l->key_line[k]);
                return 1;
        }
        l->key_line[k] = l->line;

        (void) apply_key(l, k, value);
        /* Errors are collected, never returned to inih: it would keep only
         * the first line number. */
        return 1;
}

/* ---- sections ---- */

void conf_section_end(loader *l) {
        conf_account *a = l->account;

        if (l->section == SECTION_ACCOUNT && a && !l->full && !l->oom) {
                bool inline_secret = l->key_line[KEY_CLIENT_SECRET] > 0,
                        file_secret = l->key_line[KEY_CLIENT_SECRET_FILE] > 0;

                if (l->key_line[KEY_CLIENT_ID] == 0)
                        conf_loader_error(l, l->section_line, "[account %s]: client_id is required", a->name);
                if (inline_secret && file_secret)
                        conf_loader_error(l, l->section_line,
                                          "[account %s]: set only one of client_secret and client_secret_file", a->name);
                else if (!inline_secret && !file_secret)
                        conf_loader_error(l, l->section_line,
                                          "[account %s]: client_secret or client_secret_file is required", a->name);
        }

        l->section = SECTION_NONE;
        l->account = NULL;
        l->section_label[0] = '\0';
        memset(l->key_line, 0, sizeof l->key_line);
}

static int account_new(loader *l, const char *name, conf_account **ret) {
        _cleanup_(conf_account_freep) conf_account *a = NULL;
        conf_account **n;

        a = calloc(1, sizeof(conf_account));
        if (!a)
                return -ENOMEM;
        *a = (conf_account) {
                .name = strdup(name),
                .issuer = strdup(DEFAULT_ISSUER),
                .client_auth = CLIENT_AUTH_BASIC,
                .scope = strdup(DEFAULT_SCOPE),
                .userinfo_url = strdup(DEFAULT_USERINFO_URL),
                .users.text = strdup(""),
                .refresh_margin = DEFAULT_REFRESH_MARGIN,
                .api_max_concurrent = DEFAULT_API_MAX_CONCURRENT,
                .api_queue_max = DEFAULT_API_QUEUE_MAX,
                .api_wait = DEFAULT_API_WAIT,
                .api_body_max = DEFAULT_API_BODY_MAX,
                .api_base = strdup(DEFAULT_API_BASE),
                .file = strdup(l->path),
                .line = l->line,
        };
        if (!a->name || !a->issuer || !a->scope || !a->userinfo_url || !a->users.text ||
            !a->api_base || !a->file)
                return -ENOMEM;

        n = realloc(l->conf->accounts, (l->conf->n_accounts + 1) * sizeof(conf_account *));
        if (!n)
                return -ENOMEM;
        l->conf->accounts = n;
        n[l->conf->n_accounts++] = a;
        *ret = TAKE_PTR(a);
        return 0;
}

void conf_section_begin(loader *l, const char *header, size_t len) {
        const char *close = memchr(header, ']', len), *p, *end, *after;
        char inner[80];
        size_t n;

        conf_section_end(l);
        l->section = SECTION_IGNORE;
        l->section_line = l->line;

        if (!close) {
                conf_loader_error(l, l->line, "section header lacks \"]\"");
                return;
        }
        for (after = close + 1; after < header + len && isblank((unsigned char) *after); after++)
                ;
        if (after < header + len && *after != ';' && *after != '#') {
                conf_loader_error(l, l->line, "unexpected text after the section header");
                return;
        }

        for (p = header + 1; p < close && isblank((unsigned char) *p); p++)
                ;
        for (end = close; end > p && isblank((unsigned char) end[-1]); end--)
                ;
        n = (size_t) (end - p);
        if (n >= sizeof inner) {
                conf_loader_error(l, l->line, "unknown section [%.*s]", (int) n, p);
                return;
        }
        memcpy(inner, p, n);
        inner[n] = '\0';

        if (streq(inner, "daemon")) {
                l->section = SECTION_DAEMON;
                strcpy(l->section_label, "daemon");
                return;
        }

        if (startswith(inner, "account") && (inner[7] == '\0' || isblank((unsigned char) inner[7]))) {
                const char *name = inner + 7;
                const conf_account *prev;
                conf_account *a;

                while (isblank((unsigned char) *name))
                        name++;
                if (isempty(name)) {
                        conf_loader_error(l, l->line, "account section needs a name: [account NAME]");
                        return;
                }
                if (!account_name_is_storable(name)) {
                        conf_loader_error(l, l->line,
                                          "invalid account name \"%s\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")",
                                          name);
                        return;
                }
                prev = conf_find_account(l->conf, name);
                if (prev) {
                        conf_loader_error(l, l->line, "duplicate account \"%s\" (first defined at %s:%u)",
                                          name, prev->file, prev->line);
                        return;
                }
                if (l->conf->n_accounts >= CONF_ACCOUNTS_MAX) {
                        conf_loader_error(l, l->line, "too many accounts (at most %u)", CONF_ACCOUNTS_MAX);
                        return;
                }
                if (account_new(l, name, &a) < 0) {
                        l->oom = true;
                        return;
                }
                l->section = SECTION_ACCOUNT;
                l->account = a;
                (void) snprintf(l->section_label, sizeof l->section_label, "account %s", name);
                return;
        }

        conf_loader_error(l, l->line, "unknown section [%s]", inner);
}
