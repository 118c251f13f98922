/* SPDX-License-Identifier: MIT */
/* Tests for daemon/conf/, loading and printing: the defaults, a full file
 * with drop-ins, what conf_print() shows and hides, and reloads. Every
 * file is written into a fresh mkdtemp directory (conf-fixture.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "conf-fixture.h"
#include "tests.h"
#include "util/secret.h"

static void test_defaults(void) {
        const char *d = mkcase("defaults");
        const char *path = put(d, "tessera.conf",
                               "[account default]\n"
                               "client_id = my-app\n"
                               "client_secret = s3cr3t-inline-value\n");
        const conf_account *a;
        conf *c;

        clear_env();
        c = load_ok(path);
        if (!c)
                return;
        CHECK_STREQ(c->state_dir, "/var/lib/tessera");
        CHECK_STREQ(c->socket, "/run/tessera/api.sock");
        CHECK(c->socket_mode == 0660);
        CHECK_STREQ(c->admins.text, "root");
        CHECK(c->admins.n_uids == 0 && c->admins.n_gids == 0);
        CHECK(c->log_level == LOG_INFO);
        CHECK(c->n_accounts == 1);
        CHECK(strv_length(c->files) == 1 && streq(c->files[0], path));

        a = conf_find_account(c, "default");
        CHECK(a);
        if (a) {
                CHECK_STREQ(a->issuer, "https://account.gipo.it");
                CHECK_STREQ(a->client_id, "my-app");
                CHECK_SECRET_EQ(a->client_secret, "s3cr3t-inline-value");
                CHECK(a->client_secret_file == NULL);
                CHECK(a->client_auth == CLIENT_AUTH_BASIC);
                CHECK_STREQ(a->scope, "openid offline_access giponext.patients giponext.agenda");
                CHECK_STREQ(a->userinfo_url, "https://api.giponext.it/v2/userinfo");
                CHECK(strv_length(a->allowed_tenants) == 0);
                CHECK_STREQ(a->users.text, "");
                CHECK(a->users.n_uids == 0 && a->users.n_gids == 0);
                CHECK(a->refresh_margin == 60);
                CHECK_STREQ(a->api_base, "https://api.giponext.it");
                CHECK(!a->authorization_endpoint && !a->token_endpoint &&
                      !a->device_authorization_endpoint && !a->revocation_endpoint);
                CHECK_STREQ(a->file, path);
                CHECK(a->line == 1);
                /* Only root may use it. */
                CHECK(principal_list_match(&a->users, 0, 0, NULL, 0));
                CHECK(!principal_list_match(&a->users, 1000, 1000, NULL, 0));
        }
        CHECK(!conf_find_account(c, "other"));
        CHECK(!conf_find_account(c, NULL));
        conf_free(c);

        /* systemd's directories supply the defaults; the first of several wins. */
        setenv("STATE_DIRECTORY", "/var/lib/tessera-x:/var/lib/other", 1);
        setenv("RUNTIME_DIRECTORY", "/run/tessera-x", 1);
        c = load_ok(path);
        if (c) {
                CHECK_STREQ(c->state_dir, "/var/lib/tessera-x");
                CHECK_STREQ(c->socket, "/run/tessera-x/api.sock");
        }
        conf_free(c);

        setenv("STATE_DIRECTORY", "relative/dir", 1);
        expect_errors(path, fmt("%s: $STATE_DIRECTORY \"relative/dir\" is not an absolute path", path), NULL);
        clear_env();
}

static void test_empty_and_missing(void) {
        const char *d = mkcase("empty");
        const char *path = put(d, "tessera.conf", "; nothing here\n\n# nor here\n");
        conf *c;

        /* Zero accounts is valid: the daemon then serves nothing. */
        c = load_ok(path);
        CHECK(c && c->n_accounts == 0 && c->accounts == NULL);
        conf_free(c);

        expect_errors(fmt("%s/missing.conf", d),
                      fmt("%s/missing.conf: cannot open: No such file or directory", d), NULL);
        expect_errors(d, fmt("%s: not a regular file", d), NULL);
}

static void test_full(void) {
        const char *d = mkcase("full");
        const char *dropins = fmt("%s/conf.d", d);
        const char *secret = put(d, "default.secret", "s3cr3t-from-file\n");
        const char *path, *dropin1, *dropin2;
        const conf_account *a, *b;
        _cleanup_(freep) char *printed = NULL;
        conf *c, *c2;

        clear_env();
        path = put(d, "tessera.conf", fmt(
                "; the example layout of DESIGN.md\n"
                "[daemon]\n"
                "state_dir   = /var/lib/tessera-test\n"
                "socket      = /run/tessera-test/api.sock\n"
                "socket_mode = 0600\n"
                "admins      = root @root 4242 @4343  ; users and @groups\n"
                "log_level   = debug                 ; never prints a token\n"
                "\n"
                "[account default]                     ; comment after a header\n"
                "issuer        = https://idp.example.com/realm\n"
                "client_id     = my-app\n"
                "client_secret_file = %s   ; or a credential name\n"
                "client_auth   = post\n"
                "scope         = openid  offline_access\tgiponext.patients\n"
                "userinfo_url  = http://127.0.0.1:8080/v2/userinfo\n"
                "allowed_tenants = t-1 t-2\n"
                "users         = @root root 1000\n"
                "refresh_margin = 120\n"
                "api_base      = http://localhost:8080\n"
                "  authorization_endpoint = https://idp.example.com/authorize\n"
                "\ttoken_endpoint = https://idp.example.com/token?x=1\n"
                "device_authorization_endpoint = http://[::1]:9/device\n"
                "revocation_endpoint: https://idp.example.com/revoke\n",
                secret));

        if (mkdir(dropins, 0755) < 0)
                abort();
        dropin2 = put(dropins, "20-second.conf",
                      "[daemon]\n"
                      "log_level = warning\n");
        dropin1 = put(dropins, "10-first.conf",
                      "[daemon]\n"
                      "log_level = notice\n"
                      "socket_mode = 660\n"
                      "\n"
                      "[account second]\n"
                      "client_id = other-app\n"
                      "client_secret = s3cr3t-inline-value\n");
        /* Neither of these is a drop-in. */
        put(dropins, "README", "garbage\n");
        put(dropins, "30-third.conf.disabled", "garbage\n");
        put(dropins, ".hidden.conf", "garbage\n");
        if (mkdir(fmt("%s/40-dir.conf", dropins), 0755) < 0)
                abort();

        c = load_ok(path);
        if (!c)
                return;

        CHECK(strv_length(c->files) == 3);
        if (strv_length(c->files) == 3) {
                CHECK_STREQ(c->files[0], path);
                CHECK_STREQ(c->files[1], dropin1);
                CHECK_STREQ(c->files[2], dropin2);
        }
        CHECK_STREQ(c->state_dir, "/var/lib/tessera-test");
        CHECK_STREQ(c->socket, "/run/tessera-test/api.sock");
        CHECK(c->socket_mode == 0660);
        CHECK(c->log_level == LOG_WARNING);
        CHECK_STREQ(c->admins.text, "root @root 4242 @4343");
        CHECK(c->admins.n_uids == 1 && c->admins.uids[0] == 4242);
        CHECK(c->admins.n_gids == 2 && c->admins.gids[0] == 0 && c->admins.gids[1] == 4343);
        CHECK(principal_list_match(&c->admins, 4242, 100, NULL, 0));
        CHECK(principal_list_match(&c->admins, 1000, 0, NULL, 0));
        CHECK(!principal_list_match(&c->admins, 1000, 100, NULL, 0));

        CHECK(c->n_accounts == 2);
        a = conf_find_account(c, "default");
        CHECK(a);
        if (a) {
                CHECK_STREQ(a->issuer, "https://idp.example.com/realm");
                CHECK_STREQ(a->client_id, "my-app");
                CHECK_SECRET_EQ(a->client_secret, "s3cr3t-from-file");
                CHECK_STREQ(a->client_secret_file, secret);
                CHECK(a->client_auth == CLIENT_AUTH_POST);
                CHECK_STREQ(a->scope, "openid offline_access giponext.patients");
                CHECK_STREQ(a->userinfo_url, "http://127.0.0.1:8080/v2/userinfo");
                CHECK(strv_length(a->allowed_tenants) == 2);
                if (strv_length(a->allowed_tenants) == 2) {
                        CHECK_STREQ(a->allowed_tenants[0], "t-1");
                        CHECK_STREQ(a->allowed_tenants[1], "t-2");
                }
                CHECK_STREQ(a->users.text, "@root root 1000");
                CHECK(a->users.n_uids == 1 && a->users.uids[0] == 1000);
                CHECK(a->users.n_gids == 1 && a->users.gids[0] == 0);
                CHECK(a->refresh_margin == 120);
                CHECK_STREQ(a->api_base, "http://localhost:8080");
                CHECK_STREQ(a->authorization_endpoint, "https://idp.example.com/authorize");
                CHECK_STREQ(a->token_endpoint, "https://idp.example.com/token?x=1");
                CHECK_STREQ(a->device_authorization_endpoint, "http://[::1]:9/device");
                CHECK_STREQ(a->revocation_endpoint, "https://idp.example.com/revoke");
                CHECK_STREQ(a->file, path);
                CHECK(a->line == 9);
        }
        b = conf_find_account(c, "second");
        CHECK(b);
        if (b) {
                CHECK_STREQ(b->client_id, "other-app");
                CHECK_STREQ(b->file, dropin1);
                CHECK(b->line == 5);
                CHECK(b->client_secret_file == NULL);
        }

        printed = print_to_string(c);
        CHECK(strstr(printed, "[daemon]\nstate_dir = /var/lib/tessera-test\n"));
        CHECK(strstr(printed, "socket_mode = 0660\n"));
        CHECK(strstr(printed, "log_level = warning\n"));
        CHECK(strstr(printed, "admins = root @root 4242 @4343\n"));
        CHECK(strstr(printed, "[account default]\n"));
        CHECK(strstr(printed, fmt("client_secret_file = %s\n", secret)));
        CHECK(strstr(printed, "client_auth = post\n"));
        CHECK(strstr(printed, "allowed_tenants = t-1 t-2\n"));
        CHECK(strstr(printed, "[account second]\n"));
        CHECK(strstr(printed, "client_secret = (redacted)\n"));
        CHECK(strstr(printed, "; token_endpoint = (from discovery)\n"));
        CHECK(strstr(printed, "token_endpoint = https://idp.example.com/token?x=1\n"));
        CHECK(!strstr(printed, "s3cr3t"));

        /* A reload of the same files keeps every account... */
        c2 = load_ok(path);
        if (c2) {
                CHECK(conf_account_equal(conf_find_account(c, "default"), conf_find_account(c2, "default")));
                CHECK(conf_account_equal(conf_find_account(c, "second"), conf_find_account(c2, "second")));
                CHECK(!conf_account_equal(conf_find_account(c, "default"), conf_find_account(c2, "second")));
        }
        conf_free(c2);

        /* ...but not one whose secret changed behind the same file name. */
        put(d, "default.secret", "s3cr3t-rotated\n");
        c2 = load_ok(path);
        if (c2) {
                CHECK(!conf_account_equal(conf_find_account(c, "default"), conf_find_account(c2, "default")));
                CHECK(conf_account_equal(conf_find_account(c, "second"), conf_find_account(c2, "second")));
        }
        conf_free(c2);
        CHECK(conf_account_equal(NULL, NULL));
        CHECK(!conf_account_equal(conf_find_account(c, "second"), NULL));

        conf_free(c);
}

static void test_print_defaults(void) {
        const char *d = mkcase("print");
        const char *path = put(d, "tessera.conf",
                               "[account default]\n"
                               "client_id = my-app\n"
                               "client_secret = s3cr3t-inline-value\n");
        _cleanup_(freep) char *printed = NULL;
        conf *c;

        clear_env();
        c = load_ok(path);
        if (!c)
                return;
        printed = print_to_string(c);
        CHECK(strstr(printed,
                     "[daemon]\n"
                     "state_dir = /var/lib/tessera\n"
                     "socket = /run/tessera/api.sock\n"
                     "socket_mode = 0660\n"
                     "admins = root\n"
                     "log_level = info\n"));
        CHECK(strstr(printed, "\nmetrics_users =\n"));
        CHECK(strstr(printed,
                     "[account default]\n"
                     "issuer = https://account.gipo.it\n"
                     "client_id = my-app\n"
                     "client_secret = (redacted)\n"
                     "client_auth = basic\n"
                     "scope = openid offline_access giponext.patients giponext.agenda\n"
                     "userinfo_url = https://api.giponext.it/v2/userinfo\n"
                     "allowed_tenants =\n"
                     "users =\n"
                     "refresh_margin = 60\n"
                     "api_max_concurrent = 4\n"
                     "api_queue_max = 64\n"
                     "api_wait = 0\n"
                     "api_body_max = 4194304\n"
                     "api_base = https://api.giponext.it\n"
                     "; authorization_endpoint = (from discovery)\n"
                     "; token_endpoint = (from discovery)\n"
                     "; device_authorization_endpoint = (from discovery)\n"
                     "; revocation_endpoint = (from discovery)\n"));
        CHECK(!strstr(printed, "s3cr3t"));
        conf_free(c);
}

int main(void) {
        conf_fixture_init();

        test_defaults();
        test_empty_and_missing();
        test_full();
        test_print_defaults();

        conf_fixture_done();
        printf("test-conf: all checks passed\n");
        return 0;
}
