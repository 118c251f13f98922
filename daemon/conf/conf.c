/* SPDX-License-Identifier: MIT */
#include <syslog.h>

#include "conf/conf.h"
#include "conf/conf-keys.h"
#include "conf/conf-loader.h"
#include "conf/conf-parse.h"
#include "util/log.h"

#define DEFAULT_STATE_DIR "/var/lib/tessera"
#define DEFAULT_SOCKET "/run/tessera/api.sock"
#define DEFAULT_ADMINS "root"

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
                "log_level = %s\n"
                "refresh_max_in_flight = %u\n"
                "metrics_users =%s%s\n",
                c->state_dir, c->socket, (unsigned) c->socket_mode,
                isempty(c->admins.text) ? "" : " ", strempty(c->admins.text),
                strempty(log_level_to_string(c->log_level)), c->refresh_max_in_flight,
                isempty(c->metrics_users.text) ? "" : " ", strempty(c->metrics_users.text));

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
                fprintf(f, "sessions = %s\n", session_mode_to_string(a->sessions));
                if (a->sessions == SESSIONS_PER_USER)
                        fprintf(f, "end_with_logout = %s\n", a->end_with_logout ? "yes" : "no");
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
        conf_parse_ctx ctx = {
                .errors = errors,
                .n_errors_stored = errors ? strv_length(*errors) : 0,
                .credentials_dir = getenv("CREDENTIALS_DIRECTORY"),
        };

        if (!path || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(conf));
        if (!c)
                return -ENOMEM;

        if (first_dir_from_env("STATE_DIRECTORY", &state) < 0 ||
            first_dir_from_env("RUNTIME_DIRECTORY", &runtime) < 0)
                return -ENOMEM;
        c->state_dir = strdup(state ?: DEFAULT_STATE_DIR);
        if (runtime) {
                if (asprintf(&c->socket, "%s/api.sock", runtime) < 0)
                        c->socket = NULL;
        } else
                c->socket = strdup(DEFAULT_SOCKET);
        c->socket_mode = 0660;
        c->admins.text = strdup(DEFAULT_ADMINS);
        c->log_level = LOG_INFO;
        c->refresh_max_in_flight = DEFAULT_REFRESH_MAX_IN_FLIGHT;
        if (!c->state_dir || !c->socket || !c->admins.text)
                return -ENOMEM;

        if (conf_loader_load(&ctx, &conf_keys_schema, c, path, &c->files) < 0)
                return -ENOMEM;

        /* Defaults taken from the environment get the same checks as
         * configured values; they are reported against the main file. A
         * value set in a file passed these checks, so whatever fails them
         * still comes from the environment. */
        ctx.path = path;
        if (state && c->state_dir[0] != '/')
                conf_parse_error(&ctx, 0, "$STATE_DIRECTORY \"%s\" is not an absolute path", c->state_dir);
        if (runtime && (c->socket[0] != '/' || strlen(c->socket) >= SUN_PATH_SIZE))
                conf_parse_error(&ctx, 0, "$RUNTIME_DIRECTORY gives an unusable socket path \"%s\"", c->socket);

        if (ctx.oom)
                return -ENOMEM;
        if (ctx.n_errors > 0)
                return -EINVAL;

        *ret = TAKE_PTR(c);
        return 0;
}
