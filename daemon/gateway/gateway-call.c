/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway-call.h"
#include "peer/audit.h"
#include "peer/peer.h"
#include "util/log.h"
#include "util/secret.h"

int gateway_call_new(gateway_account *gw, api_request *r, gateway_fail_fn fail, gateway_call **ret) {
        gateway_call *c;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->gw = gw;
        c->request = r;
        c->fail = fail;
        c->refs = 1;
        c->attempt = 1;
        c->arrived = gateway_queue_now(&gw->queue);
        c->pid = r->peer->pid;
        c->uid = r->peer->uid;
        c->gid = r->peer->gid;
        LIST_PREPEND(calls, gw->calls, c);
        (void) peer_describe(r->peer, &c->exe, &c->unit);
        c->os_user = strdup(peer_user_name(r->peer));
        *ret = c;
        return 0;
}

void gateway_call_audit(gateway_call *c, long status) {
        uint64_t ms = 0;

        if (c->audited || !c->gw)
                return;
        c->audited = true;
        account_metrics_gateway(&c->account->metrics, status);
        ms = (gateway_queue_now(&c->gw->queue) - c->arrived) / USEC_PER_MSEC;
        /* The path without its query: patient data can hide in queries. */
        audit_api_call(c->account->conf->name,
                       &(const audit_caller) { .pid = c->pid, .uid = c->uid, .gid = c->gid,
                                               .exe = strempty(c->exe), .unit = strempty(c->unit),
                                               .os_user = strempty(c->os_user) },
                       c->account->session ? c->account->session->sub : NULL,
                       c->account->parent ? c->account->uid : (uid_t) -1, c->method, c->audit_path, status, ms);
}

void gateway_call_release_slot(gateway_call *c) {
        if (c->gw)
                gateway_queue_release(&c->gw->queue, &c->entry);
}

void gateway_call_queue(gateway_call *c, bool front) {
        c->phase = CALL_QUEUED;
        gateway_queue_push(&c->gw->queue, &c->entry, front);
}

void gateway_call_stop(gateway_call *c) {
        gateway_account *gw = c->gw;

        if (gw)
                gateway_queue_unlink(&gw->queue, &c->entry);
        c->refresh = refresh_waiter_cancel(c->refresh);
        c->up = upstream_free(c->up);
        gateway_call_release_slot(c);
        c->token_used = secret_free(c->token_used);
        if (gw)
                gateway_queue_dispatch(&gw->queue);
}

static void call_free(gateway_call *c) {
        gateway_call_stop(c);
        if (c->gw)
                LIST_REMOVE(calls, c->gw->calls, c);
        free(c->method);
        free(c->url);
        free(c->audit_path);
        free(c->body);
        strv_free(c->headers);
        free(c->exe);
        free(c->unit);
        free(c->os_user);
        free(c);
}

void gateway_call_unref(gateway_call *c) {
        if (--c->refs == 0)
                call_free(c);
}

void gateway_call_fail(gateway_call *c, const gateway_error *e) {
        api_request *r = c->request;

        log_debug("gateway: %s %s: %s", strempty(c->method), strempty(c->audit_path),
                  gateway_error_kind_to_string(e->kind));
        c->phase = CALL_DONE;
        if (r) {
                int status = c->fail(r, c->gw ? c->account : NULL, e);

                gateway_call_audit(c, status > 0 ? status : 0);
        }
        gateway_call_stop(c);
}

void gateway_call_fail_kind(gateway_call *c, gateway_error_kind kind, const char *detail) {
        gateway_call_fail(c, &(gateway_error) { .kind = kind, .detail = detail });
}
