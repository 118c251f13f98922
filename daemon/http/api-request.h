/* SPDX-License-Identifier: MIT */
#pragma once

/* One request on the API socket: what the client sent (method, path,
 * headers, query, body), who it is (peer), and its way to an answer,
 * now or later (suspend, resume, a pending answer). */

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "glue/mhd-glue.h"
#include "peer/peer.h"
#include "util/growbuf.h"
#include "util/list.h"
#include "util/util.h"

typedef struct manager manager;
typedef struct api_request api_request;

/* Called when a suspended request must be answered now (shutdown). */
typedef void (*api_request_abort_fn)(api_request *r);

/* Called when MHD is done with the request (answered, or the client went
 * away), right before it is freed. */
typedef void (*api_request_complete_fn)(api_request *r, void *owner);

/* What the requests of one server share: the loop adapter to kick after a
 * resume, and the requests suspended until an event. */
typedef struct api_request_host {
        mhd_glue *glue;
        LIST_HEAD(api_request, waiters);
} api_request_host;

struct api_request {
        api_request_host *host;
        manager *manager;
        struct MHD_Connection *connection;
        const peer *peer;               /* owned by the connection */
        char *method;
        char *path;                     /* without the query */
        char *body;                     /* once complete: NUL-terminated, NULL when empty */
        size_t body_len;
        growbuf upload;                 /* the body while it arrives */
        size_t body_max;                /* API_BODY_MAX, or the gateway's limit */
        bool body_too_large;
        bool answered_early;

        /* A request waiting for an event (a login result, a refresh). */
        bool suspended;
        struct MHD_Response *pending;
        unsigned pending_status;
        api_request_abort_fn on_abort;
        void *wait_data;
        LIST_FIELDS(api_request, waiters);     /* in the host's list */

        /* A streamed answer whose reader has nothing to give yet. */
        bool stream_paused;

        api_request_complete_fn on_complete;
        void *owner;
};

/* Answer r with a prepared response (taken). Works both inside the
 * request callback and later for a suspended request; a suspended request
 * answered is no longer waiting, and its abort callback is dropped. */
int api_request_reply_response(api_request *r, unsigned status, struct MHD_Response *resp);

/* Keep r open until it is answered; on_abort runs when the daemon shuts
 * down first. */
void api_request_suspend(api_request *r, api_request_abort_fn on_abort, void *wait_data);

/* From a streamed answer's content reader that has nothing yet (return 0
 * after it): the connection sleeps until api_request_resume(). */
void api_request_pause_stream(api_request *r);
/* Wakes a stream paused by api_request_pause_stream(); a no-op otherwise. */
void api_request_resume(api_request *r);

/* on_complete(r, owner) runs when MHD is done with r. */
void api_request_set_owner(api_request *r, void *owner, api_request_complete_fn on_complete);

/* Hands the body to the caller (free() it); r has none afterwards. */
char *api_request_take_body(api_request *r, size_t *ret_len);

/* The query string as the client sent it (still percent-encoded), or ""
 * when there is none. */
int api_request_raw_query(api_request *r, char **ret);
const char *api_request_query(api_request *r, const char *key);
const char *api_request_header(api_request *r, const char *name);

/* For the server (http-api.c). */
int api_request_new(api_request_host *host, manager *m, struct MHD_Connection *c, const char *method,
                    const char *path, const peer *p, size_t body_max, api_request **ret);
api_request *api_request_free(api_request *r);
/* Takes a piece of the body. A body past body_max is dropped and marked
 * body_too_large (MHD cannot answer while the upload still arrives). */
int api_request_upload(api_request *r, const char *data, size_t n);
/* The body is complete: it moves to r->body. */
void api_request_upload_done(api_request *r);
/* Queues the answer given while the request was suspended. */
enum MHD_Result api_request_queue_pending(api_request *r);
/* MHD is done with r: tells its owner (and a waiter that was never
 * answered, which cannot normally happen). */
void api_request_completed(api_request *r);
