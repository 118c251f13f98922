/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "util/log.h"
#include "glue/mhd-glue.h"

struct mhd_glue {
        sd_event *event;
        struct MHD_Daemon *daemon;
        sd_event_source *io;
        sd_event_source *timer;
        sd_event_source *defer;
        char *description;
};

static int mhd_glue_run(mhd_glue *g);

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return mhd_glue_run(userdata);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return mhd_glue_run(userdata);
}

static int on_defer(sd_event_source *s, void *userdata) {
        mhd_glue *g = userdata;

        (void) sd_event_source_set_enabled(g->defer, SD_EVENT_OFF);
        return mhd_glue_run(g);
}

/* Timeouts from this length on may fire late by up to a second. */
#define MHD_GLUE_COARSE_MSEC 5000ULL

static int mhd_glue_arm_timer(mhd_glue *g) {
        MHD_UNSIGNED_LONG_LONG timeout_ms;
        uint64_t now;
        int r;

        if (MHD_get_timeout(g->daemon, &timeout_ms) != MHD_YES)
                return sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);

        r = sd_event_now(g->event, CLOCK_MONOTONIC, &now);
        if (r < 0)
                return r;
        if (timeout_ms == 0) {
                /* Work is waiting now: the defer source runs it on the
                 * next iteration, before any timer. */
                (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
                return sd_event_source_set_enabled(g->defer, SD_EVENT_ONESHOT);
        }
        /* Cap so an absurd value cannot overflow the addition. */
        timeout_ms = MIN(timeout_ms, (MHD_UNSIGNED_LONG_LONG) 24 * 3600 * 1000);
        /* Long timeouts are idle-connection deadlines (seconds to a
         * minute): firing them up to 1 s late is harmless and lets sd-event
         * keep its timerfd armed instead of re-arming it after every
         * request. Short ones keep their precision. */
        r = sd_event_source_set_time_accuracy(g->timer, timeout_ms >= MHD_GLUE_COARSE_MSEC ?
                                              USEC_PER_SEC : 1);
        if (r < 0)
                return r;
        r = sd_event_source_set_time(g->timer, now + timeout_ms * USEC_PER_MSEC);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
}

static int mhd_glue_run(mhd_glue *g) {
        int r;

        if (MHD_run(g->daemon) != MHD_YES)
                log_debug("%s: MHD_run() reported an error", g->description);

        r = mhd_glue_arm_timer(g);
        if (r < 0)
                log_warning_errno(r, "%s: cannot arm MHD timer: %m", g->description);
        return 0;
}

int mhd_glue_new(sd_event *e, struct MHD_Daemon *d, const char *description, mhd_glue **ret) {
        const union MHD_DaemonInfo *info;
        mhd_glue *g;
        int r;

        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || info->epoll_fd < 0)
                return -EINVAL;

        g = calloc(1, sizeof *g);
        if (!g)
                return -ENOMEM;
        g->event = sd_event_ref(e);
        g->daemon = d;
        g->description = strdup(description ? description : "http");
        if (!g->description) {
                r = -ENOMEM;
                goto fail;
        }

        r = sd_event_add_io(e, &g->io, info->epoll_fd, EPOLLIN, on_io, g);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(g->io, g->description);

        /* Accuracy 1 us: with sd-event's default of 250 ms, every "run
         * again now" from MHD (a resumed connection, the next pipelined
         * request, a large answer) would wait up to a quarter second. */
        r = sd_event_add_time(e, &g->timer, CLOCK_MONOTONIC, UINT64_MAX, 1, on_timer, g);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        if (r < 0)
                goto fail;

        r = sd_event_add_defer(e, &g->defer, on_defer, g);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(g->defer, SD_EVENT_OFF);
        if (r < 0)
                goto fail;

        r = mhd_glue_arm_timer(g);
        if (r < 0)
                goto fail;

        *ret = g;
        return 0;
fail:
        mhd_glue_free(g);
        return r;
}

mhd_glue *mhd_glue_free(mhd_glue *g) {
        if (!g)
                return NULL;
        sd_event_source_disable_unref(g->io);
        sd_event_source_disable_unref(g->timer);
        sd_event_source_disable_unref(g->defer);
        sd_event_unref(g->event);
        free(g->description);
        free(g);
        return NULL;
}

void mhd_glue_kick(mhd_glue *g) {
        if (g)
                (void) sd_event_source_set_enabled(g->defer, SD_EVENT_ONESHOT);
}
