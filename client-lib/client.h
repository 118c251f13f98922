/* SPDX-License-Identifier: MIT */
#pragma once

/* Private to libtessera: the client object and the one request function
 * that tessera.c (daemon API) and api.c (GipoNext gateway) share. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tessera/tessera.h"

#define POOL_MAX 4

struct tessera_client {
        char *socket_path;
        unsigned timeout_ms;
        size_t max_response;     /* body cap of gateway calls; daemon calls keep HTTP_MAX_BODY */

        /* Idle keep-alive connections; the lock is never held across I/O. */
        pthread_mutex_t lock;
        int pool[POOL_MAX];
        size_t n_pool;
        pid_t pool_pid;          /* a forked child must not share the parent's connections */
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
