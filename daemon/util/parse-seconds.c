/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "util/parse-seconds.h"
#include "util/util.h"

int parse_seconds(const char *s, unsigned max, unsigned *ret) {
        unsigned v = 0;

        if (isempty(s) || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                unsigned d;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                d = (unsigned) (*p - '0');
                /* v * 10 + d <= max, without overflow for any max. */
                if (v > max / 10 || v * 10 > max - MIN(d, max) || d > max - v * 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}
