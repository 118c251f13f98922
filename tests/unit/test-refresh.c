/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "refresh.h"
#include "tests.h"

static void test_plan(void) {
        /* One hour, 60 s margin: between 10% early and the margin. */
        CHECK(refresh_plan(1000, 4600, 60, 0.0) == 4540);
        CHECK(refresh_plan(1000, 4600, 60, 0.999) >= 4540 - 360);
        CHECK(refresh_plan(1000, 4600, 60, 0.5) == 4540 - 180);
        /* A margin longer than the token: half-life, never "now" forever. */
        CHECK(refresh_plan(1000, 1004, 60, 0.0) == 1002);
        CHECK(refresh_plan(1000, 1030, 60, 0.7) == 1015);
        /* Nonsense or tiny lifetimes: never a loop, at most one refresh a
         * second. */
        CHECK(refresh_plan(1000, 1000, 60, 0.0) == 1001);
        CHECK(refresh_plan(2000, 1000, 60, 0.0) == 2001);
        CHECK(refresh_plan(1000, 1001, 60, 0.5) == 1001);
        CHECK(refresh_plan(1000, 1002, 60, 0.5) == 1001);
}

static void test_backoff(void) {
        uint64_t prev = 0;

        /* Doubles from about 1 s, capped at 5 min, jitter only shortens. */
        for (unsigned n = 1; n < 30; n++) {
                uint64_t lo = refresh_backoff(n, 0.0, 0), hi = refresh_backoff(n, 0.999999, 0);

                CHECK(lo <= hi);
                CHECK(hi <= REFRESH_BACKOFF_MAX_USEC);
                CHECK(lo >= REFRESH_BACKOFF_MIN_USEC / 2);
                CHECK(hi >= prev);
                prev = hi;
        }
        CHECK(refresh_backoff(1, 0.0, 0) == REFRESH_BACKOFF_MIN_USEC / 2);
        CHECK(refresh_backoff(3, 0.0, 0) == 2 * REFRESH_BACKOFF_MIN_USEC);
        CHECK(refresh_backoff(100, 0.0, 0) == REFRESH_BACKOFF_MAX_USEC / 2);
        /* Retry-After wins when longer. */
        CHECK(refresh_backoff(1, 0.0, 42 * USEC_PER_SEC) == 42 * USEC_PER_SEC);
        CHECK(refresh_backoff(UINT32_MAX, 0.5, 0) <= REFRESH_BACKOFF_MAX_USEC);
}

static void test_wanted(void) {
        /* Token from 1000 to 4600 (one hour). */
        CHECK(!refresh_wanted(2000, 1000, 4600, 10));
        CHECK(refresh_wanted(4595, 1000, 4600, 10));
        CHECK(refresh_wanted(5000, 1000, 4600, 0));          /* expired */
        CHECK(!refresh_wanted(2000, 1000, 4600, 2600));
        CHECK(refresh_wanted(2001, 1000, 4600, 2600));
        /* More than the IdP ever grants: clamped to half the lifetime, so
         * a fresh token is served instead of refreshing in a loop. */
        CHECK(!refresh_wanted(1000, 1000, 4600, 7200));
        CHECK(!refresh_wanted(2700, 1000, 4600, 7200));
        CHECK(refresh_wanted(2801, 1000, 4600, 7200));
        CHECK(!refresh_wanted(1000, 1000, 4600, UINT32_MAX));
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_plan();
        test_backoff();
        test_wanted();
        return 0;
}
