/* SPDX-License-Identifier: MIT */
/* secret.c: allocations, constant-time comparison, and the reuse of
 * token-answer buffers (wiped on release, a bounded number kept). */
#include <sodium.h>
#include <string.h>

#include "util/secret.h"
#include "tests.h"

static void test_strings(void) {
        char *a = secret_strdup("s3cret"), *b = secret_strndup("s3cretXYZ", 6);

        CHECK(a && b);
        CHECK(streq(a, "s3cret"));
        CHECK(secret_streq(a, b));
        CHECK(!secret_streq(a, "s3cre"));
        CHECK(!secret_streq(a, "s3creT"));
        CHECK(secret_strdup(NULL) == NULL);
        CHECK(secret_free(a) == NULL);
        CHECK(secret_free(b) == NULL);
        CHECK(secret_free(NULL) == NULL);
}

static void test_block_reuse(void) {
        unsigned char *p, *q, *r;

        p = secret_alloc(SECRET_BLOCK_SIZE);
        CHECK(p);
        CHECK(sodium_is_zero(p, SECRET_BLOCK_SIZE));
        memset(p, 0xA5, SECRET_BLOCK_SIZE);
        secret_free(p);

        /* The same block comes back, wiped. */
        q = secret_alloc(SECRET_BLOCK_SIZE);
        CHECK(q == p);
        CHECK(sodium_is_zero(q, SECRET_BLOCK_SIZE));

        /* A block in use is never handed out twice. */
        r = secret_alloc(SECRET_BLOCK_SIZE);
        CHECK(r && r != q);
        secret_free(q);
        secret_free(r);

        /* Other sizes are never reused: a fresh allocation is zeroed. */
        p = secret_alloc(100);
        CHECK(p && sodium_is_zero(p, 100));
        memset(p, 0x5A, 100);
        secret_free(p);
        p = secret_alloc(100);
        CHECK(p && sodium_is_zero(p, 100));
        secret_free(p);
        secret_cache_flush();
}

static void test_bounded(void) {
        unsigned char *b[40];

        /* More blocks than the table tracks at once: all usable, all freed. */
        for (size_t i = 0; i < 40; i++) {
                b[i] = secret_alloc(SECRET_BLOCK_SIZE);
                CHECK(b[i]);
                for (size_t j = 0; j < i; j++)
                        CHECK(b[j] != b[i]);
                memset(b[i], (int) i + 1, SECRET_BLOCK_SIZE);
        }
        CHECK(secret_cache_kept() == 0);
        for (size_t i = 0; i < 40; i++)
                secret_free(b[i]);
        /* Only a few are kept. */
        CHECK(secret_cache_kept() == 4);

        /* Every block handed out again is zeroed. */
        for (size_t i = 0; i < 40; i++) {
                b[i] = secret_alloc(SECRET_BLOCK_SIZE);
                CHECK(b[i] && sodium_is_zero(b[i], SECRET_BLOCK_SIZE));
        }
        CHECK(secret_cache_kept() == 0);
        for (size_t i = 0; i < 40; i++)
                secret_free(b[i]);
        secret_cache_flush();
        CHECK(secret_cache_kept() == 0);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_strings();
        test_block_reuse();
        test_bounded();
        return 0;
}
