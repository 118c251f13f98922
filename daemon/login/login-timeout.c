/* SPDX-License-Identifier: MIT */
/* How long a login may take: LOGIN_CODE_TIMEOUT_SEC, or what the test
 * knob LOGIN_TIMEOUT_ENV says, read once. */
#include "login/login-internal.h"
#include "util/log.h"
#include "util/parse-seconds.h"

unsigned login_timeout_override;
static bool login_environment_read;

int login_parse_timeout(const char *s, unsigned *ret) {
        unsigned v = 0;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = parse_seconds(s, LOGIN_CODE_TIMEOUT_SEC, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return -ERANGE;
        *ret = v;
        return 0;
}

void login_read_environment(void) {
        const char *e;
        unsigned v;

        if (login_environment_read)
                return;
        login_environment_read = true;

        e = getenv(LOGIN_TIMEOUT_ENV);
        if (!e)
                return;
        if (login_parse_timeout(e, &v) < 0) {
                /* The value is the environment's, not a secret, but it may
                 * be anything: say what is wanted rather than echo it. */
                log_warning("ignoring %s: not a number of seconds from 1 to %u", LOGIN_TIMEOUT_ENV,
                            LOGIN_CODE_TIMEOUT_SEC);
                return;
        }
        login_timeout_override = v;
        log_notice("%s=%u: logins expire after %u s (meant for tests)", LOGIN_TIMEOUT_ENV, v, v);
}

unsigned login_timeout_sec(void) {
        return login_timeout_override > 0 ? login_timeout_override : LOGIN_CODE_TIMEOUT_SEC;
}
