/* SPDX-License-Identifier: MIT */
#include <syslog.h>

#include "conf/conf.h"
#include "conf/conf-keys.h"
#include "conf/conf-loader.h"
#include "conf/conf-principals.h"
#include "conf/conf-values.h"
#include "util/log.h"

#define DEFAULT_STATE_DIR "/var/lib/tessera"
#define DEFAULT_SOCKET "/run/tessera/api.sock"
#define DEFAULT_ADMINS "root"

conf *conf_free(conf *c) {
        if (!c)
                return NULL;
        free(c->state_dir);
        free(c->socket);
        principal_list_done(&c->admins);
        for (size_t i = 0; i < c->n_accounts; i++)
                conf_account_free(c->accounts[i]);
        free(c->accounts);
        strv_free(c->files);
        free(c);
        return NULL;
}

const conf_account *conf_find_account(const conf *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_accounts; i++)
                if (streq(c->accounts[i]->name, name))
                        return c->accounts[i];
        return NULL;
}

static bool strv_equal(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

bool conf_account_equal(const conf_account *a, const conf_account *b) {
        if (a == b)
                return true;
        if (!a || !b)
                return false;
        /* Where the section was written does not matter to a session. */
        return streq_ptr(a->name, b->name) &&
                streq_ptr(a->issuer, b->issuer) &&
                streq_ptr(a->client_id, b->client_id) &&
                streq_ptr(a->client_secret, b->client_secret) &&
                streq_ptr(a->client_secret_file, b->client_secret_file) &&
                a->client_auth == b->client_auth &&
                streq_ptr(a->scope, b->scope) &&
                streq_ptr(a->userinfo_url, b->userinfo_url) &&
                strv_equal(a->allowed_tenants, b->allowed_tenants) &&
                principal_list_equal(&a->users, &b->users) &&
                a->refresh_margin == b->refresh_margin &&
                a->api_max_concurrent == b->api_max_concurrent &&
                a->api_queue_max == b->api_queue_max &&
                a->api_wait == b->api_wait &&
                a->api_body_max == b->api_body_max &&
                streq_ptr(a->api_base, b->api_base) &&
                streq_ptr(a->authorization_endpoint, b->authorization_endpoint) &&
                streq_ptr(a->token_endpoint, b->token_endpoint) &&
                streq_ptr(a->device_authorization_endpoint, b->device_authorization_endpoint) &&
                streq_ptr(a->revocation_endpoint, b->revocation_endpoint);
}

static void print_optional_url(FILE *f, const char *key, const char *value) {
        if (value)
                fprintf(f, "%s = %s\n", key, value);
        else
                fprintf(f, "; %s = (from discovery)\n", key);
}

void conf_print(const conf *c, FILE *f) {
        if (!c || !f)
                return;

        fputs("; files read:", f);
        for (char **i = c->files; i && *i; i++)
                fprintf(f, " %s", *i);
        fputs("\n\n", f);

        fprintf(f, "[daemon]\n"
                "state_dir = %s\n"
                "socket = %s\n"
                "socket_mode = %04o\n"
                "admins =%s%s\n"
                "log_level = %s\n",
                c->state_dir, c->socket, (unsigned) c->socket_mode,
                isempty(c->admins.text) ? "" : " ", strempty(c->admins.text),
                strempty(log_level_to_string(c->log_level)));

        for (size_t i = 0; i < c->n_accounts; i++) {
                const conf_account *a = c->accounts[i];

                fprintf(f, "\n; %s:%u\n[account %s]\n", a->file, a->line, a->name);
                fprintf(f, "issuer = %s\n", a->issuer);
                fprintf(f, "client_id = %s\n", a->client_id);
                if (a->client_secret_file)
                        fprintf(f, "client_secret_file = %s\n", a->client_secret_file);
                else
                        fputs("client_secret = (redacted)\n", f);
                fprintf(f, "client_auth = %s\n", client_auth_to_string(a->client_auth));
                fprintf(f, "scope = %s\n", a->scope);
                fprintf(f, "userinfo_url = %s\n", a->userinfo_url);
                fputs("allowed_tenants =", f);
                for (char **t = a->allowed_tenants; t && *t; t++)
                        fprintf(f, " %s", *t);
                fputc('\n', f);
                fprintf(f, "users =%s%s\n", isempty(a->users.text) ? "" : " ", strempty(a->users.text));
                fprintf(f, "refresh_margin = %u\n", a->refresh_margin);
                fprintf(f, "api_max_concurrent = %u\n", a->api_max_concurrent);
                fprintf(f, "api_queue_max = %u\n", a->api_queue_max);
                fprintf(f, "api_wait = %u\n", a->api_wait);
                fprintf(f, "api_body_max = %u\n", a->api_body_max);
                fprintf(f, "api_base = %s\n", a->api_base);
                print_optional_url(f, "authorization_endpoint", a->authorization_endpoint);
                print_optional_url(f, "token_endpoint", a->token_endpoint);
                print_optional_url(f, "device_authorization_endpoint", a->device_authorization_endpoint);
                print_optional_url(f, "revocation_endpoint", a->revocation_endpoint);
        }
}

/* systemd separates several directories with ':'; the first is ours. */
static int first_dir_from_env(const char *name, char **ret) {
        const char *e = getenv(name);

        if (isempty(e)) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(e, strcspn(e, ":"));
        return *ret ? 0 : -ENOMEM;
}

int conf_load(const char *path, conf **ret, char ***errors) {
        _cleanup_(conf_freep) conf *c = NULL;
        _cleanup_(freep) char *state = NULL, *runtime = NULL;
        loader l = {
                .errors = errors,
                .n_errors_stored = errors ? strv_length(*errors) : 0,
                .credentials_dir = getenv("CREDENTIALS_DIRECTORY"),
        };

        if (!path || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(conf));
        if (!c)
                return -ENOMEM;
        l.conf = c;

        if (first_dir_from_env("STATE_DIRECTORY", &state) < 0 ||
            first_dir_from_env("RUNTIME_DIRECTORY", &runtime) < 0)
                return -ENOMEM;
        l.state_dir_from_env = state;
        l.socket_from_env = runtime;
        c->state_dir = strdup(state ?: DEFAULT_STATE_DIR);
        if (runtime) {
                if (asprintf(&c->socket, "%s/api.sock", runtime) < 0)
                        c->socket = NULL;
        } else
                c->socket = strdup(DEFAULT_SOCKET);
        c->socket_mode = 0660;
        c->admins.text = strdup(DEFAULT_ADMINS);
        c->log_level = LOG_INFO;
        if (!c->state_dir || !c->socket || !c->admins.text)
                return -ENOMEM;

        conf_load_file(&l, path);
        conf_load_dropins(&l, path);

        /* Defaults taken from the environment get the same checks as
         * configured values; they are reported against the main file. */
        l.path = path;
        if (l.state_dir_from_env && c->state_dir[0] != '/')
                conf_loader_error(&l, 0, "$STATE_DIRECTORY \"%s\" is not an absolute path", c->state_dir);
        if (l.socket_from_env &&
            (c->socket[0] != '/' || strlen(c->socket) >= SUN_PATH_SIZE))
                conf_loader_error(&l, 0, "$RUNTIME_DIRECTORY gives an unusable socket path \"%s\"", c->socket);

        if (l.oom)
                return -ENOMEM;
        if (l.n_errors > 0)
                return -EINVAL;

        *ret = TAKE_PTR(c);
        return 0;
}
