/* SPDX-License-Identifier: MIT */
#pragma once

/* Reading one OAuth JSON answer, for the parsers in oauth-parse.c: its
 * classification by status (OAuth error object, rate limit, server error,
 * not JSON), and members read with their limits and character sets. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idp/http-fetch.h"
#include "idp/oauth-error.h"

typedef enum oauth_charset {
        CHARSET_VSCHAR_NOSPACE,         /* %x21-7E: tokens, codes */
        CHARSET_NQSCHAR,                /* RFC 6749 error, error_description */
        CHARSET_SCOPE,                  /* NQCHAR plus space */
        CHARSET_UNRESERVED,             /* RFC 3986 unreserved: URL path segments */
        CHARSET_TEXT,                   /* any UTF-8 without control characters */
        _CHARSET_MAX,
} oauth_charset;

bool oauth_string_in_charset(const char *s, oauth_charset cs);

/* Reads member key into *ret (replacing nothing on failure): checks
 * presence when required, non-emptiness and character set. 1 when read,
 * 0 when absent and not required, else fills e and returns its error. */
int oauth_get_field(json_object *o, const char *what, const char *key, size_t max,
                    bool secret, bool required, oauth_charset cs, char **ret,
                    const http_response *resp, oauth_error *e);

/* Integer member in [0, max]: 1 when read, 0 when absent and not
 * required, else fills e and returns -EBADMSG. */
int oauth_get_uint_field(json_object *o, const char *what, const char *key, uint64_t max,
                         bool required, uint64_t *ret, const http_response *resp, oauth_error *e);

/* Classifies a response. Returns 0 with the parsed JSON object (drop it
 * with json_reader_wipe_put()) for a 2xx JSON response; otherwise fills e
 * (OAuth error, rate limit, server error, rejected credentials,
 * unexpected status, not JSON) and returns its error. */
int oauth_response_json(const http_response *resp, const char *what, json_object **ret,
                        oauth_error *e);
