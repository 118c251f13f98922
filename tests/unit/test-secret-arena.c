/* SPDX-License-Identifier: MIT */
/* secret-arena.c: slots handed out zeroed and distinct, wiped on release,
 * slabs added when full and unmapped when empty (one kept per class), and
 * secret_alloc()/secret_free() routing small sizes through it. Under
 * AddressSanitizer, a write one byte past an allocation must be caught
 * although no guard page separates two slots. */
#include <sodium.h>
#include <string.h>
#include <sys/wait.h>

#include "util/secret-arena.h"
#include "util/secret.h"
#include "tests.h"

static void test_sizes(void) {
        static const size_t sizes[] = { 1, 31, 32, 33, 64, 100, 1000, 2047, SECRET_ARENA_MAX };
        unsigned char *p[sizeof(sizes) / sizeof(sizes[0])];

        CHECK(secret_arena_alloc(0) == NULL);
        CHECK(secret_arena_alloc(SECRET_ARENA_MAX + 1) == NULL);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                p[i] = secret_arena_alloc(sizes[i]);
                CHECK(p[i]);
                CHECK(sodium_is_zero(p[i], sizes[i]));
                memset(p[i], 0xA5, sizes[i]);
        }
        /* Every byte written belongs to its own allocation. */
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                for (size_t j = 0; j < sizes[i]; j++)
                        CHECK(p[i][j] == 0xA5);
        CHECK(secret_arena_used() == sizeof(sizes) / sizeof(sizes[0]));
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                CHECK(secret_arena_release(p[i]));
        CHECK(secret_arena_used() == 0);

        /* Not the arena's: left to the caller. */
        int on_stack;
        CHECK(!secret_arena_release(&on_stack));
        secret_arena_trim();
        CHECK(secret_arena_slabs() == 0);
}

static void test_wipe_and_reuse(void) {
        unsigned char *p, *q;

        p = secret_arena_alloc(40);
        CHECK(p);
        memset(p, 0x5A, 40);
        CHECK(secret_arena_release(p));
        /* The first free slot of the class is the one just released. */
        q = secret_arena_alloc(64);
        CHECK(q == p);
        CHECK(sodium_is_zero(q, 64));
        CHECK(secret_arena_release(q));
        secret_arena_trim();
}

static void test_slabs(void) {
        size_t n = SECRET_SLAB_SIZE / 32;
        unsigned char **p = calloc(n + 1, sizeof(*p));

        CHECK(p);
        for (size_t i = 0; i < n; i++) {
                p[i] = secret_arena_alloc(32);
                CHECK(p[i]);
        }
        CHECK(secret_arena_slabs() == 1);
        /* The slab is full: the next one starts a second. */
        p[n] = secret_arena_alloc(32);
        CHECK(p[n]);
        CHECK(secret_arena_slabs() == 2);
        for (size_t i = 0; i < n; i++)
                CHECK(p[n] != p[i]);

        /* A slot freed in the full slab is used before the new slab's. */
        CHECK(secret_arena_release(p[7]));
        p[7] = secret_arena_alloc(32);
        CHECK(p[7] && (uintptr_t) p[7] - (uintptr_t) p[0] < SECRET_SLAB_SIZE);

        /* Emptied: one empty slab is kept, the other unmapped. */
        for (size_t i = 0; i <= n; i++)
                CHECK(secret_arena_release(p[i]));
        CHECK(secret_arena_used() == 0);
        CHECK(secret_arena_slabs() == 1);
        secret_arena_trim();
        CHECK(secret_arena_slabs() == 0);
        free(p);
}

static void test_through_secret(void) {
        char *s = secret_strdup("refresh-token-value");
        unsigned char *big = secret_alloc(SECRET_ARENA_MAX + 1);

        CHECK(s && big);
        CHECK(secret_arena_used() == 1);        /* the string, not the big block */
        CHECK(sodium_is_zero(big, SECRET_ARENA_MAX + 1));
        secret_free(big);
        secret_free(s);
        CHECK(secret_arena_used() == 0);
        secret_cache_flush();
        CHECK(secret_arena_slabs() == 0);
}

#if defined(__SANITIZE_ADDRESS__)
#  define TEST_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define TEST_ASAN 1
#  endif
#endif

/* Without AddressSanitizer nothing stops the write (that is the trade-off
 * secret-arena.h states); with it, the child must die of it. */
static void test_overrun_caught(void) {
#ifdef TEST_ASAN
        pid_t pid = fork();
        int status;

        CHECK(pid >= 0);
        if (pid == 0) {
                volatile unsigned char *p = secret_arena_alloc(20);
                /* The report is expected: keep it out of the test log. */
                int fd = open("/dev/null", O_WRONLY);
                if (fd >= 0)
                        dup2(fd, STDERR_FILENO);
                p[20] = 1;
                _exit(0);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
        printf("# an overrun of an arena slot is caught under AddressSanitizer\n");
#else
        printf("# built without AddressSanitizer: the overrun check runs in the ASan build\n");
#endif
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_sizes();
        test_wipe_and_reuse();
        test_slabs();
        test_through_secret();
        test_overrun_caught();
        return 0;
}
