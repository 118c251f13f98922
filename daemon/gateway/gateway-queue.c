/* SPDX-License-Identifier: MIT */
#include "gateway/gateway-queue.h"
#include "util/log.h"

static void on_pause_end(void *userdata) {
        gateway_queue *q = userdata;

        log_info("account %s: API rate-limit pause over, probing with one request", q->account->conf->name);
        gateway_queue_dispatch(q);
}

void gateway_queue_init(gateway_queue *q, account *a, const gateway_queue_ops *ops, void *userdata) {
        *q = (gateway_queue) { .account = a, .ops = ops, .userdata = userdata };
        gateway_pause_init(&q->pause, a->env->event, on_pause_end, q);
}

void gateway_queue_done(gateway_queue *q) {
        gateway_pause_done(&q->pause);
}

uint64_t gateway_queue_now(const gateway_queue *q) {
        uint64_t now = 0;

        (void) sd_event_now(q->account->env->event, CLOCK_MONOTONIC, &now);
        return now;
}

bool gateway_queue_full(const gateway_queue *q) {
        const conf_account *c = q->account->conf;

        return q->queued >= c->api_queue_max && q->in_flight >= c->api_max_concurrent;
}

void gateway_queue_push(gateway_queue *q, gateway_queue_entry *e, bool front) {
        if (front)
                LIST_PREPEND(queue, q->queue, e);
        else
                LIST_APPEND(queue, q->queue, e);
        q->queued++;
}

void gateway_queue_unlink(gateway_queue *q, gateway_queue_entry *e) {
        if (!LIST_IS_LINKED(queue, q->queue, e))
                return;
        LIST_REMOVE(queue, q->queue, e);
        q->queued--;
}

void gateway_queue_probe_answered(gateway_queue *q, gateway_queue_entry *e) {
        if (!e->probe)
                return;
        e->probe = false;
        gateway_pause_probe_done(&q->pause);
}

void gateway_queue_release(gateway_queue *q, gateway_queue_entry *e) {
        if (!e->holds_slot)
                return;
        e->holds_slot = false;
        q->in_flight--;
        gateway_queue_probe_answered(q, e);
}

void gateway_queue_pause(gateway_queue *q, unsigned seconds) {
        uint64_t now = gateway_queue_now(q), before = MAX(q->pause.until, now);
        bool started = !gateway_pause_active(&q->pause, now);

        if (gateway_pause_extend(&q->pause, gateway_queue_now(q), seconds))
                log_warning("account %s: the GipoNext API answered 429; pausing all calls for %u s",
                            q->account->conf->name, seconds);
        /* The time paused, counted once even when pauses overlap. */
        if (q->pause.until > before)
                account_metrics_pause(&q->account->metrics, started, q->pause.until - before);
}

uint64_t gateway_queue_paused_until(const gateway_queue *q) {
        return q->pause.until;
}

static void reject_impatient(gateway_queue *q, uint64_t now) {
        gateway_queue_entry *e, *n;

        /* Whoever cannot wait that long hears it now, without a call to
         * the API. */
        LIST_FOREACH_SAFE(queue, e, n, q->queue_head)
                if (e->deadline < q->pause.until) {
                        gateway_queue_unlink(q, e);
                        q->ops->reject(e, gateway_pause_left_sec(&q->pause, now), q->userdata);
                }
}

void gateway_queue_dispatch(gateway_queue *q) {
        if (q->dispatching)
                return;
        q->dispatching = true;
        while (q->queue_head) {
                uint64_t now = gateway_queue_now(q);
                gateway_queue_entry *e;

                if (gateway_pause_active(&q->pause, now)) {
                        reject_impatient(q, now);
                        break;
                }
                if (q->pause.probing || q->in_flight >= q->account->conf->api_max_concurrent)
                        break;

                e = q->queue_head;
                gateway_queue_unlink(q, e);
                e->holds_slot = true;
                q->in_flight++;
                if (gateway_pause_take_probe(&q->pause))
                        e->probe = true;
                q->ops->start(e, q->userdata);
        }
        q->dispatching = false;
}
