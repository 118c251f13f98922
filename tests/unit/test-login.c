/* SPDX-License-Identifier: MIT */
/* The login lifetime knob for tests, TESSERAD_LOGIN_TIMEOUT_SEC: what it
 * accepts, that it is read once, and that garbage is ignored with a warning
 * that does not repeat the garbage; and the login request's body. The
 * expired login's listener itself is
 * tested in test-redirect and, end to end, in tests/browser. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"
#include "login/login.h"
#include "tests.h"

static void test_parse(void) {
        static const struct {
                const char *s;
                unsigned v;
        } good[] = {
                { "1", 1 },
                { "3", 3 },
                { "59", 59 },
                { "600", LOGIN_CODE_TIMEOUT_SEC },
                { "0600", 600 },
        };
        static const char *const bad[] = {
                "", "0", "00", "601", "1000", "-1", "+3", " 3", "3 ", "3s", "1e2", "0x10", "3.5",
                "4294967299", "99999999999999999999", "3\n",
        };
        unsigned v;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                v = 0;
                CHECK(login_parse_timeout(good[i].s, &v) == 0);
                CHECK(v == good[i].v);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r;

                v = 12345;
                r = login_parse_timeout(bad[i], &v);
                if (r >= 0)
                        fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
                CHECK(r == -EINVAL || r == -ERANGE);
                CHECK(v == 12345);      /* untouched on failure */
        }
        CHECK(login_parse_timeout(NULL, &v) == -EINVAL);
        CHECK(login_parse_timeout("3", NULL) == -EINVAL);
}

/* In a child, with the variable set to value: the lifetime the daemon
 * would use, and whether stderr had the warning. */
static void run_child(const char *value, unsigned *ret_timeout, bool *ret_warned, bool *ret_echoed) {
        char buf[4096] = {};
        int fds[2], status = 0;
        unsigned got = 0;
        size_t n = 0;
        ssize_t k;
        pid_t pid;

        CHECK(pipe(fds) == 0);
        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                close(fds[0]);
                if (dup2(fds[1], STDERR_FILENO) < 0)
                        _exit(100);
                if (value)
                        setenv(LOGIN_TIMEOUT_ENV, value, 1);
                else
                        unsetenv(LOGIN_TIMEOUT_ENV);
                login_read_environment();
                /* The result travels in the exit status; 0..255 is enough
                 * for the values used here and 600 maps to 255. */
                _exit(login_timeout_sec() == LOGIN_CODE_TIMEOUT_SEC ? 255 : (int) MIN(login_timeout_sec(), 254U));
        }
        close(fds[1]);
        while (n < sizeof buf - 1 && (k = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
                n += (size_t) k;
        close(fds[0]);
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        got = (unsigned) WEXITSTATUS(status);
        *ret_timeout = got == 255 ? LOGIN_CODE_TIMEOUT_SEC : got;
        *ret_warned = strstr(buf, "ignoring " LOGIN_TIMEOUT_ENV) != NULL;
        *ret_echoed = value && *value && strstr(buf, value) != NULL;
}

static void test_environment(void) {
        unsigned t;
        bool warned, echoed;

        run_child(NULL, &t, &warned, &echoed);
        CHECK(t == LOGIN_CODE_TIMEOUT_SEC && !warned);

        run_child("3", &t, &warned, &echoed);
        CHECK(t == 3 && !warned);

        run_child("600", &t, &warned, &echoed);
        CHECK(t == 600 && !warned);

        static const char *const garbage[] = { "", "0", "601", "soon", "-5", "3 seconds", "18446744073709551619" };
        for (size_t i = 0; i < ELEMENTSOF(garbage); i++) {
                run_child(garbage[i], &t, &warned, &echoed);
                if (t != LOGIN_CODE_TIMEOUT_SEC || !warned)
                        fprintf(stderr, "  value \"%s\": timeout %u, warned %d\n", garbage[i], t, warned);
                CHECK(t == LOGIN_CODE_TIMEOUT_SEC);
                CHECK(warned);
                /* "0" and "601" are short enough to turn up in "1 to 600". */
                if (strlen(garbage[i]) > 3)
                        CHECK(!echoed);
        }
}

static void test_read_once(void) {
        CHECK(login_timeout_sec() == LOGIN_CODE_TIMEOUT_SEC);
        CHECK(setenv(LOGIN_TIMEOUT_ENV, "7", 1) == 0);
        login_read_environment();
        CHECK(login_timeout_sec() == 7);
        /* Read at start, not again: a later change has no effect. */
        CHECK(setenv(LOGIN_TIMEOUT_ENV, "9", 1) == 0);
        login_read_environment();
        CHECK(login_timeout_sec() == 7);
        CHECK(unsetenv(LOGIN_TIMEOUT_ENV) == 0);
        login_read_environment();
        CHECK(login_timeout_sec() == 7);
}

static void test_flow(void) {
        static const struct {
                const char *body;
                int expect;             /* a login_flow, or -1 for rejected */
        } cases[] = {
                { "", LOGIN_FLOW_CODE },
                { "{}", LOGIN_FLOW_CODE },
                { "{\"flow\":\"code\"}", LOGIN_FLOW_CODE },
                { " { \"flow\" : \"device\" } ", LOGIN_FLOW_DEVICE },
                { "{\"flow\":\"dev\\u0069ce\"}", LOGIN_FLOW_DEVICE },
                { "{\"other\":[1,2],\"flow\":\"device\"}", LOGIN_FLOW_DEVICE },
                { "{\"flow\":\"code\\u0000x\"}", -1 },
                { "{\"flow\":\"Code\"}", -1 },
                { "{\"flow\":\"\"}", -1 },
                { "{\"flow\":1}", -1 },
                { "{\"flow\":null}", -1 },
                { "{\"flow\":[\"code\"]}", -1 },
                { "[]", -1 },
                { "\"code\"", -1 },
                { "{\"flow\":\"code\"} x", -1 },
                { "{\"flow\":\"code\"", -1 },
                { "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", -1 },        /* deeper than 4 */
                { "{\"a\":{\"b\":{}}}", LOGIN_FLOW_CODE },
                { "nul", -1 },
        };

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                login_flow f = _LOGIN_FLOW_MAX;
                int r = login_parse_flow(cases[i].body, strlen(cases[i].body), &f);

                if (cases[i].expect < 0) {
                        CHECK(r == -EINVAL);
                        CHECK(f == _LOGIN_FLOW_MAX);    /* untouched on failure */
                } else {
                        CHECK(r == 0);
                        CHECK((int) f == cases[i].expect);
                }
        }

        /* A NUL byte inside the body, and the length is what counts. */
        {
                login_flow f;

                CHECK(login_parse_flow("{\"flow\":\"device\"}\0junk", 22, &f) == -EINVAL);
                CHECK(login_parse_flow("{\"flow\":\"device\"}junk", 17, &f) == 0 && f == LOGIN_FLOW_DEVICE);
                CHECK(login_parse_flow(NULL, 0, &f) == 0 && f == LOGIN_FLOW_CODE);
                CHECK(login_parse_flow(NULL, 3, &f) == -EINVAL);
        }
}

int main(void) {
        log_set_max_level(LOG_INFO);
        test_flow();
        CHECK(unsetenv(LOGIN_TIMEOUT_ENV) == 0);

        test_parse();
        test_environment();
        test_read_once();       /* last: it reads this process's environment for good */

        printf("test-login: all checks passed\n");
        return 0;
}
