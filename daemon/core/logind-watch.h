/* SPDX-License-Identifier: MIT */
#pragma once

/* Who is logged in, after logind, read through sd-login: a uid counts as
 * logged in while sd_uid_get_state() says "online" or "active". "offline"
 * (no state file), "lingering", "closing", "opening" and a state file that
 * cannot be read all count as logged out: a user whose last session ended
 * is "closing" until logind lets go of it, then "offline" or "lingering".
 *
 * The watch follows the uids its caller tracks and tells it, once per uid,
 * when one is no longer logged in. It knows nothing of accounts: the
 * caller tracks the uids it has sessions bound to. Everything runs on the
 * sd-event loop and never blocks: a wakeup reads one small file per tracked
 * uid. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "util/util.h"

/* Tracked uids per watch at most; a caller tracks one per person with a
 * bound session, so this is far beyond any real machine. */
#define LOGIND_WATCH_UIDS_MAX 65536

typedef struct logind_watch logind_watch;

/* uid is no longer logged in. It is no longer tracked when this runs; the
 * callback may track or untrack any uid and may free the watch. */
typedef void (*logind_uid_logout_fn)(uid_t uid, void *userdata);

/* -ENOENT when logind is not running (no /run/systemd/seats/, the test
 * pam_systemd and systemd's logind_running() use): the caller says so once
 * and goes on without. Other negative errnos: the monitor or the event
 * sources could not be set up. */
int logind_watch_new(sd_event *e, logind_uid_logout_fn on_logout, void *userdata, logind_watch **ret);
/* Fires nothing more. NULL-safe. */
logind_watch *logind_watch_free(logind_watch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(logind_watch *, logind_watch_free);

/* The rule above, for one uid, now (start-up checks). Without logind every
 * uid is logged out: the caller asks only when logind runs. */
bool logind_uid_is_logged_in(uid_t uid);

/* Watches uid: on_logout(uid) fires once, from the loop, when it is no
 * longer logged in, also when that was already so when tracking began (the
 * uid is checked on the next loop iteration, so a logout just before
 * tracking is not missed). Tracking a tracked uid is a no-op. -EINVAL for
 * the invalid uid (uid_t) -1, -E2BIG beyond LOGIND_WATCH_UIDS_MAX, -ENOMEM. */
int logind_watch_track(logind_watch *w, uid_t uid);
/* No-op for a uid not tracked. */
void logind_watch_untrack(logind_watch *w, uid_t uid);
bool logind_watch_is_tracked(const logind_watch *w, uid_t uid);
size_t logind_watch_n_tracked(const logind_watch *w);
