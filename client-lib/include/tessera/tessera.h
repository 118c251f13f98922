/* SPDX-License-Identifier: MIT */
#pragma once

/* libtessera: obtain GipoNext bearer tokens from the local tesserad daemon.
 *
 *   #include <tessera/tessera.h>
 *   cc app.c $(pkg-config --cflags --libs tessera)
 *
 * The library speaks HTTP/1.1 to tesserad over its Unix socket with its own
 * small client (no libcurl): an application does not pull in a TLS stack or
 * curl_global_init()'s thread-safety caveats, and a call for a token the
 * daemon has cached costs little more than one socket round trip, because
 * idle connections are kept alive and reused.
 *
 * Rules that hold for every function:
 *  - 0 on success or a negative TESSERA_E_* code; output parameters (ret_*)
 *    are written only on success.
 *  - A tessera_client may be shared by any number of threads. There is no
 *    global state and the library never logs or prints.
 *  - Each call that talks to the daemon is bounded by a timeout covering
 *    connect, write and read (tessera_client_set_timeout(), default 30 s).
 *  - Token memory is wiped when it is freed.
 *  - After fork() the child must not use a client that another thread of
 *    the parent was using at the time of the fork; the child never reuses
 *    the parent's pooled connections.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tessera_client tessera_client;
typedef struct tessera_token tessera_token;

enum {
        TESSERA_E_INVALID         = -1,  /* bad argument, e.g. an account name outside [A-Za-z0-9_.-]{1,64}; HTTP 400/413 */
        TESSERA_E_LOGIN_REQUIRED  = -2,  /* the account has no usable token: run "tessera login ACCOUNT" (HTTP 401) */
        TESSERA_E_FORBIDDEN       = -3,  /* the caller may not use this account or the socket (HTTP 403, EACCES on connect) */
        TESSERA_E_NO_ACCOUNT      = -4,  /* no such account (HTTP 404) */
        TESSERA_E_UNAVAILABLE     = -5,  /* tesserad cannot be reached (no socket, connection refused) */
        TESSERA_E_IDP_UNAVAILABLE = -6,  /* no valid token and the identity provider cannot be reached (HTTP 503) */
        TESSERA_E_TIMEOUT         = -7,  /* the call did not complete within its timeout */
        TESSERA_E_PROTOCOL        = -8,  /* the daemon answered something this library does not understand */
        TESSERA_E_NOMEM           = -9,  /* out of memory */
        TESSERA_E_BUSY            = -10, /* a login for this account is already in progress (HTTP 409) */
        TESSERA_E_FAILED          = -11, /* any other failure reported by the daemon (e.g. HTTP 500) */
        TESSERA_E_TOO_LARGE       = -12, /* a gateway request or response body exceeds its limit (since 1.1) */
};

/* Default socket when neither the argument nor $TESSERA_SOCKET names one. */
#define TESSERA_DEFAULT_SOCKET "/run/tessera/api.sock"

/* Does not connect yet: the first call does. socket_path NULL or "":
 * $TESSERA_SOCKET, else TESSERA_DEFAULT_SOCKET. */
int tessera_client_new(const char *socket_path, tessera_client **ret);
tessera_client *tessera_client_free(tessera_client *c);          /* NULL-safe, returns NULL */

/* Default timeout for the calls of this client, in milliseconds (> 0). */
int tessera_client_set_timeout(tessera_client *c, unsigned timeout_ms);
const char *tessera_client_get_socket_path(const tessera_client *c);

/* A bearer token valid for at least min_valid_s seconds (0: the daemon's
 * default, 10 s). account NULL: "default". */
int tessera_get_token(tessera_client *c, const char *account,
                      unsigned min_valid_s, tessera_token **ret);
/* Same with an explicit timeout for this call (0: the client's default). */
int tessera_get_token_timeout(tessera_client *c, const char *account,
                              unsigned min_valid_s, unsigned timeout_ms,
                              tessera_token **ret);

const char *tessera_token_value(const tessera_token *t);          /* the bearer token */
int64_t     tessera_token_expires_at(const tessera_token *t);     /* unix seconds */
const char *tessera_token_tenant(const tessera_token *t);         /* may be NULL */
const char *tessera_token_type(const tessera_token *t);           /* "Bearer" */
const char *tessera_token_scope(const tessera_token *t);          /* may be NULL */
tessera_token *tessera_token_free(tessera_token *t);              /* wipes, NULL-safe */

const char *tessera_strerror(int err);

/* Generic request to the daemon's HTTP API (see tesserad's documentation).
 * method: an upper-case token such as "GET" or "POST"; path: starts with
 * '/', no spaces or control characters; json_body may be NULL; timeout_ms 0
 * means the client's default. Returns 0 whenever a complete HTTP response
 * arrived, whatever its status: *ret_http_status gets the status and
 * *ret_body (may be NULL if not wanted) a NUL-terminated copy of the body,
 * to be released with tessera_free(). Negative TESSERA_E_* only when no
 * response could be obtained. */
int tessera_request(tessera_client *c, const char *method, const char *path,
                    const char *json_body, unsigned timeout_ms,
                    int *ret_http_status, char **ret_body);

/* Wipes (up to its first NUL) and frees a string or body returned by this
 * library. NULL-safe, returns NULL. */
char *tessera_free(char *s);

/* Maps a daemon error response (HTTP status and its "error" field, which
 * may be NULL) to a TESSERA_E_* code; 0 for a 2xx status. */
int tessera_error_from_http(int http_status, const char *error_code);

/* 1 if name is a valid account name ([A-Za-z0-9_.-]{1,64}), else 0. */
int tessera_account_name_is_valid(const char *name);

/* ---- GipoNext API gateway (LIBTESSERA_1.1) --------------------------------
 *
 * tesserad forwards a request to the GipoNext API of an account and adds the
 * account's bearer token itself: the application never holds the token.
 *
 * path beginning with '/' (and more than "/") is an API path:
 *     "/v2/userinfo"      -> {api_base}/v2/userinfo
 * any other path is relative to the tenant of the account's login:
 *     "patients?limit=10" -> {api_base}/v2/tenants/{tenant id}/patients?limit=10
 * The path (with its query) must already be percent-encoded: only the
 * characters RFC 3986 allows in a path and query, "%" followed by two hex
 * digits, no "." or ".." segments, no fragment, at most TESSERA_API_MAX_PATH
 * bytes; anything else is TESSERA_E_INVALID.
 *
 * method: an RFC 9110 token ("GET", "POST", "PATCH", ...). body: body_len
 * bytes (any bytes, NUL included) or NULL for none; at most
 * TESSERA_API_MAX_REQUEST bytes, else TESSERA_E_TOO_LARGE (tesserad's own
 * limit, api_body_max in tessera.conf, is usually lower: 413). content_type:
 * NULL means "application/json" when there is a body. wait_s (1 to
 * TESSERA_API_MAX_WAIT): when the account is rate limited, let tesserad hold
 * the request up to that many seconds (header Tessera-Wait) rather than
 * answer 429 at once; 0 sends no Tessera-Wait, so the account's api_wait in
 * tessera.conf applies (0 unless set). timeout_ms: 0 means the client's
 * timeout plus wait_s seconds.
 *
 * Returns 0 whenever a complete HTTP response arrived, whatever its status:
 * a 2xx, an error made by tesserad ({"error","message"} JSON: 401
 * login_required, 403 forbidden or tenant_not_allowed, 404 no_such_account,
 * 413 payload_too_large, 429 rate_limited with Retry-After, 502
 * api_unavailable, 503 api_busy or idp_unavailable, 504 api_timeout) or
 * GipoNext's own error answer, passed through as GipoNext sent it. Negative
 * TESSERA_E_* when no response was obtained: TESSERA_E_TOO_LARGE for a
 * response body over the client's limit (tessera_client_set_max_response()).
 *
 * POST, PATCH and other methods that are not idempotent are sent on a new
 * connection and never replayed; GET, HEAD, PUT, DELETE and OPTIONS may be
 * replayed once when a kept-alive connection turns out to be closed. */

#define TESSERA_API_MAX_PATH              8192U
#define TESSERA_API_MAX_REQUEST           (256U * 1024U * 1024U)
#define TESSERA_API_DEFAULT_MAX_RESPONSE  (64U * 1024U * 1024U)
#define TESSERA_API_MAX_RESPONSE_LIMIT    (1024U * 1024U * 1024U)
#define TESSERA_API_MAX_WAIT              300U

typedef struct tessera_response tessera_response;

/* The status and the body of the response. *ret_body (may be NULL if not
 * wanted) gets the *ret_body_len bytes of the body followed by a NUL, to be
 * released with tessera_free(); ret_body_len may be NULL. account NULL:
 * "default". */
int tessera_api_request(tessera_client *c, const char *account, const char *method,
                        const char *path, const char *body, size_t body_len,
                        const char *content_type, unsigned wait_s, unsigned timeout_ms,
                        int *ret_http_status, char **ret_body, size_t *ret_body_len);

/* Same request; the whole response, headers included, as an object. */
int tessera_api_call(tessera_client *c, const char *account, const char *method,
                     const char *path, const char *body, size_t body_len,
                     const char *content_type, unsigned wait_s, unsigned timeout_ms,
                     tessera_response **ret);

int tessera_response_status(const tessera_response *r);
/* The body, with a NUL after its *ret_len bytes (ret_len may be NULL);
 * never NULL for a response. */
const char *tessera_response_body(const tessera_response *r, size_t *ret_len);
/* The value of the first header called name (any case), or NULL. tesserad
 * passes Content-Type, Retry-After, Location, ETag, Last-Modified,
 * Cache-Control and Link on from GipoNext. */
const char *tessera_response_header(const tessera_response *r, const char *name);
/* Status line and header lines as tesserad sent them, each ending in CRLF. */
const char *tessera_response_head(const tessera_response *r);
/* Retry-After in seconds from now (delta-seconds or an HTTP date, never
 * negative), -1 when absent or unreadable. */
int64_t tessera_response_retry_after(const tessera_response *r);
tessera_response *tessera_response_free(tessera_response *r);    /* wipes, NULL-safe */

/* Largest response body a gateway call accepts, in bytes (1 to
 * TESSERA_API_MAX_RESPONSE_LIMIT; 0: TESSERA_API_DEFAULT_MAX_RESPONSE).
 * Calls to tesserad's own API keep their 1 MiB limit. */
int tessera_client_set_max_response(tessera_client *c, size_t max_bytes);

#ifdef __cplusplus
}
#endif
