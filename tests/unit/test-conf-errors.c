/* SPDX-License-Identifier: MIT */
/* Tests for daemon/conf/, the errors: the exact line of every error a bad
 * file earns, across the main file and drop-ins, and the cap on how many
 * are reported. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-fixture.h"
#include "tests.h"

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

int main(void) {
        conf_fixture_init();

        test_errors();
        test_error_cap();

        conf_fixture_done();
        printf("test-conf-errors: all checks passed\n");
        return 0;
}
