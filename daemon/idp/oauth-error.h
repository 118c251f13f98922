/* SPDX-License-Identifier: MIT */
#pragma once

/* How a request to the identity provider or the API failed: the
 * classification every OAuth parser and operation reports. */

#include <stdbool.h>
#include <stdint.h>

#include "idp/http-fetch.h"
#include "util/util.h"

/* Peer-controlled sizes. */
#define OAUTH_ERROR_CODE_MAX ((size_t) 128)
#define OAUTH_ERROR_DESCRIPTION_MAX ((size_t) 512)

/* What went wrong with a request to the IdP or the API. error is the
 * negative errno that classifies it:
 *   -EACCES    the server answered with an OAuth error (code set), or
 *              401/403 from the userinfo endpoint
 *   -EBUSY     429 Too Many Requests (see retry_after)
 *   -EIO       5xx server error (see retry_after)
 *   -EBADMSG   malformed or unexpected response (bad JSON, wrong types,
 *              HTML, limits exceeded, unexpected status)
 *   anything from http_fetch (-ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EFBIG...)
 * code: the OAuth "error" value (RFC 6749 §5.2 charset checked) or NULL.
 * description: the server's error_description (non-printable bytes
 * replaced, truncated) or our own explanation; never contains a secret. */
typedef struct oauth_error {
        int error;
        char *code;
        char *description;
        long http_status;               /* 0 when no response arrived */
        bool has_retry_after;
        uint64_t retry_after_sec;
} oauth_error;

void oauth_error_done(oauth_error *e);

typedef enum oauth_error_code {
        OAUTH_ERROR_NONE,               /* no OAuth error code given */
        OAUTH_ERROR_OTHER,              /* a code not listed here */
        OAUTH_ERROR_INVALID_REQUEST,
        OAUTH_ERROR_INVALID_CLIENT,
        OAUTH_ERROR_INVALID_GRANT,
        OAUTH_ERROR_UNAUTHORIZED_CLIENT,
        OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE,
        OAUTH_ERROR_INVALID_SCOPE,
        OAUTH_ERROR_ACCESS_DENIED,
        OAUTH_ERROR_AUTHORIZATION_PENDING,
        OAUTH_ERROR_SLOW_DOWN,
        OAUTH_ERROR_EXPIRED_TOKEN,
        OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE,
        OAUTH_ERROR_TEMPORARILY_UNAVAILABLE,
        OAUTH_ERROR_SERVER_ERROR,
        _OAUTH_ERROR_CODE_MAX,
} oauth_error_code;

oauth_error_code oauth_error_code_from_string(const char *s);   /* NULL → NONE */
/* True for failures worth retrying later with the same grant: transport
 * errors, 429, 5xx, temporarily_unavailable/server_error. False for OAuth
 * rejections and malformed responses. */
bool oauth_error_is_transient(const oauth_error *e);

/* Fills *e, when e is not NULL, with error, the response's status and
 * Retry-After and a description; returns error. */
int oauth_fail(oauth_error *e, int error, const http_response *resp, const char *fmt, ...) _printf_(4, 5);
