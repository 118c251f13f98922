/* SPDX-License-Identifier: MIT */
#include <sys/epoll.h>
#include <systemd/sd-login.h>

#include "core/logind-watch.h"

struct logind_watch {
        sd_event *event;
        /* Category "uid": logind replaces /run/systemd/users/UID (rename)
         * whenever that user's sessions or state change and deletes it when
         * it lets go of the user, so every logout shows up here; the
         * "session" category would also wake for sessions ending while
         * others keep their user logged in. */
        sd_login_monitor *monitor;
        sd_event_source *io;
        sd_event_source *timer;         /* the monitor's timeout, if it ever has one */
        sd_event_source *check;         /* defer: look at every tracked uid on the next iteration */
        logind_uid_logout_fn on_logout;
        void *userdata;
        uid_t *uids;                    /* tracked, ascending, no duplicates */
        size_t n_uids, n_allocated;
        bool dispatching;               /* inside on_logout */
        bool free_requested;            /* freed from on_logout: done when it returns */
};

/* 1 logged in, 0 not, negative errno when logind's state could not be read. */
static int uid_logged_in(uid_t uid) {
        _cleanup_(freep) char *state = NULL;
        int r;

        if (uid == (uid_t) -1)
                return -EINVAL;         /* sd-login would take it as "the caller's own uid" */
        r = sd_uid_get_state(uid, &state);
        if (r < 0)
                return r;
        return streq(state, "online") || streq(state, "active");
}

bool logind_uid_is_logged_in(uid_t uid) {
        return uid_logged_in(uid) > 0;
}

/* Index of the first tracked uid >= uid. */
static size_t lower_bound(const logind_watch *w, uid_t uid) {
        size_t lo = 0, hi = w->n_uids;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (w->uids[mid] < uid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static void remove_at(logind_watch *w, size_t i) {
        memmove(w->uids + i, w->uids + i + 1, (w->n_uids - i - 1) * sizeof(uid_t));
        w->n_uids--;
}

static logind_watch *watch_destroy(logind_watch *w) {
        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->timer);
        sd_event_source_disable_unref(w->check);
        sd_login_monitor_unref(w->monitor);
        sd_event_unref(w->event);
        free(w->uids);
        free(w);
        return NULL;
}

/* Fires for every tracked uid that is no longer logged in. A uid whose
 * state cannot be read stays tracked: the next change looks again. The
 * callback may change the tracked set, so the walk resumes after the uid
 * just reported, wherever that now is. */
static void check_tracked(logind_watch *w) {
        for (size_t i = 0; i < w->n_uids;) {
                uid_t uid = w->uids[i];

                if (uid_logged_in(uid) != 0) {
                        i++;
                        continue;
                }
                remove_at(w, i);
                w->dispatching = true;
                w->on_logout(uid, w->userdata);
                w->dispatching = false;
                if (w->free_requested) {
                        watch_destroy(w);
                        return;
                }
                /* uid is never (uid_t) -1, so uid + 1 does not wrap. */
                i = lower_bound(w, uid + 1);
        }
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);

/* sd_login_monitor_get_timeout() is UINT64_MAX for the inotify monitor of
 * today; a timer follows it anyway, as sd-login asks of its callers. */
static int arm_timeout(logind_watch *w) {
        uint64_t until;
        int r;

        r = sd_login_monitor_get_timeout(w->monitor, &until);
        if (r < 0)
                return r;
        if (until == UINT64_MAX)
                return w->timer ? sd_event_source_set_enabled(w->timer, SD_EVENT_OFF) : 0;
        if (!w->timer)
                return sd_event_add_time(w->event, &w->timer, CLOCK_MONOTONIC, until, 0, on_timeout, w);
        r = sd_event_source_set_time(w->timer, until);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

/* Everything is re-read on each wakeup, so a lost or overflowed inotify
 * queue costs nothing but that read: nothing is missed. */
static void wakeup(logind_watch *w) {
        (void) sd_login_monitor_flush(w->monitor);
        (void) arm_timeout(w);
        check_tracked(w);       /* last: it may free w */
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        wakeup(userdata);
        return 0;
}

static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        wakeup(userdata);
        return 0;
}

static int on_check(sd_event_source *s, void *userdata) {
        check_tracked(userdata);
        return 0;
}

int logind_watch_new(sd_event *e, logind_uid_logout_fn on_logout, void *userdata, logind_watch **ret) {
        _cleanup_(logind_watch_freep) logind_watch *w = NULL;
        int r, fd, events;

        if (!e || !on_logout || !ret)
                return -EINVAL;
        /* logind creates it at start: what pam_systemd and sd-login ask too. */
        if (access("/run/systemd/seats/", F_OK) < 0)
                return -ENOENT;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->event = sd_event_ref(e);
        w->on_logout = on_logout;
        w->userdata = userdata;

        r = sd_login_monitor_new("uid", &w->monitor);
        if (r < 0)
                return r;       /* -ENOENT: no /run/systemd/users/, logind is not running either */
        fd = sd_login_monitor_get_fd(w->monitor);
        if (fd < 0)
                return fd;
        /* A poll() mask; POLLIN and POLLOUT are EPOLLIN and EPOLLOUT on Linux. */
        events = sd_login_monitor_get_events(w->monitor);
        if (events < 0)
                return events;
        r = sd_event_add_io(e, &w->io, fd, (uint32_t) events, on_monitor, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(w->io, "logind-watch");
        r = sd_event_add_defer(e, &w->check, on_check, w);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(w->check, SD_EVENT_OFF);
        if (r < 0)
                return r;
        r = arm_timeout(w);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(w);
        return 0;
}

logind_watch *logind_watch_free(logind_watch *w) {
        if (!w)
                return NULL;
        if (w->dispatching) {
                w->free_requested = true;
                return NULL;
        }
        return watch_destroy(w);
}

int logind_watch_track(logind_watch *w, uid_t uid) {
        size_t i;
        int r;

        if (!w || uid == (uid_t) -1)
                return -EINVAL;
        i = lower_bound(w, uid);
        if (i < w->n_uids && w->uids[i] == uid)
                return 0;
        if (w->n_uids >= LOGIND_WATCH_UIDS_MAX)
                return -E2BIG;
        if (w->n_uids == w->n_allocated) {
                size_t n = MIN(MAX((size_t) 16, w->n_allocated * 2), (size_t) LOGIND_WATCH_UIDS_MAX);
                uid_t *p = reallocarray(w->uids, n, sizeof(uid_t));

                if (!p)
                        return -ENOMEM;
                w->uids = p;
                w->n_allocated = n;
        }
        /* The uid may have logged out before the caller tracked it: no
         * change would ever report that, so look once on the next iteration. */
        r = sd_event_source_set_enabled(w->check, SD_EVENT_ONESHOT);
        if (r < 0)
                return r;

        memmove(w->uids + i + 1, w->uids + i, (w->n_uids - i) * sizeof(uid_t));
        w->uids[i] = uid;
        w->n_uids++;
        return 0;
}

void logind_watch_untrack(logind_watch *w, uid_t uid) {
        size_t i;

        if (!w)
                return;
        i = lower_bound(w, uid);
        if (i < w->n_uids && w->uids[i] == uid)
                remove_at(w, i);
}

bool logind_watch_is_tracked(const logind_watch *w, uid_t uid) {
        size_t i;

        if (!w)
                return false;
        i = lower_bound(w, uid);
        return i < w->n_uids && w->uids[i] == uid;
}

size_t logind_watch_n_tracked(const logind_watch *w) {
        return w ? w->n_uids : 0;
}
