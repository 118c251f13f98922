/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/list.h"
#include "util/secret-arena.h"

#if defined(__SANITIZE_ADDRESS__)
#  define ARENA_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define ARENA_ASAN 1
#  endif
#endif
#ifdef ARENA_ASAN
#  include <sanitizer/asan_interface.h>
#  define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#  define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#  define POISON(p, n) ((void) (p), (void) (n))
#  define UNPOISON(p, n) ((void) (p), (void) (n))
#endif

#define CLASS_MIN_SHIFT 5U                              /* 32 bytes */
#define CLASS_MAX_SHIFT 11U                             /* SECRET_ARENA_MAX */
#define N_CLASSES (CLASS_MAX_SHIFT - CLASS_MIN_SHIFT + 1U)
#define SLOTS_MAX (SECRET_SLAB_SIZE >> CLASS_MIN_SHIFT)
#define WORD_BITS 64U

_Static_assert(SECRET_ARENA_MAX == 1U << CLASS_MAX_SHIFT, "SECRET_ARENA_MAX is the largest class");
_Static_assert(SLOTS_MAX % WORD_BITS == 0, "whole bitmap words");

typedef struct slab slab;
struct slab {
        unsigned char *base;            /* SECRET_SLAB_SIZE bytes of sodium_malloc() memory */
        unsigned shift;                 /* slot size is 1 << shift */
        unsigned used;
        uint64_t busy[SLOTS_MAX / WORD_BITS];   /* bit set: slot in use */
        LIST_FIELDS(slab, slabs);
};

/* Per class, the slabs with a free slot come first, full ones last, so an
 * allocation looks at the head only. */
static struct {
        LIST_HEAD(slab, slabs);
        unsigned empty;                 /* slabs with no slot in use */
} classes[N_CLASSES];

static unsigned slots_of(const slab *s) {
        return SECRET_SLAB_SIZE >> s->shift;
}

static unsigned class_of(size_t n) {
        unsigned shift = CLASS_MIN_SHIFT;

        while ((1U << shift) < n)
                shift++;
        return shift - CLASS_MIN_SHIFT;
}

static slab *slab_new(unsigned shift) {
        slab *s = calloc(1, sizeof(*s));

        if (!s)
                return NULL;
        s->base = sodium_malloc(SECRET_SLAB_SIZE);
        if (!s->base) {
                free(s);
                return NULL;
        }
        sodium_memzero(s->base, SECRET_SLAB_SIZE);  /* libsodium fills it with 0xdb */
        POISON(s->base, SECRET_SLAB_SIZE);
        s->shift = shift;
        return s;
}

static void slab_free(unsigned c, slab *s) {
        LIST_REMOVE(slabs, classes[c].slabs, s);
        UNPOISON(s->base, SECRET_SLAB_SIZE);
        sodium_free(s->base);                   /* wipes it all */
        free(s);
}

/* The first free slot of s, which has one. */
static unsigned slab_take(slab *s) {
        unsigned n = slots_of(s);

        for (unsigned w = 0; w * WORD_BITS < n; w++) {
                uint64_t word = s->busy[w];

                if (n - w * WORD_BITS < WORD_BITS)      /* slots past the end count as busy */
                        word |= ~UINT64_C(0) << (n - w * WORD_BITS);
                if (word == ~UINT64_C(0))
                        continue;
                unsigned bit = (unsigned) __builtin_ctzll(~word);
                s->busy[w] |= UINT64_C(1) << bit;
                s->used++;
                return w * WORD_BITS + bit;
        }
        abort();        /* the caller checked s->used < slots_of(s) */
}

void *secret_arena_alloc(size_t n) {
        unsigned c;
        slab *s;
        unsigned char *p;

        if (n == 0 || n > SECRET_ARENA_MAX)
                return NULL;
        c = class_of(n);
        s = classes[c].slabs_head;
        if (!s || s->used == slots_of(s)) {
                s = slab_new(c + CLASS_MIN_SHIFT);
                if (!s)
                        return NULL;
                LIST_PREPEND(slabs, classes[c].slabs, s);
        } else if (s->used == 0)
                classes[c].empty--;

        p = s->base + ((size_t) slab_take(s) << s->shift);
        if (s->used == slots_of(s)) {           /* full: to the back */
                LIST_REMOVE(slabs, classes[c].slabs, s);
                LIST_APPEND(slabs, classes[c].slabs, s);
        }
        UNPOISON(p, n);
        return p;                               /* zeroed: wiped when released */
}

static slab *slab_of(const void *p, unsigned *ret_class) {
        uintptr_t a = (uintptr_t) p;
        slab *s;

        for (unsigned c = 0; c < N_CLASSES; c++)
                LIST_FOREACH(slabs, s, classes[c].slabs_head)
                        if (a >= (uintptr_t) s->base && a - (uintptr_t) s->base < SECRET_SLAB_SIZE) {
                                *ret_class = c;
                                return s;
                        }
        return NULL;
}

bool secret_arena_release(void *p) {
        unsigned c, i;
        size_t off;
        slab *s;

        s = slab_of(p, &c);
        if (!s)
                return false;
        off = (size_t) ((unsigned char *) p - s->base);
        i = (unsigned) (off >> s->shift);
        if (off != (size_t) i << s->shift || !(s->busy[i / WORD_BITS] & (UINT64_C(1) << (i % WORD_BITS))))
                abort();        /* not the start of a live slot: a double or wild free */

        UNPOISON(p, (size_t) 1 << s->shift);
        sodium_memzero(p, (size_t) 1 << s->shift);
        POISON(p, (size_t) 1 << s->shift);
        if (s->used == slots_of(s)) {           /* has a free slot again: to the front */
                LIST_REMOVE(slabs, classes[c].slabs, s);
                LIST_PREPEND(slabs, classes[c].slabs, s);
        }
        s->busy[i / WORD_BITS] &= ~(UINT64_C(1) << (i % WORD_BITS));
        s->used--;
        if (s->used == 0) {
                /* One empty slab per class is kept for the next allocation. */
                if (classes[c].empty > 0)
                        slab_free(c, s);
                else
                        classes[c].empty++;
        }
        return true;
}

void secret_arena_trim(void) {
        slab *s, *n;

        for (unsigned c = 0; c < N_CLASSES; c++) {
                LIST_FOREACH_SAFE(slabs, s, n, classes[c].slabs_head)
                        if (s->used == 0)
                                slab_free(c, s);
                classes[c].empty = 0;
        }
}

size_t secret_arena_slabs(void) {
        size_t k = 0;
        slab *s;

        for (unsigned c = 0; c < N_CLASSES; c++)
                LIST_FOREACH(slabs, s, classes[c].slabs_head)
                        k++;
        return k;
}

size_t secret_arena_used(void) {
        size_t k = 0;
        slab *s;

        for (unsigned c = 0; c < N_CLASSES; c++)
                LIST_FOREACH(slabs, s, classes[c].slabs_head)
                        k += s->used;
        return k;
}
