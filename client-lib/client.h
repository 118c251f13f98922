/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to libtessera: the client object and the request functions that
 * the public calls (tessera.c, token.c: daemon API; api.c: GipoNext
 * gateway) share. request.c does the HTTP exchange. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "tessera/tessera.h"

#include "conn-pool.h"

#define _public_ __attribute__((visibility("default")))

struct tessera_client {
        char *socket_path;

        pthread_mutex_t lock;    /* guards the settings below */
        unsigned timeout_ms;
        size_t max_response;     /* body cap of gateway calls; daemon calls keep HTTP_MAX_BODY */

        conn_pool pool;
};

typedef struct client_req {
        const char *method;      /* an RFC 9110 token */
        const char *path;        /* request-target: visible ASCII only */
        const char *body;        /* NULL: none */
        size_t body_len;
        const char *content_type;   /* with a body; NULL: application/json */
        const char *accept;         /* NULL: no Accept header */
        unsigned wait_s;            /* > 0: Tessera-Wait */
        size_t max_body;            /* 0: HTTP_MAX_BODY */
        unsigned timeout_ms;        /* 0: the client's default */
        unsigned extra_timeout_ms;  /* added to the client's default only */
        bool no_replay;          /* not idempotent: a new connection, never sent twice */
        bool want_head;
        bool report_too_large;   /* TESSERA_E_TOO_LARGE instead of TESSERA_E_PROTOCOL */
} client_req;

typedef struct client_resp {
        int status;
        char *body;              /* NUL-terminated, body_len bytes before the NUL; wiped on free */
        size_t body_len;
        char *head;              /* with want_head: status line and headers, each ending in CRLF */
        size_t head_len;
} client_resp;

/* Sends the request and reads the complete response. 0 for any complete
 * HTTP response, else a negative TESSERA_E_* code; *ret is written only on
 * success. */
int client_do(tessera_client *c, const client_req *rq, client_resp *ret);
void client_resp_done(client_resp *r);

/* A request of the daemon's own API (upper-case method, JSON body of at
 * most 1 MiB). On success *ret_body is a NUL-terminated buffer of *ret_len
 * bytes (plus terminator) that the caller wipes and frees. */
int client_daemon_request(tessera_client *c, const char *method, const char *path,
                          const char *body, unsigned timeout_ms,
                          int *ret_status, char **ret_body, size_t *ret_len);
