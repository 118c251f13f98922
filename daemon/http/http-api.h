/* SPDX-License-Identifier: MIT */
#pragma once

/* The HTTP API on the Unix socket: a libmicrohttpd daemon in external
 * epoll mode on the manager's loop. This module owns the transport (the
 * socket, limits, request bodies, peer credentials); api-request.c the
 * request and its suspend/resume, api-reply.c the answers; what each
 * request means is the handler's, given at creation (api/). */

#include <microhttpd.h>
#include <stdbool.h>

#include "http/api-reply.h"
#include "http/api-request.h"
#include "peer/peer.h"
#include "util/util.h"

typedef struct manager manager;
typedef struct http_api http_api;

#define API_BODY_MAX (16U * 1024U)
#define API_HEADER_MEMORY (32U * 1024U)
#define API_CONNECTIONS_MAX 4000U
#define API_CONNECTIONS_PER_UID 1024U   /* root and tesserad's own uid are exempt */
#define API_IDLE_TIMEOUT_SEC 60U

typedef struct http_api_handler {
        size_t (*body_max)(const char *path, void *userdata);   /* largest body accepted for a path */
        int (*handle)(api_request *r, void *userdata);          /* one complete request */
} http_api_handler;

/* Listens on the socket systemd passed, or binds m->conf->socket. handler
 * (not copied: it must outlive the server) answers each request. Logs. */
int http_api_new(manager *m, const http_api_handler *handler, void *userdata, http_api **ret);
http_api *http_api_free(http_api *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(http_api *, http_api_free);

/* Stops accepting connections and unlinks the socket we bound (a socket
 * from systemd stays). Suspended requests get their abort callback. */
void http_api_quiesce(http_api *a);

/* Requests received but not yet answered. */
unsigned http_api_requests_in_flight(http_api *a);
