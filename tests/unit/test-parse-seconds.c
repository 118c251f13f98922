/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>

#include "util/parse-seconds.h"
#include "tests.h"

static void test_seconds(void) {
        unsigned v;

        CHECK(parse_seconds("0", 100, &v) == 0 && v == 0);
        CHECK(parse_seconds("100", 100, &v) == 0 && v == 100);
        CHECK(parse_seconds("101", 100, &v) == -ERANGE);
        CHECK(parse_seconds("4294967295", 86400, &v) == -ERANGE);
        CHECK(parse_seconds("99999999999", 86400, &v) == -EINVAL);
        CHECK(parse_seconds("", 100, &v) == -EINVAL);
        CHECK(parse_seconds("-1", 100, &v) == -EINVAL);
        CHECK(parse_seconds("1e3", 100000, &v) == -EINVAL);
        CHECK(parse_seconds(" 1", 100, &v) == -EINVAL);
        /* A max below one digit (found by fuzz-api-route). */
        CHECK(parse_seconds("7", 5, &v) == -ERANGE);
        CHECK(parse_seconds("5", 5, &v) == 0 && v == 5);
        CHECK(parse_seconds("0", 0, &v) == 0 && v == 0);
        CHECK(parse_seconds("1", 0, &v) == -ERANGE);
        CHECK(parse_seconds("4294967295", UINT32_MAX, &v) == 0 && v == UINT32_MAX);
        CHECK(parse_seconds(NULL, 100, &v) == -EINVAL);
}

int main(void) {
        test_seconds();
        return 0;
}
