/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "gateway/gateway-path.h"
#include "gateway/gateway-upstream.h"
#include "http/api-reply.h"
#include "util/log.h"
#include "util/secret.h"

static void on_upstream(upstream *u, upstream_event event, void *userdata);

/* The API refused the token and no newer one is at hand. While the IdP is
 * not answering that is an outage to wait out, not a reason to log in
 * again. */
static void fail_token_refused(gateway_call *c) {
        gateway_call_fail_kind(c, c->account->state == ACCOUNT_DEGRADED
                                  ? GATEWAY_ERROR_TOKEN_REFUSED_IDP_DOWN : GATEWAY_ERROR_TOKEN_REFUSED, NULL);
}

static void send_upstream(gateway_call *c) {
        account *a = c->account;
        upstream_request req = {
                .method = c->method,
                .url = c->url,
                .bearer_token = a->session->access_token,
                .body = c->body,
                .body_len = c->body_len,
                .headers = c->headers,
        };
        int k;

        secret_free(c->token_used);
        c->token_used = secret_strdup(a->session->access_token);
        if (!c->token_used) {
                gateway_call_fail_kind(c, GATEWAY_ERROR_NO_MEMORY, NULL);
                return;
        }
        c->phase = CALL_UPSTREAM;
        k = upstream_start(a->env->event, a->env->curl, &req, on_upstream, c, &c->up);
        if (k < 0)
                gateway_call_fail_kind(c, GATEWAY_ERROR_START_FAILED, strerror(-k));
}

static void on_token_ready(account *a, void *userdata) {
        gateway_call *c = userdata;

        c->refresh = NULL;
        if (account_token_valid_for(a, now_realtime(), 1))
                send_upstream(c);
        else
                gateway_call_fail_kind(c, GATEWAY_ERROR_NO_TOKEN, NULL);
}

void gateway_call_start(gateway_call *c) {
        account *a = c->account;
        int64_t now = now_realtime();
        int k;

        if (account_token_valid_for(a, now, GATEWAY_MIN_TOKEN_VALIDITY)) {
                send_upstream(c);
                return;
        }
        c->phase = CALL_TOKEN;
        k = refresh_wait(a, on_token_ready, c, &c->refresh);
        if (k >= 0)
                return;
        if (account_token_valid_for(a, now, 1))
                send_upstream(c);
        else
                gateway_call_fail_kind(c, GATEWAY_ERROR_NO_TOKEN, NULL);
}

static void on_token_after_401(account *a, void *userdata) {
        gateway_call *c = userdata;

        c->refresh = NULL;
        if (a->session && account_token_valid_for(a, now_realtime(), 1) &&
            !secret_streq(c->token_used, a->session->access_token))
                send_upstream(c);
        else
                fail_token_refused(c);
}

static ssize_t read_body(void *userdata, uint64_t pos, char *buf, size_t max) {
        gateway_call *c = userdata;
        const char *msg = NULL;
        size_t n;
        int k;

        if (!c->up) {
                log_debug("gateway: stream of %s ended early: request cancelled", c->audit_path);
                return API_STREAM_BROKEN;
        }
        n = upstream_read(c->up, buf, max);
        if (n > 0)
                return (ssize_t) n;
        k = upstream_finished(c->up, &msg);
        if (k > 0)
                return API_STREAM_END;
        if (k < 0) {
                log_warning("account %s: the API's answer to %s %s broke off: %s", c->gw ? c->account->conf->name : "?",
                            c->method, c->audit_path, strempty(msg));
                return API_STREAM_BROKEN;
        }
        if (!c->request)
                return API_STREAM_BROKEN;
        /* Nothing buffered yet: sleep until the next DATA event. */
        api_request_pause_stream(c->request);
        return 0;
}

static void response_released(void *userdata) {
        gateway_call_unref(userdata);
}

static void stream_response(gateway_call *c) {
        int64_t len = upstream_content_length(c->up);
        api_request *r = c->request;
        int k;

        if (!r) {
                gateway_call_stop(c);
                return;
        }
        c->phase = CALL_STREAMING;
        c->refs++;              /* held by the response until MHD releases it */
        k = api_request_reply_stream(r, (unsigned) c->status,
                                     len >= 0 && strcmp(c->method, "HEAD") != 0 ? (uint64_t) len : API_STREAM_SIZE_UNKNOWN,
                                     upstream_headers(c->up), read_body, c, response_released);
        if (k == -ENOMEM) {
                c->refs--;
                gateway_call_fail_kind(c, GATEWAY_ERROR_NO_MEMORY, NULL);
        }
}

static void on_401(gateway_call *c) {
        account *a = c->account;
        int k;

        c->up = upstream_free(c->up);
        if (c->attempt > 1) {
                log_warning("account %s: the GipoNext API refused a freshly refreshed token", a->conf->name);
                gateway_call_fail_kind(c, GATEWAY_ERROR_TOKEN_REFUSED_AGAIN, NULL);
                return;
        }
        c->attempt++;
        /* Someone else may have refreshed meanwhile: then just retry;
         * else one forced refresh, shared with every caller that needs
         * it. */
        if (a->session && !secret_streq(c->token_used, a->session->access_token) &&
            account_token_valid_for(a, now_realtime(), 1)) {
                send_upstream(c);
                return;
        }
        c->phase = CALL_TOKEN;
        k = refresh_wait(a, on_token_after_401, c, &c->refresh);
        if (k < 0)
                fail_token_refused(c);
}

static void on_headers(gateway_call *c) {
        gateway_queue *q = &c->gw->queue;
        const char *msg = NULL;
        int k;

        c->status = upstream_status(c->up);
        if (c->status == 0) {
                k = upstream_finished(c->up, &msg);
                gateway_call_fail_kind(c, k == -ETIMEDOUT ? GATEWAY_ERROR_API_TIMEOUT : GATEWAY_ERROR_API_UNREACHABLE,
                                       strempty(msg));
                return;
        }

        if (c->status == 401) {
                on_401(c);
                return;
        }

        if (c->status == 429) {
                gateway_queue_pause(q, gateway_retry_after(upstream_header(c->up, "Retry-After"), now_realtime()));
                gateway_call_release_slot(c);
                if (c->entry.deadline >= gateway_queue_paused_until(q)) {
                        /* This caller waits it out: sent again after the
                         * pause, first in line. */
                        c->up = upstream_free(c->up);
                        gateway_call_queue(c, true);
                        gateway_queue_dispatch(q);
                        return;
                }
                stream_response(c);
                gateway_queue_dispatch(q);
                return;
        }

        gateway_queue_probe_answered(q, &c->entry);
        stream_response(c);
        gateway_queue_dispatch(q);
}

static void on_upstream(upstream *u, upstream_event event, void *userdata) {
        gateway_call *c = userdata;
        int k;

        switch (event) {
        case UPSTREAM_HEADERS:
                on_headers(c);
                return;
        case UPSTREAM_DATA:
                if (c->request)
                        api_request_resume(c->request);
                k = upstream_finished(u, NULL);
                if (k != 0 || upstream_transfer_done(u)) {
                        gateway_call_audit(c, k < 0 ? 0 : c->status);
                        if (c->entry.holds_slot) {
                                gateway_call_release_slot(c);
                                gateway_queue_dispatch(&c->gw->queue);
                        }
                }
                return;
        case _UPSTREAM_EVENT_MAX:
                break;
        }
}
