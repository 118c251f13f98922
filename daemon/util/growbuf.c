/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/growbuf.h"
#include "util/secret.h"
#include "util/util.h"

#define GROWBUF_INITIAL_DEFAULT 256U

void growbuf_init(growbuf *b, size_t max, bool secret) {
        *b = GROWBUF_INIT(max, secret);
}

void growbuf_set_initial(growbuf *b, size_t initial) {
        b->initial = initial;
}

static void release(growbuf *b, char *p, size_t cap) {
        if (!p)
                return;
        if (b->secret)
                secret_free(p);         /* wipes */
        else {
                sodium_memzero(p, cap);
                free(p);
        }
}

int growbuf_reserve(growbuf *b, size_t n) {
        size_t need, cap, limit;
        char *p;

        /* The NUL needs a byte too: a max of SIZE_MAX allows one less. */
        if (n > b->max || b->len > b->max - n || b->len + n == SIZE_MAX)
                return -E2BIG;
        need = b->len + n + 1;
        if (need <= b->cap)
                return 0;

        limit = b->max < SIZE_MAX ? b->max + 1 : SIZE_MAX;
        cap = MAX(b->cap, b->initial > 0 ? b->initial : (size_t) GROWBUF_INITIAL_DEFAULT);
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        cap = MIN(cap, limit);

        /* Never realloc(): the old block may hold a secret and must be
         * wiped, which realloc() would not do. */
        p = b->secret ? secret_alloc(cap) : malloc(cap);
        if (!p)
                return -ENOMEM;
        if (b->data)
                memcpy(p, b->data, b->len + 1);
        else
                p[0] = '\0';
        release(b, b->data, b->cap);
        b->data = p;
        b->cap = cap;
        return 0;
}

int growbuf_append(growbuf *b, const void *p, size_t n) {
        int r;

        r = growbuf_reserve(b, n);
        if (r < 0)
                return r;
        if (n > 0)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int growbuf_append_str(growbuf *b, const char *s) {
        return growbuf_append(b, s, strlen(s));
}

char *growbuf_steal(growbuf *b, size_t *ret_len) {
        char *p = b->data;

        if (ret_len)
                *ret_len = b->len;
        b->data = NULL;
        b->len = b->cap = 0;
        return p;
}

void growbuf_done(growbuf *b) {
        release(b, b->data, b->cap);
        b->data = NULL;
        b->len = b->cap = 0;
}
