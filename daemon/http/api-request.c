/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api-request.h"

int api_request_new(api_request_host *host, manager *m, struct MHD_Connection *c, const char *method,
                    const char *path, const peer *p, size_t body_max, api_request **ret) {
        api_request *r;

        r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->host = host;
        r->manager = m;
        r->connection = c;
        r->peer = p;
        r->body_max = body_max;
        growbuf_init(&r->upload, body_max, false);
        r->method = strdup(method);
        r->path = strdup(path);
        if (!r->method || !r->path) {
                api_request_free(r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

api_request *api_request_free(api_request *r) {
        if (!r)
                return NULL;
        if (r->pending)
                MHD_destroy_response(r->pending);
        if (r->host)
                LIST_REMOVE(waiters, r->host->waiters, r);
        growbuf_done(&r->upload);
        free(r->method);
        free(r->path);
        free(r->body);
        free(r);
        return NULL;
}

int api_request_upload(api_request *r, const char *data, size_t n) {
        int k;

        if (r->body_too_large)
                return 0;
        k = growbuf_append(&r->upload, data, n);
        if (k == -E2BIG) {
                /* MHD 0.9.75 refuses an answer while the upload is still
                 * arriving: drop the rest, answer 413 at the end. */
                r->body_too_large = true;
                growbuf_done(&r->upload);
                return 0;
        }
        return k;
}

void api_request_upload_done(api_request *r) {
        if (r->body)
                return;
        r->body = growbuf_steal(&r->upload, &r->body_len);
}

char *api_request_take_body(api_request *r, size_t *ret_len) {
        if (ret_len)
                *ret_len = r->body_len;
        r->body_len = 0;
        return TAKE_PTR(r->body);
}

enum MHD_Result api_request_queue_pending(api_request *r) {
        struct MHD_Response *resp = TAKE_PTR(r->pending);
        enum MHD_Result ret;

        ret = MHD_queue_response(r->connection, r->pending_status, resp);
        MHD_destroy_response(resp);
        return ret;
}

void api_request_completed(api_request *r) {
        api_request_complete_fn done = r->on_complete;

        r->on_complete = NULL;
        if (done)
                done(r, TAKE_PTR(r->owner));
        if (r->suspended && r->on_abort) {
                /* Cannot normally happen: MHD does not end suspended
                 * requests. Let the owner drop its reference anyway. */
                r->on_abort(r);
        }
}

int api_request_reply_response(api_request *r, unsigned status, struct MHD_Response *resp) {
        enum MHD_Result ret;

        if (r->suspended) {
                r->suspended = false;
                r->on_abort = NULL;
                LIST_REMOVE(waiters, r->host->waiters, r);
                if (r->pending)
                        MHD_destroy_response(r->pending);
                r->pending = resp;
                r->pending_status = status;
                MHD_resume_connection(r->connection);
                mhd_glue_kick(r->host->glue);
                return 0;
        }
        ret = MHD_queue_response(r->connection, status, resp);
        MHD_destroy_response(resp);
        return ret == MHD_YES ? 0 : -EIO;
}

void api_request_suspend(api_request *r, api_request_abort_fn on_abort, void *wait_data) {
        r->suspended = true;
        r->on_abort = on_abort;
        r->wait_data = wait_data;
        LIST_PREPEND(waiters, r->host->waiters, r);
        MHD_suspend_connection(r->connection);
}

void api_request_pause_stream(api_request *r) {
        MHD_suspend_connection(r->connection);
        r->stream_paused = true;
}

void api_request_resume(api_request *r) {
        if (!r->stream_paused)
                return;
        r->stream_paused = false;
        MHD_resume_connection(r->connection);
        mhd_glue_kick(r->host->glue);
}

void api_request_set_owner(api_request *r, void *owner, api_request_complete_fn on_complete) {
        r->owner = owner;
        r->on_complete = on_complete;
}

typedef struct query_builder {
        char *buf;
        size_t len;
        int error;
} query_builder;

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        query_builder *q = cls;
        size_t need = strlen(key) + (value ? strlen(value) + 1 : 0) + 2;
        char *n;

        if (q->len + need > 16384) {
                q->error = -E2BIG;
                return MHD_NO;
        }
        n = realloc(q->buf, q->len + need);
        if (!n) {
                q->error = -ENOMEM;
                return MHD_NO;
        }
        q->buf = n;
        q->len += (size_t) sprintf(q->buf + q->len, "%s%s%s%s", q->len > 0 ? "&" : "", key,
                                   value ? "=" : "", value ? value : "");
        return MHD_YES;
}

int api_request_raw_query(api_request *r, char **ret) {
        query_builder q = {};

        /* Arguments reach us still escaped (the server keeps them so), so
         * joining them again gives the query as sent. */
        (void) MHD_get_connection_values(r->connection, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
        if (q.error < 0) {
                free(q.buf);
                return q.error;
        }
        if (!q.buf) {
                q.buf = strdup("");
                if (!q.buf)
                        return -ENOMEM;
        }
        *ret = q.buf;
        return 0;
}

const char *api_request_header(api_request *r, const char *name) {
        return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}

const char *api_request_query(api_request *r, const char *key) {
        return MHD_lookup_connection_value(r->connection, MHD_GET_ARGUMENT_KIND, key);
}
