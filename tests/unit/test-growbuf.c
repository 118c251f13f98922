/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/growbuf.h"
#include "util/secret.h"
#include "tests.h"

static void test_ceiling(bool secret) {
        growbuf b = GROWBUF_INIT(10, secret);
        size_t len = 0;
        char *p;

        CHECK(growbuf_append_str(&b, "hello") == 0);
        CHECK(b.len == 5 && strcmp(b.data, "hello") == 0);
        CHECK(growbuf_append(&b, "world", 5) == 0);
        CHECK(b.len == 10 && strcmp(b.data, "helloworld") == 0);
        /* One byte past the ceiling fails and leaves the contents alone. */
        CHECK(growbuf_append(&b, "!", 1) == -E2BIG);
        CHECK(b.len == 10 && strcmp(b.data, "helloworld") == 0);
        CHECK(b.cap <= 11);
        CHECK(growbuf_reserve(&b, SIZE_MAX) == -E2BIG);

        p = growbuf_steal(&b, &len);
        CHECK(p && len == 10 && strcmp(p, "helloworld") == 0);
        CHECK(!b.data && b.len == 0 && b.cap == 0);
        if (secret)
                secret_free(p);
        else
                free(p);
        growbuf_done(&b);
}

static void test_growth(bool secret) {
        growbuf b;
        char chunk[100];

        growbuf_init(&b, 1024 * 1024, secret);
        growbuf_set_initial(&b, 64);
        memset(chunk, 'x', sizeof chunk);
        for (unsigned i = 0; i < 1000; i++)
                CHECK(growbuf_append(&b, chunk, sizeof chunk) == 0);
        CHECK(b.len == 100000 && b.data[b.len] == '\0' && b.cap >= b.len + 1);
        for (size_t i = 0; i < b.len; i++)
                CHECK(b.data[i] == 'x');
        growbuf_done(&b);
        CHECK(!b.data && b.len == 0);
        /* Usable again after done. */
        CHECK(growbuf_append(&b, "", 0) == 0 && b.data && b.data[0] == '\0');
        growbuf_done(&b);
}

/* A ceiling of SIZE_MAX: max + 1 and len + n + 1 must not wrap. */
static void test_no_ceiling(void) {
        growbuf b = GROWBUF_INIT(SIZE_MAX, false);

        CHECK(growbuf_reserve(&b, SIZE_MAX) == -E2BIG);
        CHECK(!b.data && b.cap == 0);
        CHECK(growbuf_append_str(&b, "abc") == 0);
        CHECK(b.len == 3 && b.cap >= 4 && strcmp(b.data, "abc") == 0);
        CHECK(growbuf_reserve(&b, SIZE_MAX - 3) == -E2BIG);
        CHECK(b.len == 3 && strcmp(b.data, "abc") == 0);
        growbuf_done(&b);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_ceiling(false);
        test_ceiling(true);
        test_growth(false);
        test_growth(true);
        test_no_ceiling();
        secret_cache_flush();
        return 0;
}
