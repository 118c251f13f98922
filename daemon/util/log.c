/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/string-table.h"

static int max_level = LOG_INFO;

static const char *const log_level_table[] = {
        [LOG_ERR] = "error",
        [LOG_WARNING] = "warning",
        [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",
        [LOG_DEBUG] = "debug",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(log_level, int);

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        int level = string_table_lookup(log_level_table, ELEMENTSOF(log_level_table), s);

        /* syslog's own short name for it. */
        if (level < 0 && s && streq(s, "err"))
                return LOG_ERR;
        return level;
}

int log_internal(int level, int error, const char *fmt, ...) {
        char buf[2048];
        va_list ap;
        int saved = errno;

        /* %m must print the error we were given, not whatever errno is. */
        errno = abs(error);
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);

        /* One write per line so concurrent writers never interleave. */
        for (char *p = buf; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        fprintf(stderr, "<%d>%s\n", level, buf);

        errno = saved;
        return error == 0 ? 0 : -abs(error);
}
