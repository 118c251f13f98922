/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "util/log.h"
#include "tests.h"

static void test_level_names(void) {
        CHECK(log_level_from_string("debug") == LOG_DEBUG);
        CHECK(log_level_from_string("info") == LOG_INFO);
        CHECK(log_level_from_string("notice") == LOG_NOTICE);
        CHECK(log_level_from_string("warning") == LOG_WARNING);
        CHECK(log_level_from_string("error") == LOG_ERR);
        CHECK(log_level_from_string("err") == LOG_ERR);
        CHECK(log_level_from_string("crit") == -EINVAL);
        CHECK(log_level_from_string("") == -EINVAL);
        CHECK(log_level_from_string(NULL) == -EINVAL);

        CHECK(streq(log_level_to_string(LOG_ERR), "error"));
        CHECK(streq(log_level_to_string(LOG_DEBUG), "debug"));
        CHECK(log_level_to_string(LOG_CRIT) == NULL);
        CHECK(log_level_to_string(LOG_DEBUG + 1) == NULL);
        CHECK(log_level_to_string(-1) == NULL);
}

static void test_errno_return(void) {
        int saved;

        log_set_max_level(LOG_ERR);
        CHECK(log_get_max_level() == LOG_ERR);
        /* Below the level nothing is printed, and the error still comes back. */
        CHECK(log_debug_errno(EIO, "not printed") == -EIO);
        CHECK(log_debug_errno(-EIO, "not printed") == -EIO);
        errno = EPERM;
        saved = errno;
        CHECK(log_error_errno(ENOENT, "test: %m") == -ENOENT);
        CHECK(errno == saved);
        CHECK(log_error_errno(0, "test: no error") == 0);
        log_set_max_level(LOG_INFO);
}

int main(void) {
        test_level_names();
        test_errno_return();
        return 0;
}
