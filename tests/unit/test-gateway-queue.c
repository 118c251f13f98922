/* SPDX-License-Identifier: MIT */
#include <systemd/sd-event.h>

#include "gateway/gateway-queue.h"
#include "util/util.h"
#include "tests.h"

/* The queue and the 429 pause on a real loop, with calls that only
 * record what happened to them. */

typedef struct call {
        gateway_queue_entry entry;
        int id;
        bool started;
        unsigned rejected_after;        /* 0: not rejected */
} call;

typedef struct recorder {
        int started[16];
        size_t n_started;
        size_t n_rejected;
} recorder;

static call *call_of(gateway_queue_entry *e) {
        return (call *) ((char *) e - offsetof(call, entry));
}

static void on_start(gateway_queue_entry *e, void *userdata) {
        recorder *rec = userdata;
        call *c = call_of(e);

        CHECK(e->holds_slot);
        c->started = true;
        CHECK(rec->n_started < ELEMENTSOF(rec->started));
        rec->started[rec->n_started++] = c->id;
}

static void on_reject(gateway_queue_entry *e, unsigned retry_after_sec, void *userdata) {
        recorder *rec = userdata;

        CHECK(!e->holds_slot);
        CHECK(retry_after_sec >= 1);
        call_of(e)->rejected_after = retry_after_sec;
        rec->n_rejected++;
}

static const gateway_queue_ops ops = { .start = on_start, .reject = on_reject };

typedef struct fixture {
        sd_event *event;
        account_env env;
        conf_account conf;
        account account;
        recorder rec;
        gateway_queue q;
} fixture;

static void fixture_init(fixture *f, unsigned max_concurrent, unsigned queue_max) {
        *f = (fixture) {};
        CHECK_R(sd_event_new(&f->event), 0);
        f->env.event = f->event;
        f->conf.name = (char *) "test";
        f->conf.api_max_concurrent = max_concurrent;
        f->conf.api_queue_max = queue_max;
        f->account.env = &f->env;
        f->account.conf = &f->conf;
        gateway_queue_init(&f->q, &f->account, &ops, &f->rec);
}

static void fixture_done(fixture *f) {
        gateway_queue_done(&f->q);
        sd_event_unref(f->event);
}

static void test_cap_and_fifo(void) {
        fixture f;
        call c[4];

        fixture_init(&f, 2, 1);
        for (int i = 0; i < 4; i++)
                c[i] = (call) { .id = i, .entry.deadline = UINT64_MAX };

        CHECK(!gateway_queue_full(&f.q));
        for (int i = 0; i < 3; i++) {
                gateway_queue_push(&f.q, &c[i].entry, false);
                gateway_queue_dispatch(&f.q);
        }
        /* Two slots: the third waits. */
        CHECK(f.rec.n_started == 2 && f.rec.started[0] == 0 && f.rec.started[1] == 1);
        CHECK(f.q.in_flight == 2 && f.q.queued == 1);
        CHECK(!c[2].started);
        CHECK(gateway_queue_full(&f.q));

        /* Sent again after a pause: first in line. */
        gateway_queue_push(&f.q, &c[3].entry, true);
        CHECK(f.q.queue_head == &c[3].entry);

        gateway_queue_release(&f.q, &c[0].entry);
        CHECK(!c[0].entry.holds_slot);
        gateway_queue_release(&f.q, &c[0].entry);       /* twice is once */
        CHECK(f.q.in_flight == 1);
        gateway_queue_dispatch(&f.q);
        CHECK(f.rec.n_started == 3 && f.rec.started[2] == 3);

        /* A call that leaves the queue is not started. */
        gateway_queue_unlink(&f.q, &c[2].entry);
        gateway_queue_unlink(&f.q, &c[2].entry);
        CHECK(f.q.queued == 0);
        gateway_queue_release(&f.q, &c[1].entry);
        gateway_queue_dispatch(&f.q);
        CHECK(f.rec.n_started == 3 && !c[2].started);
        CHECK(f.rec.n_rejected == 0);
        fixture_done(&f);
}

static void test_pause_and_probe(void) {
        fixture f;
        call patient = { .id = 1 }, hasty = { .id = 2 }, third = { .id = 3 };
        uint64_t now;

        fixture_init(&f, 4, 10);
        now = gateway_queue_now(&f.q);

        gateway_queue_pause(&f.q, 2);
        CHECK(gateway_queue_paused_until(&f.q) >= now + 2 * USEC_PER_SEC);
        CHECK(gateway_queue_paused_until(&f.q) <= now + 3 * USEC_PER_SEC);

        /* Whoever cannot wait until the end hears it at once. */
        hasty.entry.deadline = now;
        patient.entry.deadline = now + 60 * USEC_PER_SEC;
        third.entry.deadline = now + 60 * USEC_PER_SEC;
        gateway_queue_push(&f.q, &patient.entry, false);
        gateway_queue_push(&f.q, &hasty.entry, false);
        gateway_queue_push(&f.q, &third.entry, false);
        gateway_queue_dispatch(&f.q);
        CHECK(f.rec.n_started == 0);
        CHECK(f.rec.n_rejected == 1 && hasty.rejected_after >= 2 && hasty.rejected_after <= 3);
        CHECK(f.q.queued == 2);

        /* A shorter 429 does not shorten the pause. */
        now = gateway_queue_paused_until(&f.q);
        gateway_queue_pause(&f.q, 1);
        CHECK(gateway_queue_paused_until(&f.q) == now);

        /* The pause ends on the loop: one probe goes first, alone. */
        while (f.rec.n_started == 0)
                CHECK(sd_event_run(f.event, 5 * USEC_PER_SEC) > 0);
        CHECK(f.rec.n_started == 1 && f.rec.started[0] == 1);
        CHECK(patient.entry.probe);
        CHECK(f.q.queued == 1);

        /* Its answer lets the others go. */
        gateway_queue_probe_answered(&f.q, &patient.entry);
        CHECK(!patient.entry.probe);
        gateway_queue_dispatch(&f.q);
        CHECK(f.rec.n_started == 2 && f.rec.started[1] == 3 && !third.entry.probe);
        fixture_done(&f);
}

int main(void) {
        test_cap_and_fifo();
        test_pause_and_probe();
        return 0;
}
