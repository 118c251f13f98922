/* SPDX-License-Identifier: MIT */
#pragma once

/* The pause a 429 puts on a whole account: until when, a timer for its
 * end, and the one probe call let through when it is over. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct gateway_pause {
        sd_event *event;
        uint64_t until;                 /* CLOCK_MONOTONIC, 0 = not paused */
        bool ended;                     /* the next call to start is the probe */
        bool probing;                   /* the probe is out */
        sd_event_source *timer;
        void (*on_end)(void *userdata);
        void *userdata;
} gateway_pause;

void gateway_pause_init(gateway_pause *p, sd_event *e, void (*on_end)(void *userdata), void *userdata);
void gateway_pause_done(gateway_pause *p);

/* Pauses for seconds (plus jitter) from now, unless a pause that ends
 * later is on already: then false. */
bool gateway_pause_extend(gateway_pause *p, uint64_t now, unsigned seconds);

bool gateway_pause_active(const gateway_pause *p, uint64_t now);
/* Whole seconds until the pause ends, at least 1. */
unsigned gateway_pause_left_sec(const gateway_pause *p, uint64_t now);

/* Whether the call about to start is the probe after a pause (it is then
 * out until gateway_pause_probe_done()). */
bool gateway_pause_take_probe(gateway_pause *p);
void gateway_pause_probe_done(gateway_pause *p);
