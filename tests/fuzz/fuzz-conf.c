/* SPDX-License-Identifier: MIT */

/* conf_load() on one main file (no conf.d). $CREDENTIALS_DIRECTORY holds
 * one credential, "client.secret", so relative client_secret_file values
 * have somewhere to go; $STATE_DIRECTORY and $RUNTIME_DIRECTORY are fixed
 * so the defaults are the same on every machine. */

#include <sodium.h>
#include <sys/stat.h>

#include "conf/conf.h"
#include "fuzz.h"

static char *dir, *conf_path;

static void teardown(void) {
        fuzz_rm_rf(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char *creds = NULL, *secret = NULL;

        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();

        dir = fuzz_make_tempdir("fuzz-conf");
        FUZZ_OOM_IF(asprintf(&creds, "%s/credentials", dir) < 0);
        if (mkdir(creds, 0700) < 0)
                abort();
        FUZZ_OOM_IF(asprintf(&secret, "%s/client.secret", creds) < 0);
        fuzz_write_file(secret, "fuzz-client-secret\n", strlen("fuzz-client-secret\n"));
        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        setenv("STATE_DIRECTORY", "/var/lib/tessera-fuzz", 1);
        setenv("RUNTIME_DIRECTORY", "/run/tessera-fuzz", 1);
        free(secret);
        free(creds);

        FUZZ_OOM_IF(asprintf(&conf_path, "%s/tessera.conf", dir) < 0);
        atexit(teardown);
        return 0;
}

static void check_print(const conf *c) {
        char *out = NULL, *line, *save = NULL;
        size_t out_len = 0;
        FILE *f;

        f = open_memstream(&out, &out_len);
        FUZZ_OOM_IF(!f);
        conf_print(c, f);
        FUZZ_OOM_IF(fclose(f) != 0);

        /* tesserad --check-config shows this: a secret never appears. */
        for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strncmp(line, "client_secret =", 15) == 0)
                        FUZZ_CHECK(strcmp(line, "client_secret = (redacted)") == 0,
                                   "conf_print() shows a client secret");
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t live = fuzz_secret_live();
        char **errors = NULL;
        conf *c = NULL;
        size_t n_errors;
        int r;

        fuzz_write_file(conf_path, data, size);

        r = conf_load(conf_path, &c, &errors);
        n_errors = strv_length(errors);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL, "conf_load(): %d", r);
                FUZZ_CHECK(!c, "conf set on failure");
                FUZZ_CHECK(n_errors > 0, "failure without an error message");
                /* 100 messages at most (the last says the list was cut). */
                FUZZ_CHECK(n_errors <= 100, "%zu error messages", n_errors);
                for (size_t i = 0; i < n_errors; i++)
                        FUZZ_CHECK(strncmp(errors[i], conf_path, strlen(conf_path)) == 0 &&
                                   errors[i][strlen(conf_path)] == ':',
                                   "error message without FILE: prefix: %s", errors[i]);
                strv_free(errors);
                FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked on failure");
                return 0;
        }

        FUZZ_CHECK(c, "success without conf");
        FUZZ_CHECK(n_errors == 0, "success with %zu errors", n_errors);
        FUZZ_CHECK(c->state_dir && c->state_dir[0] == '/', "state_dir not absolute");
        FUZZ_CHECK(c->socket && c->socket[0] == '/', "socket not absolute");
        FUZZ_CHECK((c->socket_mode & ~0777U) == 0, "socket_mode %o", (unsigned) c->socket_mode);
        for (size_t i = 0; i < c->n_accounts; i++) {
                const conf_account *a = c->accounts[i];

                FUZZ_CHECK(account_name_is_valid(a->name), "invalid account name accepted");
                FUZZ_CHECK(conf_find_account(c, a->name) == a, "account names not unique");
                FUZZ_CHECK(url_is_acceptable(a->issuer), "issuer not acceptable");
                FUZZ_CHECK(a->client_id && *a->client_id, "no client_id");
                FUZZ_CHECK(a->client_secret && *a->client_secret, "no client secret");
                FUZZ_CHECK(url_is_acceptable(a->userinfo_url), "userinfo_url not acceptable");
                FUZZ_CHECK(url_is_acceptable(a->api_base), "api_base not acceptable");
                FUZZ_CHECK(!a->token_endpoint || url_is_acceptable(a->token_endpoint),
                           "token_endpoint not acceptable");
                FUZZ_CHECK(a->refresh_margin <= 86400, "refresh_margin %u", a->refresh_margin);
                FUZZ_CHECK(client_auth_to_string(a->client_auth), "client_auth out of range");
                FUZZ_CHECK(conf_account_equal(a, a), "account not equal to itself");
        }
        check_print(c);

        conf_free(c);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
