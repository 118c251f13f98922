/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <stddef.h>

#include "conf/conf-keys.h"
#include "conf/conf-principals.h"
#include "conf/conf-secret.h"
#include "conf/conf-settings.h"
#include "conf/conf-url.h"
#include "conf/conf-values.h"
#include "util/account-name.h"

#define CONF_ACCOUNTS_MAX 256
#define CLIENT_ID_LENGTH_MAX 255
#define REFRESH_MARGIN_MAX 86400

#define DAEMON(field) .offset = offsetof(conf, field)
#define ACCOUNT(field) .offset = offsetof(conf_account, field)

/* Keys are looked up in order: each name once per section. */
static const conf_key keys[] = {
        { "state_dir", SECTION_DAEMON, conf_parse_path, DAEMON(state_dir) },
        { "socket", SECTION_DAEMON, conf_parse_socket_path, DAEMON(socket) },
        { "socket_mode", SECTION_DAEMON, conf_parse_mode, DAEMON(socket_mode) },
        { "admins", SECTION_DAEMON, conf_parse_principals, DAEMON(admins) },
        { "metrics_users", SECTION_DAEMON, conf_parse_principals, DAEMON(metrics_users) },
        { "log_level", SECTION_DAEMON, conf_parse_log_level, DAEMON(log_level) },
        { "refresh_max_in_flight", SECTION_DAEMON, conf_parse_unsigned, DAEMON(refresh_max_in_flight),
          .min = 1, .max = REFRESH_MAX_IN_FLIGHT_MAX },

        { "issuer", SECTION_ACCOUNT, conf_parse_base_url, ACCOUNT(issuer) },
        { "client_id", SECTION_ACCOUNT, conf_parse_text, ACCOUNT(client_id),
          .min = 1, .max = CLIENT_ID_LENGTH_MAX },
        { "client_secret", SECTION_ACCOUNT, conf_parse_secret, ACCOUNT(client_secret) },
        { "client_secret_file", SECTION_ACCOUNT, conf_parse_secret_file, ACCOUNT(client_secret),
          .name_offset = offsetof(conf_account, client_secret_file) },
        { "client_auth", SECTION_ACCOUNT, conf_parse_client_auth, ACCOUNT(client_auth) },
        { "scope", SECTION_ACCOUNT, conf_parse_scope, ACCOUNT(scope) },
        { "userinfo_url", SECTION_ACCOUNT, conf_parse_url, ACCOUNT(userinfo_url) },
        { "allowed_tenants", SECTION_ACCOUNT, conf_parse_tenants, ACCOUNT(allowed_tenants) },
        { "users", SECTION_ACCOUNT, conf_parse_principals, ACCOUNT(users) },
        { "sessions", SECTION_ACCOUNT, conf_parse_sessions, ACCOUNT(sessions) },
        { "end_with_logout", SECTION_ACCOUNT, conf_parse_bool, ACCOUNT(end_with_logout) },
        { "refresh_margin", SECTION_ACCOUNT, conf_parse_seconds, ACCOUNT(refresh_margin),
          .min = 0, .max = REFRESH_MARGIN_MAX },
        { "api_base", SECTION_ACCOUNT, conf_parse_base_url, ACCOUNT(api_base) },
        { "authorization_endpoint", SECTION_ACCOUNT, conf_parse_url, ACCOUNT(authorization_endpoint) },
        { "token_endpoint", SECTION_ACCOUNT, conf_parse_url, ACCOUNT(token_endpoint) },
        { "device_authorization_endpoint", SECTION_ACCOUNT, conf_parse_url,
          ACCOUNT(device_authorization_endpoint) },
        { "revocation_endpoint", SECTION_ACCOUNT, conf_parse_url, ACCOUNT(revocation_endpoint) },
        { "api_max_concurrent", SECTION_ACCOUNT, conf_parse_unsigned, ACCOUNT(api_max_concurrent),
          .min = 1, .max = API_MAX_CONCURRENT_MAX },
        { "api_queue_max", SECTION_ACCOUNT, conf_parse_unsigned, ACCOUNT(api_queue_max),
          .min = 0, .max = API_QUEUE_MAX_MAX },
        { "api_wait", SECTION_ACCOUNT, conf_parse_unsigned, ACCOUNT(api_wait),
          .min = 0, .max = API_WAIT_MAX },
        { "api_body_max", SECTION_ACCOUNT, conf_parse_unsigned, ACCOUNT(api_body_max),
          .min = 0, .max = API_BODY_MAX_MAX },
};

static int account_section_begin(conf_parse_ctx *ctx, conf *c, const char *name, conf_section *s) {
        _cleanup_(conf_account_freep) conf_account *a = NULL;
        const conf_account *prev;

        if (isempty(name)) {
                conf_parse_error(ctx, ctx->line, "account section needs a name: [account NAME]");
                return -EINVAL;
        }
        if (!account_name_is_storable(name)) {
                conf_parse_error(ctx, ctx->line,
                                 "invalid account name \"%s\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")",
                                 name);
                return -EINVAL;
        }
        prev = conf_find_account(c, name);
        if (prev) {
                conf_parse_error(ctx, ctx->line, "duplicate account \"%s\" (first defined at %s:%u)",
                                 name, prev->file, prev->line);
                return -EINVAL;
        }
        if (c->n_accounts >= CONF_ACCOUNTS_MAX) {
                conf_parse_error(ctx, ctx->line, "too many accounts (at most %u)", CONF_ACCOUNTS_MAX);
                return -EINVAL;
        }
        if (conf_account_new(name, ctx->path, ctx->line, &a) < 0 || conf_add_account(c, a) < 0)
                return conf_parse_oom(ctx);

        s->id = SECTION_ACCOUNT;
        s->object = TAKE_PTR(a);
        (void) snprintf(s->label, sizeof s->label, "account %s", name);
        return 0;
}

static int section_begin(conf_parse_ctx *ctx, void *userdata, const char *name, conf_section *s) {
        conf *c = userdata;
        const char *rest;

        if (streq(name, "daemon")) {
                s->id = SECTION_DAEMON;
                s->object = c;
                strcpy(s->label, "daemon");
                return 0;
        }

        rest = startswith(name, "account");
        if (rest && (*rest == '\0' || isblank((unsigned char) *rest))) {
                while (isblank((unsigned char) *rest))
                        rest++;
                return account_section_begin(ctx, c, rest, s);
        }

        conf_parse_error(ctx, ctx->line, "unknown section [%s]", name);
        return -EINVAL;
}

static void section_end(conf_parse_ctx *ctx, void *userdata, const conf_section *s) {
        const conf_account *a = s->object;
        bool inline_secret, file_secret;

        (void) userdata;
        if (s->id != SECTION_ACCOUNT)
                return;

        inline_secret = conf_section_key_line(&conf_keys_schema, s, "client_secret") > 0;
        file_secret = conf_section_key_line(&conf_keys_schema, s, "client_secret_file") > 0;
        if (conf_section_key_line(&conf_keys_schema, s, "client_id") == 0)
                conf_parse_error(ctx, s->line, "[account %s]: client_id is required", a->name);
        if (inline_secret && file_secret)
                conf_parse_error(ctx, s->line,
                                 "[account %s]: set only one of client_secret and client_secret_file", a->name);
        else if (!inline_secret && !file_secret)
                conf_parse_error(ctx, s->line,
                                 "[account %s]: client_secret or client_secret_file is required", a->name);
        if (a->sessions != SESSIONS_PER_USER && conf_section_key_line(&conf_keys_schema, s, "end_with_logout") > 0)
                conf_parse_error(ctx, conf_section_key_line(&conf_keys_schema, s, "end_with_logout"),
                                 "[account %s]: end_with_logout needs sessions = per-user", a->name);
}

const conf_schema conf_keys_schema = {
        .keys = keys,
        .n_keys = ELEMENTSOF(keys),
        .section_begin = section_begin,
        .section_end = section_end,
};
