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

/* Wipes and frees a string returned by this library. NULL-safe, returns NULL. */
char *tessera_free(char *s);

/* Maps a daemon error response (HTTP status and its "error" field, which
 * may be NULL) to a TESSERA_E_* code; 0 for a 2xx status. */
int tessera_error_from_http(int http_status, const char *error_code);

/* 1 if name is a valid account name ([A-Za-z0-9_.-]{1,64}), else 0. */
int tessera_account_name_is_valid(const char *name);

#ifdef __cplusplus
}
#endif
