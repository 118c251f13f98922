/* SPDX-License-Identifier: MIT */
#pragma once

/* A growable byte buffer with a ceiling, after OpenSSH's sshbuf: appends
 * past max fail with -E2BIG instead of growing without end, the contents
 * stay NUL-terminated, and the memory is wiped when it is released or
 * outgrown. A secret buffer lives in secret memory (secret.h), which
 * cannot be realloc()ed: it grows by copying into a bigger block. */

#include <stdbool.h>
#include <stddef.h>

typedef struct growbuf {
        char *data;             /* NULL until the first append */
        size_t len;
        size_t cap;
        size_t max;             /* largest len allowed */
        size_t initial;         /* first allocation, at least */
        bool secret;
} growbuf;

#define GROWBUF_INIT(max_, secret_) ((growbuf) { .max = (max_), .secret = (secret_) })

void growbuf_init(growbuf *b, size_t max, bool secret);

/* The first allocation (default 256 bytes), e.g. one whole secret block. */
void growbuf_set_initial(growbuf *b, size_t initial);

/* Room for n more bytes (plus the NUL). -E2BIG past max, -ENOMEM. */
int growbuf_reserve(growbuf *b, size_t n);
int growbuf_append(growbuf *b, const void *p, size_t n);
int growbuf_append_str(growbuf *b, const char *s);

/* Hands the contents to the caller (free() it, or secret_free() for a
 * secret buffer; never NULL after an append) and empties b. */
char *growbuf_steal(growbuf *b, size_t *ret_len);

/* Wipes and frees the contents; b can be used again. */
void growbuf_done(growbuf *b);
