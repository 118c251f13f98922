/* SPDX-License-Identifier: MIT */
#pragma once

/* A small streaming JSON writer for the API's responses. json-c would
 * copy every string into its own heap; responses that carry a token are
 * built here in secret memory instead, so the token exists only in
 * buffers that are wiped. Errors are sticky: check once at the end. */

#include <stdbool.h>
#include <stdint.h>

#include "util/growbuf.h"
#include "util/util.h"

#define JSON_WRITER_DEPTH_MAX 16

typedef struct json_writer {
        growbuf out;                /* in secret memory for a secret writer */
        int error;              /* first error, sticky */
        unsigned depth;
        bool first[JSON_WRITER_DEPTH_MAX];
        bool after_key;
} json_writer;

void json_writer_init(json_writer *w, bool secret);
/* Wipes and frees the buffer unless json_writer_finish() took it. */
void json_writer_done(json_writer *w);

void json_writer_object_begin(json_writer *w);
void json_writer_object_end(json_writer *w);
void json_writer_array_begin(json_writer *w);
void json_writer_array_end(json_writer *w);
void json_writer_key(json_writer *w, const char *key);
void json_writer_string(json_writer *w, const char *s);     /* NULL writes null */
void json_writer_int(json_writer *w, int64_t v);
void json_writer_uint(json_writer *w, uint64_t v);
void json_writer_bool(json_writer *w, bool v);
void json_writer_null(json_writer *w);

/* Shorthands for "key": value. */
void json_writer_kv_string(json_writer *w, const char *key, const char *s);
void json_writer_kv_int(json_writer *w, const char *key, int64_t v);

/* Hands out the NUL-terminated document (free with free() or, for a secret
 * writer, secret_free()). Fails with the first error seen, or -EINVAL if
 * objects/arrays are left open. */
int json_writer_finish(json_writer *w, char **ret, size_t *ret_len);
