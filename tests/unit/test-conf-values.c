/* SPDX-License-Identifier: MIT */
/* Tests for daemon/conf/, single values and the generic loader: URL,
 * account name and principal checks, credential file names, long section
 * names, line endings, and a toy schema that drives conf-loader alone. */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-fixture.h"
#include "conf/conf-loader.h"
#include "tests.h"
#include "util/secret.h"

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

int main(void) {
        conf_fixture_init();

        test_url_is_acceptable();
        test_account_name_is_valid();
        test_client_auth();
        test_principal_list_match();
        test_credentials_directory();
        test_long_names();
        test_line_endings();
        test_generic_loader();

        conf_fixture_done();
        printf("test-conf-values: all checks passed\n");
        return 0;
}
