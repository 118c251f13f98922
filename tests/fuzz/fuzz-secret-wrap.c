/* SPDX-License-Identifier: MIT */

/* Linked with -Wl,--wrap=sodium_malloc,--wrap=sodium_free: secret.c's
 * sodium_malloc()/sodium_free() come here and become plain malloc()/free().
 * sodium_malloc() memory is mmap'ed, so ASan cannot see overflows inside
 * it and LeakSanitizer cannot see it leak; every token, key and client
 * secret the parsers allocate lives there. On the ASan heap both are
 * checked, and it is much faster. The live count lets a harness assert
 * that nothing secret is left after an input. */

#include "fuzz.h"
#include "util/secret.h"

void *__wrap_sodium_malloc(size_t size);
void __wrap_sodium_free(void *p);

static size_t live;

void *__wrap_sodium_malloc(size_t size) {
        void *p = malloc(size > 0 ? size : 1);

        if (p)
                live++;
        return p;
}

void __wrap_sodium_free(void *p) {
        if (!p)
                return;
        FUZZ_CHECK(live > 0, "sodium_free() of a block never allocated");
        live--;
        free(p);
}

size_t fuzz_secret_live(void) {
        /* Wiped blocks kept for reuse are not left over from an input. */
        secret_cache_flush();
        return live;
}
