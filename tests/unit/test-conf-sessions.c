/* SPDX-License-Identifier: MIT */
/* The keys of per-user sessions: sessions, end_with_logout, and the
 * daemon's refresh_max_in_flight; their defaults, errors and printing. */
#include <stdio.h>
#include <string.h>

#include "conf-fixture.h"
#include "tests.h"

#define ACCOUNT_OK "client_id = my-app\nclient_secret = s3cr3t-inline-value\n"

static void test_values(void) {
        _cleanup_(freep) char *printed = NULL;
        const char *d = mkcase("sessions-ok");
        const char *p = put(d, "tessera.conf",
                            "[daemon]\nrefresh_max_in_flight = 16\n"
                            "[account desk]\n" ACCOUNT_OK "sessions = per-user\n"
                            "[account desk2]\n" ACCOUNT_OK "sessions = per-user\nend_with_logout = no\n"
                            "[account team]\n" ACCOUNT_OK "sessions = shared\n"
                            "[account plain]\n" ACCOUNT_OK);
        _cleanup_(conf_freep) conf *c = load_ok(p);
        const conf_account *a;

        CHECK(c->refresh_max_in_flight == 16);
        a = conf_find_account(c, "desk");
        CHECK(a && a->sessions == SESSIONS_PER_USER && a->end_with_logout);
        a = conf_find_account(c, "desk2");
        CHECK(a && a->sessions == SESSIONS_PER_USER && !a->end_with_logout);
        a = conf_find_account(c, "team");
        CHECK(a && a->sessions == SESSIONS_SHARED);
        a = conf_find_account(c, "plain");
        CHECK(a && a->sessions == SESSIONS_SHARED);

        printed = print_to_string(c);
        CHECK(strstr(printed, "refresh_max_in_flight = 16\n"));
        CHECK(strstr(printed, "sessions = per-user\nend_with_logout = yes\n"));
        CHECK(strstr(printed, "sessions = per-user\nend_with_logout = no\n"));
        CHECK(strstr(printed, "sessions = shared\n"));

        /* A reload keeps a session only when nothing changed. */
        CHECK(!conf_account_equal(conf_find_account(c, "desk"), conf_find_account(c, "desk2")));
}

static void test_default(void) {
        const char *d = mkcase("sessions-default");
        const char *p = put(d, "tessera.conf", "[account a]\n" ACCOUNT_OK);
        _cleanup_(conf_freep) conf *c = load_ok(p);

        CHECK(c->refresh_max_in_flight == 4);
}

static void test_errors(void) {
        const char *d = mkcase("sessions-errors");
        const char *p = put(d, "tessera.conf",
                            "[daemon]\nrefresh_max_in_flight = 0\n"
                            "[account a]\n" ACCOUNT_OK "sessions = per_user\n"
                            "[account b]\n" ACCOUNT_OK "end_with_logout = yes\n"
                            "[account c]\n" ACCOUNT_OK "sessions = per-user\nend_with_logout = maybe\n");

        expect_errors(p,
                      fmt("%s:2: refresh_max_in_flight: \"0\" is not a number in 1..64", p),
                      fmt("%s:6: sessions: \"per_user\" is not one of shared, per-user", p),
                      fmt("%s:10: [account b]: end_with_logout needs sessions = per-user", p),
                      fmt("%s:15: end_with_logout: \"maybe\" is not yes or no", p), NULL);
}

int main(void) {
        conf_fixture_init();
        clear_env();

        test_values();
        test_default();
        test_errors();

        conf_fixture_done();
        printf("test-conf-sessions: all checks passed\n");
        return 0;
}
