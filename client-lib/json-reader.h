/* SPDX-License-Identifier: MIT */
#pragma once

/* A small strict JSON reader (RFC 8259) private to libtessera and the
 * tessera command, so that applications linking libtessera do not pull in
 * json-c. It parses in place: strings are decoded into the input buffer,
 * which therefore must stay alive (and be wiped by its owner if it held a
 * secret) as long as the tree is used. Nesting depth and node count are
 * bounded; embedded NULs, invalid UTF-8, unpaired surrogates, leading zeros
 * and trailing garbage are rejected. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_DEPTH 32
#define JR_MAX_NODES 65536

typedef enum {
        JR_NULL,
        JR_FALSE,
        JR_TRUE,
        JR_NUMBER,
        JR_STRING,
        JR_ARRAY,
        JR_OBJECT,
} jr_type;

typedef struct jr_node jr_node;
struct jr_node {
        jr_type type;
        const char *key;        /* member name inside an object, else NULL */
        const char *str;        /* JR_STRING: decoded, NUL-terminated; JR_NUMBER: raw text (not terminated) */
        size_t len;             /* bytes in str */
        bool is_int;            /* JR_NUMBER that fits int64_t and has no fraction/exponent */
        int64_t i;
        jr_node *child;         /* first element/member of arrays and objects */
        jr_node *next;          /* next sibling */
        size_t n_children;
};

typedef struct jr_doc jr_doc;

/* buf[len] must be a writable buffer of len bytes (no terminator needed).
 * Returns 0, -EINVAL for malformed input, -E2BIG when a limit is hit,
 * -ENOMEM. */
int jr_parse(char *buf, size_t len, jr_doc **ret);
jr_doc *jr_doc_free(jr_doc *d);
const jr_node *jr_root(const jr_doc *d);

/* Lookups that return NULL/false when the member is absent or of another type. */
const jr_node *jr_get(const jr_node *obj, const char *key);
const char *jr_get_string(const jr_node *obj, const char *key);
bool jr_get_int(const jr_node *obj, const char *key, int64_t *ret);
