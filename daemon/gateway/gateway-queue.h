/* SPDX-License-Identifier: MIT */
#pragma once

/* One account's calls to the API: at most api_max_concurrent in flight,
 * the others waiting in a FIFO (at most api_queue_max of them); while a
 * 429 pause is on nothing starts, and whoever cannot wait until its end
 * is turned away at once; after it, one probe call goes first. */

#include <stdbool.h>
#include <stdint.h>

#include "core/account.h"
#include "gateway/gateway-pause.h"
#include "util/list.h"

typedef struct gateway_queue_entry gateway_queue_entry;

struct gateway_queue_entry {
        LIST_FIELDS(gateway_queue_entry, queue);
        uint64_t deadline;              /* CLOCK_MONOTONIC: the longest it sits out a pause */
        bool holds_slot;
        bool probe;
};

typedef struct gateway_queue_ops {
        /* e got a slot: start it. */
        void (*start)(gateway_queue_entry *e, void *userdata);
        /* e (taken off the queue) cannot wait retry_after_sec for the
         * pause to end. */
        void (*reject)(gateway_queue_entry *e, unsigned retry_after_sec, void *userdata);
} gateway_queue_ops;

typedef struct gateway_queue {
        account *account;               /* its limits, its loop, its name for the log */
        LIST_HEAD(gateway_queue_entry, queue);
        unsigned queued;
        unsigned in_flight;             /* entries holding a slot */
        bool dispatching;
        gateway_pause pause;
        const gateway_queue_ops *ops;
        void *userdata;
} gateway_queue;

void gateway_queue_init(gateway_queue *q, account *a, const gateway_queue_ops *ops, void *userdata);
void gateway_queue_done(gateway_queue *q);

/* CLOCK_MONOTONIC now, as the loop sees it. */
uint64_t gateway_queue_now(const gateway_queue *q);

/* Whether a new call must be refused: the queue and every slot are full. */
bool gateway_queue_full(const gateway_queue *q);

/* Queues e, first in line when front (a call sent again after a pause). */
void gateway_queue_push(gateway_queue *q, gateway_queue_entry *e, bool front);
/* Takes e off the queue, if it is on it. */
void gateway_queue_unlink(gateway_queue *q, gateway_queue_entry *e);
/* e no longer needs its slot (and, if it was the probe, the probe is over). */
void gateway_queue_release(gateway_queue *q, gateway_queue_entry *e);
/* e, the probe, got its answer: the others may go. */
void gateway_queue_probe_answered(gateway_queue *q, gateway_queue_entry *e);

/* A 429: pause every call of the account for seconds (logs). */
void gateway_queue_pause(gateway_queue *q, unsigned seconds);
uint64_t gateway_queue_paused_until(const gateway_queue *q);

/* Starts what may start, turns away what cannot wait out a pause. */
void gateway_queue_dispatch(gateway_queue *q);
