/* SPDX-License-Identifier: MIT */
#pragma once

/* One request to the GipoNext API on behalf of a gateway caller, on the
 * shared curl multi: the request body is sent from memory, the response
 * is streamed through a bounded buffer (curl is paused while the caller
 * reads slowly), so a large answer never sits whole in the daemon.
 * Notifications run from the event loop, never inside a curl callback,
 * so they may free the upstream. */

#include <systemd/sd-event.h>

#include "glue/curl-glue.h"
#include "util/util.h"

#define UPSTREAM_BUFFER_MAX (256U * 1024U)
#define UPSTREAM_HEADERS_MAX 32U
#define UPSTREAM_HEADER_LINE_MAX 8192U

typedef struct upstream upstream;

typedef struct upstream_request {
        const char *method;
        const char *url;
        const char *bearer_token;               /* copied to secret memory */
        const char *body;                       /* may be NULL */
        size_t body_len;
        char **headers;                         /* extra "Name: value" lines */
        uint64_t timeout_usec;                  /* 0: no limit on the whole transfer */
} upstream_request;

typedef enum upstream_event {
        UPSTREAM_HEADERS,       /* the final response's status and headers are known */
        UPSTREAM_DATA,          /* more body is buffered, or the transfer ended */
        _UPSTREAM_EVENT_MAX,
} upstream_event;

typedef void (*upstream_callback_t)(upstream *u, upstream_event event, void *userdata);

int upstream_start(sd_event *e, curl_glue *g, const upstream_request *req,
                   upstream_callback_t callback, void *userdata, upstream **ret);
upstream *upstream_free(upstream *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(upstream *, upstream_free);

long upstream_status(const upstream *u);
/* Content-Length of the response, or -1 when unknown. */
int64_t upstream_content_length(const upstream *u);
/* Response header lines we keep ("Name: value"), NULL-terminated. */
char * const *upstream_headers(const upstream *u);
const char *upstream_header(const upstream *u, const char *name);

/* Copies up to max buffered body bytes into buf. */
size_t upstream_read(upstream *u, char *buf, size_t max);
/* The transfer with the API is over (the body may still be buffered). */
bool upstream_transfer_done(const upstream *u);

/* 1 when the transfer ended and everything was read, 0 when more may come,
 * negative errno when it failed (with a short message). */
int upstream_finished(const upstream *u, const char **ret_message);
