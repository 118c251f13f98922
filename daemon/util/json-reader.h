/* SPDX-License-Identifier: MIT */
#pragma once

/* Strict JSON for documents a peer controls (an identity provider's
 * answers, a request body): json-c's tokener with a depth limit, STRICT
 * mode and UTF-8 validation, the whole input and nothing after it but
 * whitespace. Documents may carry secrets, so json-c's parse buffer is
 * wiped, and json_reader_wipe_put() wipes every string of a tree before
 * releasing it. Never logs. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deeper limits buy nothing for the documents we read and let a peer make
 * json-c allocate and recurse more. */
#define JSON_READER_DEPTH_MAX 64U

/* Parses text[0..size) (no NUL terminator needed) as one JSON value
 * nested at most max_depth levels, 1..JSON_READER_DEPTH_MAX (json-c
 * counts every value: {} is 1, {"a":1} is 2, {"a":{"b":1}} is 3). Only
 * whitespace may follow the value. A bare number, true, false or null
 * at the top is refused: json-c cannot tell where it ends without a
 * terminator, and no document we read is one.
 * Returns 0 and *ret (drop it with json_reader_wipe_put()), -EBADMSG for
 * anything else (empty, too long for json-c, malformed, too deep, bad
 * UTF-8, trailing bytes), -EINVAL, -ENOMEM. */
int json_reader_parse(const char *text, size_t size, unsigned max_depth, json_object **ret);

/* The same, and the top-level value must be an object (-EBADMSG if not). */
int json_reader_parse_object(const char *text, size_t size, unsigned max_depth, json_object **ret);

/* Wipes every string value in the tree, then drops the reference. NULL-safe. */
void json_reader_wipe_put(json_object *o);

static inline void json_reader_wipe_putp(json_object **o) {
        json_reader_wipe_put(*o);
}

static inline bool json_reader_is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Optional string member of object o: 0 when absent or null, 1 with *ret
 * (a copy, in secret memory when secret, else malloc) when a string of
 * 0..max bytes without NUL bytes, -EBADMSG for anything else, -ENOMEM. */
int json_reader_get_string(json_object *o, const char *key, size_t max, bool secret, char **ret);

/* Optional integer member of object o: 0 when absent or null, 1 with a
 * value in [0, max], -EBADMSG for anything else. */
int json_reader_get_uint(json_object *o, const char *key, uint64_t max, uint64_t *ret);
