/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>

#include "util/json-writer.h"
#include "util/secret.h"

#define JSON_WRITER_SIZE_MAX (16U * 1024U * 1024U)

void json_writer_init(json_writer *w, bool secret) {
        *w = (json_writer) {
                .out = GROWBUF_INIT(JSON_WRITER_SIZE_MAX, secret),
                .first[0] = true,
        };
        /* A token answer fits in the first secret buffer: each sodium
         * allocation costs guard pages and system calls. */
        if (secret)
                growbuf_set_initial(&w->out, SECRET_BLOCK_SIZE);
}

void json_writer_done(json_writer *w) {
        growbuf_done(&w->out);
}

static void put(json_writer *w, const char *s, size_t n) {
        if (w->error)
                return;
        w->error = growbuf_append(&w->out, s, n);
}

static void put_str(json_writer *w, const char *s) {
        put(w, s, strlen(s));
}

/* Emits the separator a new value needs at the current nesting level. */
static void value_prefix(json_writer *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (!w->first[w->depth])
                put(w, ",", 1);
        w->first[w->depth] = false;
}

static void open_level(json_writer *w, char c) {
        value_prefix(w);
        if (w->depth + 1 >= JSON_WRITER_DEPTH_MAX) {
                if (!w->error)
                        w->error = -E2BIG;
                return;
        }
        put(w, &c, 1);
        w->depth++;
        w->first[w->depth] = true;
}

static void close_level(json_writer *w, char c) {
        if (w->depth == 0) {
                if (!w->error)
                        w->error = -EINVAL;
                return;
        }
        w->depth--;
        put(w, &c, 1);
}

void json_writer_object_begin(json_writer *w) {
        open_level(w, '{');
}

void json_writer_object_end(json_writer *w) {
        close_level(w, '}');
}

void json_writer_array_begin(json_writer *w) {
        open_level(w, '[');
}

void json_writer_array_end(json_writer *w) {
        close_level(w, ']');
}

/* Bytes repeated in each lane of a 64-bit word. */
#define LANES(b) (UINT64_C(0x0101010101010101) * (uint8_t) (b))

/* True if any of the 8 bytes in x needs escaping in a JSON string: a
 * control character, '"', '\\' or DEL (the classic "has zero byte" and
 * "has byte less than n" bit tricks). */
static bool word_needs_escape(uint64_t x) {
        uint64_t high = LANES(0x80);
        uint64_t lt_space = (x - LANES(0x20)) & ~x & high;
        uint64_t q = x ^ LANES('"'), b = x ^ LANES('\\'), d = x ^ LANES(0x7f);

        return lt_space |
                ((q - LANES(1)) & ~q & high) |
                ((b - LANES(1)) & ~b & high) |
                ((d - LANES(1)) & ~d & high);
}

static void put_quoted(json_writer *w, const char *s) {
        static const char hex[] = "0123456789abcdef";
        size_t len = strlen(s), run = 0, i = 0;

        put(w, "\"", 1);
        while (i < len) {
                unsigned char c;
                char esc[7];
                size_t n;

                /* Tokens are long and never need escaping: skip clean words
                 * eight bytes at a time. */
                if (len - i >= 8) {
                        uint64_t x;

                        memcpy(&x, s + i, 8);
                        if (!word_needs_escape(x)) {
                                i += 8;
                                continue;
                        }
                }

                c = (unsigned char) s[i];
                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char) c;
                        n = 2;
                } else if (c < 0x20 || c == 0x7f) {
                        esc[0] = '\\';
                        esc[1] = 'u';
                        esc[2] = '0';
                        esc[3] = '0';
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 0xf];
                        n = 6;
                } else {
                        i++;
                        continue;
                }

                put(w, s + run, i - run);
                put(w, esc, n);
                run = ++i;
        }
        put(w, s + run, len - run);
        put(w, "\"", 1);
}

void json_writer_key(json_writer *w, const char *key) {
        value_prefix(w);
        put_quoted(w, key);
        put(w, ":", 1);
        w->after_key = true;
}

void json_writer_string(json_writer *w, const char *s) {
        if (!s) {
                json_writer_null(w);
                return;
        }
        value_prefix(w);
        put_quoted(w, s);
}

void json_writer_int(json_writer *w, int64_t v) {
        char b[24];

        value_prefix(w);
        (void) snprintf(b, sizeof b, "%" PRIi64, v);
        put_str(w, b);
}

void json_writer_uint(json_writer *w, uint64_t v) {
        char b[24];

        value_prefix(w);
        (void) snprintf(b, sizeof b, "%" PRIu64, v);
        put_str(w, b);
}

void json_writer_bool(json_writer *w, bool v) {
        value_prefix(w);
        put_str(w, v ? "true" : "false");
}

void json_writer_null(json_writer *w) {
        value_prefix(w);
        put_str(w, "null");
}

void json_writer_kv_string(json_writer *w, const char *key, const char *s) {
        json_writer_key(w, key);
        json_writer_string(w, s);
}

void json_writer_kv_int(json_writer *w, const char *key, int64_t v) {
        json_writer_key(w, key);
        json_writer_int(w, v);
}

int json_writer_finish(json_writer *w, char **ret, size_t *ret_len) {
        if (w->error)
                return w->error;
        if (w->depth != 0 || w->after_key)
                return -EINVAL;
        if (!w->out.data) {
                put(w, "", 0);
                if (w->error)
                        return w->error;
        }
        *ret = growbuf_steal(&w->out, ret_len);
        return 0;
}
