/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway-call.h"
#include "gateway/gateway-upstream.h"
#include "gateway/gateway.h"

static void queue_start(gateway_queue_entry *e, void *userdata) {
        gateway_call_start(gateway_call_of_entry(e));
}

static void queue_reject(gateway_queue_entry *e, unsigned retry_after_sec, void *userdata) {
        gateway_call_fail(gateway_call_of_entry(e),
                          &(gateway_error) { .kind = GATEWAY_ERROR_RATE_LIMITED, .number = retry_after_sec });
}

static const gateway_queue_ops queue_ops = {
        .start = queue_start,
        .reject = queue_reject,
};

static gateway_account *gateway_get(account *a) {
        if (!a->gateway) {
                a->gateway = calloc(1, sizeof(gateway_account));
                if (!a->gateway)
                        return NULL;
                a->gateway->account = a;
                gateway_queue_init(&a->gateway->queue, a, &queue_ops, a->gateway);
        }
        return a->gateway;
}

static void on_request_complete(api_request *r, void *owner) {
        gateway_call *c = owner;

        if (!c)
                return;
        c->request = NULL;
        /* A short answer can be read completely before the transfer's own
         * end is seen: audit here too (once). Status 0: the client left
         * before an answer. */
        gateway_call_audit(c, c->phase == CALL_STREAMING ? c->status : 0);
        /* The client is gone: nothing more to fetch for it. */
        gateway_call_stop(c);
        gateway_call_unref(c);
}

static void on_request_abort(api_request *r) {
        gateway_call *c = r->wait_data;

        if (c)
                gateway_call_fail_kind(c, GATEWAY_ERROR_SHUTTING_DOWN, NULL);
}

static const char *request_header(const char *name, void *userdata) {
        return api_request_header(userdata, name);
}

static int fail_now(api_request *r, account *a, gateway_fail_fn fail, gateway_error_kind kind, unsigned number) {
        int k = fail(r, a, &(gateway_error) { .kind = kind, .number = number });

        return k < 0 ? k : 0;
}

int gateway_handle(account *a, api_request *r, const gateway_target *t, gateway_fail_fn fail) {
        const char *tenant_id;
        gateway_account *gw;
        gateway_call *c;
        int k;

        if (!a->session)
                return fail_now(r, a, fail, GATEWAY_ERROR_NO_TOKEN, 0);
        tenant_id = t->tenant ? a->session->tenant_id : NULL;
        if (t->tenant && !tenant_id)
                return fail_now(r, a, fail, GATEWAY_ERROR_NO_TENANT, 0);

        gw = gateway_get(a->parent ? a->parent : a);
        if (!gw)
                return fail_now(r, a, fail, GATEWAY_ERROR_NO_MEMORY, 0);
        if (gateway_queue_full(&gw->queue))
                return fail_now(r, a, fail, GATEWAY_ERROR_BUSY, gw->queue.queued);

        if (gateway_call_new(gw, r, fail, &c) < 0)
                return fail_now(r, a, fail, GATEWAY_ERROR_NO_MEMORY, 0);
        c->account = a;
        c->entry.deadline = c->arrived + (uint64_t) t->wait_sec * USEC_PER_SEC;
        c->method = strdup(r->method);
        k = gateway_build_url(a->conf->api_base, tenant_id, t->rest, t->query, &c->url);
        if (k >= 0)
                k = gateway_build_url("", tenant_id, t->rest, NULL, &c->audit_path);
        if (k >= 0)
                k = gateway_forwarded_headers(request_header, r, r->body_len > 0, &c->headers);
        if (k < 0 || !c->method) {
                gateway_call_unref(c);
                return fail_now(r, a, fail, GATEWAY_ERROR_NO_MEMORY, 0);
        }
        /* The body moves to the call: the request may be gone before the
         * API is reached. */
        c->body = api_request_take_body(r, &c->body_len);

        api_request_set_owner(r, c, on_request_complete);
        api_request_suspend(r, on_request_abort, c);

        gateway_call_queue(c, false);
        gateway_queue_dispatch(&gw->queue);
        return 0;
}

/* The call's account is going away: answer or cut it, and forget it. */
static void call_orphan(gateway_account *gw, gateway_call *c) {
        if (c->phase != CALL_STREAMING && c->phase != CALL_DONE)
                gateway_call_fail_kind(c, GATEWAY_ERROR_ACCOUNT_GONE, NULL);
        gateway_call_stop(c);
        if (c->request)
                api_request_resume(c->request);
        LIST_REMOVE(calls, gw->calls, c);
        c->gw = NULL;
}

void gateway_account_gone(account *a) {
        gateway_account *gw = a->parent ? a->parent->gateway : a->gateway;
        gateway_call *c, *next;

        if (!gw)
                return;
        if (a->parent) {
                /* One person's session: its calls only; the account's
                 * queue and pause stay for the others. */
                for (c = gw->calls_head; c; c = next) {
                        next = c->calls_next;
                        if (c->account == a)
                                call_orphan(gw, c);
                }
                gateway_queue_dispatch(&gw->queue);
                return;
        }
        while ((c = gw->calls_head))
                call_orphan(gw, c);
        gateway_queue_done(&gw->queue);
        free(gw);
        a->gateway = NULL;
}
