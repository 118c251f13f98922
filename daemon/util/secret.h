/* SPDX-License-Identifier: MIT */
#pragma once

/* Secrets (tokens, client secrets, the store key) live in sodium_malloc
 * memory: guard pages, mlock where the limit allows, excluded from core
 * dumps, wiped on free. Allocations of up to SECRET_ARENA_MAX bytes share
 * slabs of such memory (secret-arena.h); larger ones get a region each.
 * Every secret string in the daemon is allocated here and freed with
 * secret_free(). */

#include <stddef.h>

#include "util/util.h"

/* The size of a token answer's buffer: allocations of exactly this size
 * are reused after a wipe instead of being unmapped (see secret.c). */
#define SECRET_BLOCK_SIZE 4096U

char *secret_strdup(const char *s);
char *secret_strndup(const char *s, size_t n);
void *secret_alloc(size_t n);          /* zeroed */
void *secret_free(void *p);            /* NULL-safe, returns NULL */
/* Unmaps the wiped blocks kept for reuse and the empty slabs (at exit,
 * and for leak checks). */
void secret_cache_flush(void);
/* How many wiped blocks are kept for reuse now. */
size_t secret_cache_kept(void);
static inline void secret_freep(void *p) {
        secret_free(*(void **) p);
}

/* Constant-time comparison of two NUL-terminated strings whose lengths are
 * not secret. */
bool secret_streq(const char *a, const char *b);
