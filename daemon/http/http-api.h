/* SPDX-License-Identifier: MIT */
#pragma once

/* The HTTP API on the Unix socket: a libmicrohttpd daemon in external
 * epoll mode on the manager's loop. This module owns the transport (the
 * socket, limits, request bodies, peer credentials, suspend/resume);
 * api-routes.c decides what each request means. */

#include <microhttpd.h>
#include <stdbool.h>

#include "peer/peer.h"
#include "util/util.h"

typedef struct manager manager;
typedef struct http_api http_api;
typedef struct api_request api_request;

#define API_BODY_MAX (16U * 1024U)
#define API_HEADER_MEMORY (32U * 1024U)
#define API_CONNECTIONS_MAX 4000U
#define API_CONNECTIONS_PER_UID 1024U   /* root and tesserad's own uid are exempt */
#define API_IDLE_TIMEOUT_SEC 60U

/* Called when a suspended request must be answered now (shutdown). */
typedef void (*api_request_abort_fn)(api_request *r);

struct api_request {
        http_api *api;
        manager *manager;
        struct MHD_Connection *connection;
        const peer *peer;               /* owned by the connection */
        char *method;
        char *path;                     /* without the query */
        char *body;
        size_t body_len;
        size_t body_cap;
        size_t body_max;                /* API_BODY_MAX, or the gateway's limit */
        bool body_too_large;
        bool answered_early;

        /* A request waiting for an event (a login result, a refresh). */
        bool suspended;
        struct MHD_Response *pending;
        unsigned pending_status;
        api_request_abort_fn on_abort;
        void *wait_data;
        api_request *wait_next, *wait_prev;     /* in http_api's list of waiters */

        /* Called when MHD is done with the request (answered, or the
         * client went away), right before it is freed. */
        void (*on_complete)(api_request *r);
        void *owner;
};

int http_api_new(manager *m, http_api **ret);
http_api *http_api_free(http_api *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(http_api *, http_api_free);

/* Stops accepting connections and unlinks the socket we bound (a socket
 * from systemd stays). Suspended requests get their abort callback. */
void http_api_quiesce(http_api *a);

/* Requests received but not yet answered. */
unsigned http_api_requests_in_flight(http_api *a);

/* Answer r with body (taken; freed with free(), or secret_free() when
 * secret). Works both inside the request callback and later for a
 * suspended request. */
int api_request_reply(api_request *r, unsigned status, char *body, size_t len, bool secret);
int api_request_reply_error(api_request *r, unsigned status, const char *code, const char *fmt, ...) _printf_(4, 5);

/* Answer r with a prepared response (taken), e.g. a streaming one. */
int api_request_reply_response(api_request *r, unsigned status, struct MHD_Response *resp);

/* Resumes a request suspended from a response's content reader. */
void api_request_resume(api_request *r);

/* The query string as the client sent it (still percent-encoded), or ""
 * when there is none. */
int api_request_raw_query(api_request *r, char **ret);

const char *api_request_header(api_request *r, const char *name);

/* The largest request body accepted for a path (gateway routes may have
 * more than API_BODY_MAX). */
size_t api_routes_body_max(manager *m, const char *path);

/* Keep r open until api_request_reply() is called; on_abort runs when the
 * daemon shuts down first. */
void api_request_suspend(api_request *r, api_request_abort_fn on_abort, void *wait_data);

const char *api_request_query(api_request *r, const char *key);
