/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "gateway/gateway-pause.h"
#include "util/util.h"

static int on_pause_end(sd_event_source *s, uint64_t usec, void *userdata) {
        gateway_pause *p = userdata;

        p->timer = sd_event_source_disable_unref(p->timer);
        p->until = 0;
        p->ended = true;
        if (p->on_end)
                p->on_end(p->userdata);
        return 0;
}

void gateway_pause_init(gateway_pause *p, sd_event *e, void (*on_end)(void *userdata), void *userdata) {
        *p = (gateway_pause) { .event = e, .on_end = on_end, .userdata = userdata };
}

void gateway_pause_done(gateway_pause *p) {
        p->timer = sd_event_source_disable_unref(p->timer);
}

bool gateway_pause_extend(gateway_pause *p, uint64_t now, unsigned seconds) {
        uint64_t jitter, until;

        /* Plus up to 10% (at least up to 250 ms), so that apps and
         * workstations do not all come back in the same instant. */
        jitter = randombytes_uniform((uint32_t) MAX((uint64_t) seconds * USEC_PER_SEC / 10, 250 * USEC_PER_MSEC));
        until = now + (uint64_t) seconds * USEC_PER_SEC + jitter;
        if (until <= p->until)
                return false;
        p->until = until;
        p->ended = false;
        p->timer = sd_event_source_disable_unref(p->timer);
        if (sd_event_add_time(p->event, &p->timer, CLOCK_MONOTONIC, until, 0, on_pause_end, p) < 0)
                p->until = 0;
        return true;
}

bool gateway_pause_active(const gateway_pause *p, uint64_t now) {
        return p->until > now;
}

unsigned gateway_pause_left_sec(const gateway_pause *p, uint64_t now) {
        uint64_t left = p->until > now ? p->until - now : 0;

        return (unsigned) MAX((left + USEC_PER_SEC - 1) / USEC_PER_SEC, (uint64_t) 1);
}

bool gateway_pause_take_probe(gateway_pause *p) {
        if (!p->ended)
                return false;
        p->ended = false;
        p->probing = true;
        return true;
}

void gateway_pause_probe_done(gateway_pause *p) {
        p->probing = false;
}
