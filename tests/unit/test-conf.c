/* SPDX-License-Identifier: MIT */
/* Tests for daemon/conf/: every file is written into a fresh mkdtemp
 * directory, loaded, and the values or the exact error lines checked. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "conf/conf.h"
#include "conf/conf-loader.h"
#include "tests.h"
#include "util/secret.h"

static char root[] = "/tmp/test-conf-XXXXXX";

/* Strings built for expectations live until exit. */
static char *pool[1024];
static size_t n_pool;

static const char *fmt(const char *format, ...) _printf_(1, 2);
static const char *fmt(const char *format, ...) {
        va_list ap;
        char *s;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                abort();
        va_end(ap);
        if (n_pool >= ELEMENTSOF(pool))
                abort();
        pool[n_pool++] = s;
        return s;
}

/* A fresh directory per case, as conf.d is found next to the main file. */
static const char *mkcase(const char *name) {
        const char *d = fmt("%s/%s", root, name);

        if (mkdir(d, 0755) < 0) {
                perror(d);
                abort();
        }
        return d;
}

static const char *put(const char *dir, const char *name, const char *content) {
        const char *p = fmt("%s/%s", dir, name);
        FILE *f = fopen(p, "we");

        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                perror(p);
                abort();
        }
        return p;
}

static void clear_env(void) {
        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        unsetenv("CREDENTIALS_DIRECTORY");
}

static void print_list(const char *what, char **l) {
        fprintf(stderr, "  %s:\n", what);
        for (char **i = l; i && *i; i++)
                fprintf(stderr, "    %s\n", *i);
}

/* Loads path and checks that it fails with exactly the given errors, in
 * order. The list ends with NULL. */
static void expect_errors_at(int line, const char *path, ...) {
        _cleanup_(strv_freep) char **errors = NULL;
        char *expected[128];
        size_t n = 0;
        conf *c = NULL;
        va_list ap;
        int r;
        bool same;

        va_start(ap, path);
        for (const char *e; (e = va_arg(ap, const char *)); )
                expected[n++] = (char *) e;
        va_end(ap);
        expected[n] = NULL;

        r = conf_load(path, &c, &errors);
        same = strv_length(errors) == n;
        for (size_t i = 0; same && i < n; i++)
                same = streq(errors[i], expected[i]);
        if (r != -EINVAL || c || !same) {
                fprintf(stderr, "%s:%d: loading %s: r=%d (expected %d)\n", __FILE__, line, path, r, -EINVAL);
                print_list("expected", expected);
                print_list("got", errors);
                abort();
        }
        conf_free(c);
}
#define expect_errors(path, ...) expect_errors_at(__LINE__, path, __VA_ARGS__)

static conf *load_ok_at(int line, const char *path) {
        _cleanup_(strv_freep) char **errors = NULL;
        conf *c = NULL;
        int r;

        r = conf_load(path, &c, &errors);
        if (r < 0 || !c || errors) {
                fprintf(stderr, "%s:%d: loading %s failed: r=%d\n", __FILE__, line, path, r);
                print_list("errors", errors);
                abort();
        }
        return c;
}
#define load_ok(path) load_ok_at(__LINE__, path)

static char *print_to_string(const conf *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        conf_print(c, f);
        if (fclose(f) != 0)
                abort();
        return buf;
}

static void test_url_is_acceptable(void) {
        static const char *const good[] = {
                "https://x",
                "https://account.gipo.it",
                "https://api.giponext.it/v2/userinfo",
                "HTTPS://example.com:8443/path?q=1",
                "https://[2001:db8::1]:443/",
                "http://127.0.0.1:8080",
                "http://127.1.2.3/token",
                "http://localhost",
                "http://LOCALHOST:3000/x",
                "http://[::1]:9/",
        };
        static const char *const bad[] = {
                "",
                "http://example.com",
                "http://128.0.0.1/",
                "http://127.0.0.1.example.com/",
                "http://localhost.example.com/",
                "http://127.0.0/",
                "http://127.0.0.256/",
                "http://[::2]/",
                "ftp://x",
                "https://user@host",
                "https://user:pw@host/",
                "http://evil@127.0.0.1/",
                "https://",
                "https:///path",
                "https://:443/",
                "https://host:/",
                "https://host:0/",
                "https://host:65536/",
                "https://host:8x/",
                "https://ho st/",
                "https://host/a b",
                "https://host/\x01",
                "https://host\\@evil/",
                "https://[::1/",
                "https://[]/",
                "//host/",
                "host",
                "https://ho%73t/",
                "https://h\xc3\xa9st/",
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!url_is_acceptable(good[i])) {
                        fprintf(stderr, "url_is_acceptable(\"%s\") is false, expected true\n", good[i]);
                        abort();
                }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (url_is_acceptable(bad[i])) {
                        fprintf(stderr, "url_is_acceptable(\"%s\") is true, expected false\n", bad[i]);
                        abort();
                }
        CHECK(!url_is_acceptable(NULL));
}

static void test_account_name_is_valid(void) {
        char longest[66];

        CHECK(account_name_is_valid("default"));
        CHECK(account_name_is_valid("A-z_0.9"));
        /* The daemon treats these as unknown accounts; only config
         * sections reject them. */
        CHECK(account_name_is_valid("."));
        CHECK(account_name_is_valid(".."));
        memset(longest, 'a', 64);
        longest[64] = '\0';
        CHECK(account_name_is_valid(longest));
        longest[64] = 'a';
        longest[65] = '\0';
        CHECK(!account_name_is_valid(longest));
        CHECK(!account_name_is_valid(""));
        CHECK(!account_name_is_valid(NULL));
        CHECK(!account_name_is_valid("a b"));
        CHECK(!account_name_is_valid("a/b"));
        CHECK(!account_name_is_valid("caf\xc3\xa9"));
        CHECK(!account_name_is_valid("x%y"));
}

static void test_client_auth(void) {
        CHECK_STREQ(client_auth_to_string(CLIENT_AUTH_BASIC), "basic");
        CHECK_STREQ(client_auth_to_string(CLIENT_AUTH_POST), "post");
        CHECK(client_auth_to_string(_CLIENT_AUTH_MAX) == NULL);
}

static void test_principal_list_match(void) {
        uid_t uids[] = { 1000, 1001 };
        gid_t gids[] = { 50, 60 };
        gid_t groups[] = { 7, 60 };
        gid_t other_groups[] = { 7, 8 };
        principal_list l = { .uids = uids, .n_uids = 2, .gids = gids, .n_gids = 2, .text = (char *) "x" };
        principal_list empty = {};

        CHECK(principal_list_match(&l, 0, 12345, NULL, 0));
        CHECK(principal_list_match(&empty, 0, 0, NULL, 0));
        CHECK(principal_list_match(NULL, 0, 0, NULL, 0));
        CHECK(!principal_list_match(NULL, 1000, 50, NULL, 0));
        CHECK(!principal_list_match(&empty, 1000, 50, groups, 2));
        CHECK(principal_list_match(&l, 1001, 9999, NULL, 0));
        CHECK(principal_list_match(&l, 2000, 50, NULL, 0));
        CHECK(principal_list_match(&l, 2000, 9999, groups, 2));
        CHECK(!principal_list_match(&l, 2000, 9999, other_groups, 2));
        CHECK(!principal_list_match(&l, 2000, 9999, groups, 1));
        CHECK(!principal_list_match(&l, 2000, 9999, NULL, 0));
}

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

static void test_credentials_directory(void) {
        const char *d = mkcase("credentials");
        const char *creds = mkcase("credentials/creds");
        const char *path = put(d, "tessera.conf",
                               "[account default]\n"
                               "client_id = my-app\n"
                               "client_secret_file = default.secret\n");
        const conf_account *a;
        conf *c;

        put(creds, "default.secret", "s3cr3t-credential\r\n\n");
        clear_env();
        expect_errors(path,
                      fmt("%s:3: client_secret_file: \"default.secret\" is relative but $CREDENTIALS_DIRECTORY is not set", path),
                      NULL);

        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        c = load_ok(path);
        a = conf_find_account(c, "default");
        CHECK(a);
        if (a) {
                CHECK_SECRET_EQ(a->client_secret, "s3cr3t-credential");
                CHECK_STREQ(a->client_secret_file, "default.secret");
        }
        conf_free(c);

        path = put(d, "tessera.conf",
                   "[account default]\n"
                   "client_id = my-app\n"
                   "client_secret_file = ../default.secret\n");
        expect_errors(path,
                      fmt("%s:3: client_secret_file: \"../default.secret\" is neither an absolute path nor a credential name", path),
                      NULL);
        clear_env();
}

static void test_long_names(void) {
        /* Longer than the 50 bytes inih keeps of a section name. */
        const char *name = "a123456789b123456789c123456789d123456789e123456789f123456789gggg";
        const char *d = mkcase("long");
        const char *path = put(d, "tessera.conf", fmt(
                "[account %s]\n"
                "client_id = my-app\n"
                "client_secret = s3cr3t-inline-value\n"
                "[account %sh]\n"
                "client_id = my-app\n"
                "client_secret = s3cr3t-inline-value\n",
                name, name));

        CHECK(strlen(name) == 64);
        expect_errors(path,
                      fmt("%s:4: invalid account name \"%sh\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")",
                          path, name),
                      NULL);

        path = put(d, "tessera.conf", fmt(
                "[account %s]\n"
                "client_id = my-app\n"
                "client_secret = s3cr3t-inline-value\n", name));
        conf *c = load_ok(path);
        CHECK(c && conf_find_account(c, name));
        conf_free(c);
}

static void test_line_endings(void) {
        const char *d = mkcase("line-endings");
        const char *path = put(d, "tessera.conf",
                               "\xEF\xBB\xBF[account a]\r\n"
                               "client_id = x\r\n"
                               "\r\n"
                               "client_secret = s3cr3t-inline-value");
        const conf_account *a;
        conf *c;

        c = load_ok(path);
        a = conf_find_account(c, "a");
        CHECK(a);
        if (a) {
                CHECK_STREQ(a->client_id, "x");
                CHECK_SECRET_EQ(a->client_secret, "s3cr3t-inline-value");
        }
        conf_free(c);
}

static void test_errors(void) {
        const char *d = mkcase("errors");
        const char *dropins = fmt("%s/conf.d", d);
        const char *p, *q;
        char big[300];

        clear_env();
#define ACCOUNT_OK "client_id = my-app\nclient_secret = s3cr3t-inline-value\n"

        p = put(d, "unknown-key.conf", "[daemon]\nlog_level = info\nstate_directory = /x\n"
                "[account a]\n" ACCOUNT_OK "socket = /x\n");
        expect_errors(p,
                      fmt("%s:3: unknown key \"state_directory\" in [daemon]", p),
                      fmt("%s:7: unknown key \"socket\" in [account a]", p), NULL);

        p = put(d, "unknown-section.conf", "[daemon]\n[accounts x]\nissuer = ftp://ignored\n[Daemon]\n[account]\n");
        expect_errors(p,
                      fmt("%s:2: unknown section [accounts x]", p),
                      fmt("%s:4: unknown section [Daemon]", p),
                      fmt("%s:5: account section needs a name: [account NAME]", p), NULL);

        p = put(d, "no-section.conf", "log_level = info\n");
        expect_errors(p, fmt("%s:1: key \"log_level\" outside of any section", p), NULL);

        p = put(d, "syntax.conf", "[daemon\n[daemon] x\n[daemon]\njust words\n  indented words\n");
        expect_errors(p,
                      fmt("%s:1: section header lacks \"]\"", p),
                      fmt("%s:2: unexpected text after the section header", p),
                      fmt("%s:4: expected \"KEY = VALUE\"", p),
                      fmt("%s:5: expected \"KEY = VALUE\"", p), NULL);

        p = put(d, "bad-url.conf", "[account a]\n" ACCOUNT_OK
                "issuer = ftp://account.gipo.it\n"
                "userinfo_url = http://example.com/userinfo\n"
                "api_base = https://user@api.giponext.it\n"
                "token_endpoint = https://idp/token#frag\n"
                "revocation_endpoint = not a url\n");
        expect_errors(p,
                      fmt("%s:4: issuer: \"ftp://account.gipo.it\" " "is not an acceptable URL (https, or http to a loopback host)", p),
                      fmt("%s:5: userinfo_url: \"http://example.com/userinfo\" is not an acceptable URL (https, or http to a loopback host)", p),
                      fmt("%s:6: api_base: \"https://user@api.giponext.it\" is not an acceptable URL (https, or http to a loopback host)", p),
                      fmt("%s:7: token_endpoint: \"https://idp/token#frag\" must not have a fragment", p),
                      fmt("%s:8: revocation_endpoint: \"not a url\" is not an acceptable URL (https, or http to a loopback host)", p),
                      NULL);

        p = put(d, "issuer-query.conf", "[account a]\n" ACCOUNT_OK "issuer = https://idp/?tenant=1\n");
        expect_errors(p, fmt("%s:4: issuer: \"https://idp/?tenant=1\" must not have a query or fragment", p), NULL);

        p = put(d, "socket-mode.conf", "[daemon]\nsocket_mode = 0999\n[daemon]\nsocket_mode = 01777\n"
                "[daemon]\nsocket_mode = 0x1ff\n[daemon]\nsocket_mode =\n");
        expect_errors(p,
                      fmt("%s:2: socket_mode: \"0999\" is not an octal mode <= 0777", p),
                      fmt("%s:4: socket_mode: \"01777\" is not an octal mode <= 0777", p),
                      fmt("%s:6: socket_mode: \"0x1ff\" is not an octal mode <= 0777", p),
                      fmt("%s:8: socket_mode: \"\" is not an octal mode <= 0777", p), NULL);

        p = put(d, "users.conf", "[daemon]\nadmins = root no-such-user-xyz @no-such-group-xyz @\n"
                "[account a]\n" ACCOUNT_OK "users = @root @no-such-group-xyz\n");
        expect_errors(p,
                      fmt("%s:2: admins: unknown user \"no-such-user-xyz\"", p),
                      fmt("%s:2: admins: unknown group \"no-such-group-xyz\"", p),
                      fmt("%s:2: admins: \"@\" needs a group name", p),
                      fmt("%s:6: users: unknown group \"no-such-group-xyz\"", p), NULL);

        p = put(d, "numeric-ids.conf", "[daemon]\nadmins = 4294967295 @99999999999\n");
        expect_errors(p,
                      fmt("%s:2: admins: unknown user \"4294967295\"", p),
                      fmt("%s:2: admins: unknown group \"99999999999\"", p), NULL);

        p = put(d, "dup-account.conf", "[account a]\n" ACCOUNT_OK "[account b]\n" ACCOUNT_OK
                "[account a]\nclient_id = ignored\n");
        expect_errors(p, fmt("%s:7: duplicate account \"a\" (first defined at %s:1)", p, p), NULL);

        p = put(d, "dup-key.conf", "[account a]\n" ACCOUNT_OK "client_id = again\n[daemon]\nlog_level = info\n"
                "[daemon]\nlog_level = debug\nlog_level = info\n");
        expect_errors(p,
                      fmt("%s:4: \"client_id\" is already set in this section at line 2", p),
                      fmt("%s:9: \"log_level\" is already set in this section at line 8", p), NULL);

        p = put(d, "missing.conf", "[account a]\nclient_secret = s3cr3t-inline-value\n"
                "[account b]\nclient_id = x\n"
                "[account c]\nclient_id = x\nclient_secret = s3cr3t-inline-value\nclient_secret_file = /dev/null\n");
        expect_errors(p,
                      fmt("%s:1: [account a]: client_id is required", p),
                      fmt("%s:3: [account b]: client_secret or client_secret_file is required", p),
                      fmt("%s:8: client_secret_file: \"/dev/null\" is not a regular file", p),
                      fmt("%s:5: [account c]: set only one of client_secret and client_secret_file", p), NULL);

        put(d, "empty.secret", "\n");
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        q = put(d, "big.secret", "");
        {
                FILE *f = fopen(q, "we");
                for (int i = 0; f && i < 20; i++)
                        fputs(big, f);
                if (!f || fclose(f) != 0)
                        abort();
        }
        put(d, "ctrl.secret", "abc\x01" "def\n");
        p = put(d, "secret-files.conf", fmt(
                "[account a]\nclient_id = x\nclient_secret_file = %s/no-such.secret\n"
                "[account b]\nclient_id = x\nclient_secret_file = %s/empty.secret\n"
                "[account c]\nclient_id = x\nclient_secret_file = %s/big.secret\n"
                "[account d]\nclient_id = x\nclient_secret_file = %s/ctrl.secret\n"
                "[account e]\nclient_id = x\nclient_secret_file = %s\n",
                d, d, d, d, d));
        expect_errors(p,
                      fmt("%s:3: client_secret_file: cannot open \"%s/no-such.secret\": No such file or directory", p, d),
                      fmt("%s:6: client_secret_file: \"%s/empty.secret\" is empty", p, d),
                      fmt("%s:9: client_secret_file: \"%s/big.secret\" is larger than 4096 bytes", p, d),
                      fmt("%s:12: client_secret_file: \"%s/ctrl.secret\" holds characters other than printable ASCII", p, d),
                      fmt("%s:15: client_secret_file: \"%s\" is not a regular file", p, d), NULL);

        p = put(d, "api-limits.conf", "[account a]\n" ACCOUNT_OK "api_max_concurrent = 0\n"
                "[account b]\n" ACCOUNT_OK "api_wait = 301\n"
                "[account c]\n" ACCOUNT_OK "api_body_max = 4MB\n"
                "[account d]\n" ACCOUNT_OK "api_queue_max = 10000\napi_max_concurrent = 64\napi_wait = 300\n");
        expect_errors(p,
                      fmt("%s:4: api_max_concurrent: \"0\" is not a number in 1..64", p),
                      fmt("%s:8: api_wait: \"301\" is not a number in 0..300", p),
                      fmt("%s:12: api_body_max: \"4MB\" is not a number in 0..268435456", p),
                      NULL);

        p = put(d, "refresh-margin.conf", "[account a]\n" ACCOUNT_OK "refresh_margin = 86401\n"
                "[account b]\n" ACCOUNT_OK "refresh_margin = -1\n"
                "[account c]\n" ACCOUNT_OK "refresh_margin = 60s\n"
                "[account d]\n" ACCOUNT_OK "refresh_margin = 86400\n");
        expect_errors(p,
                      fmt("%s:4: refresh_margin: \"86401\" is not a number of seconds in 0..86400", p),
                      fmt("%s:8: refresh_margin: \"-1\" is not a number of seconds in 0..86400", p),
                      fmt("%s:12: refresh_margin: \"60s\" is not a number of seconds in 0..86400", p), NULL);

        p = put(d, "log-level.conf", "[daemon]\nlog_level = verbose\n");
        expect_errors(p, fmt("%s:2: log_level: \"verbose\" is not one of debug, info, notice, warning, error", p), NULL);

        p = put(d, "account-name.conf", "[account bad name]\nclient_id = x\n[account .]\n[account ..]\n[account a/b]\n");
        expect_errors(p,
                      fmt("%s:1: invalid account name \"bad name\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")", p),
                      fmt("%s:3: invalid account name \".\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")", p),
                      fmt("%s:4: invalid account name \"..\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")", p),
                      fmt("%s:5: invalid account name \"a/b\" (1-64 of A-Z a-z 0-9 _ . -, not \".\" or \"..\")", p),
                      NULL);

        p = put(d, "paths.conf", "[daemon]\nstate_dir = var/lib/tessera\nsocket = api.sock\n"
                "[daemon]\nsocket = /run/tessera/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n");
        expect_errors(p,
                      fmt("%s:2: state_dir: \"var/lib/tessera\" is not an absolute path", p),
                      fmt("%s:3: socket: \"api.sock\" is not an absolute path", p),
                      fmt("%s:5: socket: path is longer than 107 bytes", p), NULL);

        p = put(d, "values.conf", "[account a]\n" ACCOUNT_OK
                "client_auth = jwt\nscope =\n"
                "[account b]\n" ACCOUNT_OK "scope = openid \"x\"\nallowed_tenants = ok bad\\id\n"
                "[account c]\nclient_id =\nclient_secret =\n");
        expect_errors(p,
                      fmt("%s:4: client_auth: \"jwt\" is not one of basic, post", p),
                      fmt("%s:5: scope: must not be empty", p),
                      fmt("%s:9: scope: \"\"x\"\" is not a valid scope token", p),
                      fmt("%s:10: allowed_tenants: \"bad\\id\" is not a valid tenant id", p),
                      fmt("%s:12: client_id: must be 1-255 printable ASCII characters", p),
                      fmt("%s:13: client_secret: must be printable ASCII and not empty", p), NULL);

        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        p = put(d, "long-line.conf", fmt("[daemon]\nadmins = %s\nlog_level = bad\x01\n", big));
        expect_errors(p,
                      fmt("%s:2: line is longer than 197 characters", p),
                      fmt("%s:3: line contains control characters", p), NULL);

        /* Every error is reported, across the main file and drop-ins. */
        if (mkdir(dropins, 0755) < 0)
                abort();
        put(dropins, "50-dup.conf", "[account a]\n" ACCOUNT_OK "[daemon]\nlog_level = loud\n");
        p = put(d, "tessera.conf", "[daemon]\nsocket_mode = 8\nbogus = 1\n[account a]\n" ACCOUNT_OK
                "issuer = http://example.com\n");
        expect_errors(p,
                      fmt("%s:2: socket_mode: \"8\" is not an octal mode <= 0777", p),
                      fmt("%s:3: unknown key \"bogus\" in [daemon]", p),
                      fmt("%s:7: issuer: \"http://example.com\" is not an acceptable URL (https, or http to a loopback host)", p),
                      fmt("%s/50-dup.conf:1: duplicate account \"a\" (first defined at %s:4)", dropins, p),
                      fmt("%s/50-dup.conf:5: log_level: \"loud\" is not one of debug, info, notice, warning, error", dropins),
                      NULL);
#undef ACCOUNT_OK
}

static void test_error_cap(void) {
        const char *d = mkcase("cap");
        _cleanup_(strv_freep) char **errors = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        const char *p;
        conf *c = NULL;

        if (!f)
                abort();
        fputs("[daemon]\n", f);
        for (int i = 0; i < 300; i++)
                fprintf(f, "bogus%d = 1\n", i);
        if (fclose(f) != 0)
                abort();
        p = put(d, "tessera.conf", text);

        /* Errors are appended to what the caller already has. */
        errors = calloc(2, sizeof(char *));
        errors[0] = strdup("earlier");
        CHECK(conf_load(p, &c, &errors) == -EINVAL);
        CHECK(!c);
        CHECK(strv_length(errors) == 101);
        if (strv_length(errors) == 101) {
                CHECK_STREQ(errors[0], "earlier");
                CHECK_STREQ(errors[1], fmt("%s:2: unknown key \"bogus0\" in [daemon]", p));
                CHECK_STREQ(errors[99], fmt("%s:100: unknown key \"bogus98\" in [daemon]", p));
                CHECK_STREQ(errors[100], fmt("%s: too many errors, not reporting any more", p));
        }

        /* A NULL error list is allowed. */
        CHECK(conf_load(p, &c, NULL) == -EINVAL);
        CHECK(!c);

        p = put(d, "huge.conf", "");
        f = fopen(p, "we");
        for (int i = 0; f && i < 1024 * 1024 / 8 + 1; i++)
                fputs(";;;;;;;\n", f);
        if (!f || fclose(f) != 0)
                abort();
        expect_errors(p, fmt("%s: larger than 1048576 bytes", p), NULL);
}

/* The loader knows no key of its own: any schema drives it. */
typedef struct toy {
        unsigned n;
        char *path;
} toy;

static const conf_schema toy_schema;

static int toy_section_begin(conf_parse_ctx *ctx, void *userdata, const char *name, conf_section *s) {
        if (!streq(name, "toy")) {
                conf_parse_error(ctx, ctx->line, "no [%s] here", name);
                return -EINVAL;
        }
        s->id = 1;
        s->object = userdata;
        strcpy(s->label, "toy");
        return 0;
}

static void toy_section_end(conf_parse_ctx *ctx, void *userdata, const conf_section *s) {
        if (conf_section_key_line(&toy_schema, s, "n") == 0)
                conf_parse_error(ctx, s->line, "[toy]: n is required");
}

static const conf_key toy_keys[] = {
        { "n", 1, conf_parse_unsigned, offsetof(toy, n), .min = 1, .max = 9 },
        { "path", 1, conf_parse_path, offsetof(toy, path) },
};

static const conf_schema toy_schema = {
        .keys = toy_keys,
        .n_keys = ELEMENTSOF(toy_keys),
        .section_begin = toy_section_begin,
        .section_end = toy_section_end,
};

static void test_generic_loader(void) {
        const char *d = mkcase("generic");
        const char *p = put(d, "toy.conf",
                            "[toy]\nn = 3\npath = /x\n"
                            "[toy]\nn = 10\nfoo = 1\n"
                            "[other]\nn = 1\n"
                            "[toy]\npath = /y\n");
        _cleanup_(strv_freep) char **errors = NULL, **files = NULL;
        conf_parse_ctx ctx = { .errors = &errors };
        toy t = {};

        CHECK_R(conf_loader_load(&ctx, &toy_schema, &t, p, &files), 0);
        CHECK(t.n == 3);
        CHECK_STREQ(t.path, "/y");
        CHECK(strv_length(files) == 1);
        CHECK_STREQ(files[0], p);
        CHECK(ctx.n_errors == 4 && strv_length(errors) == 4);
        CHECK_STREQ(errors[0], fmt("%s:5: n: \"10\" is not a number in 1..9", p));
        CHECK_STREQ(errors[1], fmt("%s:6: unknown key \"foo\" in [toy]", p));
        CHECK_STREQ(errors[2], fmt("%s:7: no [other] here", p));
        CHECK_STREQ(errors[3], fmt("%s:9: [toy]: n is required", p));
        free(t.path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init failed\n");
                return 1;
        }
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }

        test_url_is_acceptable();
        test_account_name_is_valid();
        test_client_auth();
        test_principal_list_match();
        test_defaults();
        test_empty_and_missing();
        test_full();
        test_print_defaults();
        test_credentials_directory();
        test_long_names();
        test_line_endings();
        test_errors();
        test_error_cap();
        test_generic_loader();

        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        for (size_t i = 0; i < n_pool; i++)
                free(pool[i]);

        printf("test-conf: all checks passed\n");
        return 0;
}
