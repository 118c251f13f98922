/* SPDX-License-Identifier: MIT */
#pragma once

/* One HTTP request and its response, asynchronously on a curl_glue. Built
 * for talking to an OAuth identity provider: JSON responses, form bodies
 * and credentials that are secrets, strict TLS, no redirects, bounded
 * sizes and times. Never logs. */

#include <stdint.h>

#include "glue/curl-glue.h"
#include "idp/http-common.h"
#include "util/util.h"

#define HTTP_FETCH_DEFAULT_MAX_BODY ((size_t) 1024 * 1024)

typedef enum http_method {
        HTTP_METHOD_GET,
        HTTP_METHOD_POST,
        _HTTP_METHOD_MAX,
} http_method;

typedef struct http_request {
        http_method method;
        const char *url;                /* http or https only */
        /* POST body, already application/x-www-form-urlencoded. Copied into
         * secret memory at start; may be NULL for an empty body. */
        const char *form_body;
        /* Secrets, copied at start: sent as "Authorization: Bearer ..." or
         * "Authorization: Basic ..." (the latter already base64, built by
         * the caller, e.g. oauth_basic_credentials()). At most one. */
        const char *bearer_token;
        const char *basic_credentials;
        uint64_t timeout_usec;          /* whole transfer; 0: 30 s */
        size_t max_body;                /* response cap; 0: 1 MiB */
} http_request;

typedef struct http_response {
        long status;                    /* HTTP status code */
        const char *content_type;       /* NULL when absent */
        /* NUL-terminated, in secret memory owned by the fetch: valid until
         * the fetch is freed. May contain NUL bytes; body_size counts all. */
        const char *body;
        size_t body_size;
        bool has_retry_after;
        uint64_t retry_after_sec;       /* capped at HTTP_FETCH_MAX_RETRY_AFTER_SEC */
} http_response;

typedef struct http_fetch http_fetch;

/* Called exactly once unless the fetch is freed first. error is 0 and
 * response set when an HTTP response arrived (whatever its status);
 * otherwise error is a negative errno and response NULL:
 *   -ETIMEDOUT     connect or transfer timeout
 *   -ECONNREFUSED  connection refused (or another connect errno)
 *   -EHOSTUNREACH  name resolution failed
 *   -EPROTO        TLS failure (handshake, certificate, host name)
 *   -EFBIG         response body over the cap
 *   -ECONNRESET    connection lost mid-way
 *   -EBADMSG       not a valid HTTP response
 *   -EINVAL        bad URL or protocol
 *   -ENOMEM, -EIO  the rest
 * message is a short fixed text without secrets, for logs. The callback
 * may free f and any other fetch. */
typedef void (*http_fetch_callback_t)(http_fetch *f, int error, const char *message,
                                      const http_response *response, void *userdata);

/* Starts the request. The caller owns *ret and must free it, at the latest
 * after the callback (freeing it earlier cancels the request). */
int http_fetch_start(curl_glue *g, const http_request *req,
                     http_fetch_callback_t callback, void *userdata, http_fetch **ret);
/* Cancels if still running, wipes every secret. NULL-safe. */
http_fetch *http_fetch_free(http_fetch *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(http_fetch *, http_fetch_free);
