/* SPDX-License-Identifier: MIT */
#pragma once

/* Helpers shared by oauth.c and the oauth-*.c files, and by nothing else:
 * the API is oauth.h. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "idp/oauth.h"

static inline bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline void json_wipe_putp(json_object **o) {
        oauth_json_wipe_put(*o);
}

/* 0 when absent or null, 1 with a value in [0, max], -EBADMSG otherwise. */
int oauth_json_get_uint(json_object *o, const char *key, uint64_t max, uint64_t *ret);

/* Fills *e, when e is not NULL, with error, the response's status and
 * Retry-After and a description; returns error. */
int oauth_fail(oauth_error *e, int error, const http_response *resp, const char *fmt, ...) _printf_(4, 5);
