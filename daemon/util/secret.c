/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <string.h>

#include "util/secret-arena.h"
#include "util/secret.h"

/* Every token answer is built in one secret buffer of SECRET_BLOCK_SIZE
 * bytes (json-writer.c). A sodium_malloc()/sodium_free() pair costs ten
 * system calls that rewrite the page tables (mmap, mprotect of the guard
 * pages, mlock, madvise, and back), which was most of the daemon's time
 * for a cached token. Released buffers of that one size are wiped and kept
 * for reuse instead, a few at most: they stay guarded, locked and out of
 * core dumps. The daemon has one thread, so the table needs no lock. */
#define SECRET_CACHE_SLOTS 16U
#define SECRET_CACHE_KEEP 4U

static struct {
        void *p;
        bool in_use;
} cache[SECRET_CACHE_SLOTS];

static void *cache_take(void) {
        for (size_t i = 0; i < SECRET_CACHE_SLOTS; i++)
                if (cache[i].p && !cache[i].in_use) {
                        cache[i].in_use = true;
                        return cache[i].p;      /* wiped when it was released */
                }
        return NULL;
}

static void cache_track(void *p) {
        for (size_t i = 0; i < SECRET_CACHE_SLOTS; i++)
                if (!cache[i].p) {
                        cache[i].p = p;
                        cache[i].in_use = true;
                        return;
                }
        /* All slots taken: p is an ordinary secret allocation. */
}

size_t secret_cache_kept(void) {
        size_t n = 0;

        for (size_t i = 0; i < SECRET_CACHE_SLOTS; i++)
                n += cache[i].p && !cache[i].in_use;
        return n;
}

/* Returns true if p was a cached block, now released. */
static bool cache_release(void *p) {
        for (size_t i = 0; i < SECRET_CACHE_SLOTS; i++) {
                if (cache[i].p != p)
                        continue;
                if (secret_cache_kept() < SECRET_CACHE_KEEP) {
                        sodium_memzero(p, SECRET_BLOCK_SIZE);
                        cache[i].in_use = false;
                } else {
                        sodium_free(p);
                        cache[i].p = NULL;
                }
                return true;
        }
        return false;
}

void secret_cache_flush(void) {
        for (size_t i = 0; i < SECRET_CACHE_SLOTS; i++)
                if (cache[i].p && !cache[i].in_use) {
                        sodium_free(cache[i].p);
                        cache[i].p = NULL;
                }
        secret_arena_trim();
}

void *secret_alloc(size_t n) {
        void *p;

        if (n == SECRET_BLOCK_SIZE) {
                p = cache_take();
                if (p)
                        return p;
        }
        if (n == 0)
                n = 1;
        if (n <= SECRET_ARENA_MAX)
                return secret_arena_alloc(n);   /* zeroed */
        p = sodium_malloc(n);
        if (!p)
                return NULL;
        sodium_memzero(p, n);
        if (n == SECRET_BLOCK_SIZE)
                cache_track(p);
        return p;
}

char *secret_strndup(const char *s, size_t n) {
        char *p;

        if (!s)
                return NULL;
        n = strnlen(s, n);
        if (n == SIZE_MAX)
                return NULL;
        p = secret_alloc(n + 1);
        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *secret_strdup(const char *s) {
        return s ? secret_strndup(s, strlen(s)) : NULL;
}

void *secret_free(void *p) {
        /* Both wipe; sodium_free() wipes the whole region before unmapping it. */
        if (p && !cache_release(p) && !secret_arena_release(p))
                sodium_free(p);
        return NULL;
}

bool secret_streq(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);

        if (la != lb)
                return false;
        return sodium_memcmp(a, b, la) == 0;
}
