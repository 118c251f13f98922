/* SPDX-License-Identifier: MIT */
/* core/logind-watch against the REAL sd-login library reading state this
 * test makes, because logind cannot run here (no systemd as PID 1 in the
 * test environment). The test plays logind's part: in a private mount
 * namespace it mounts a tmpfs over /run/systemd and writes what logind
 * writes there: the seats/, users/ and sessions/ directories, and
 * users/UID in the format of logind's user_save_internal(), replaced
 * atomically by rename() as logind does, or deleted when logind lets go of
 * the user. sd_uid_get_state() and the sd_login_monitor inotify watch see
 * it exactly as they see logind's. Needs root (CI runs as root): without a
 * namespace the test fails, it never skips. */

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "core/logind-watch.h"
#include "tests.h"

static void die(const char *what) {
        fprintf(stderr, "test-logind-watch: %s: %m\n"
                "test-logind-watch: this test needs root (CAP_SYS_ADMIN) for a private mount namespace "
                "over /run/systemd; it does not skip\n", what);
        exit(EXIT_FAILURE);
}

/* Nothing made here reaches the rest of the system. */
static void enter_private_run(void) {
        /* Where /run/systemd does not exist, a tmpfs over /run (private too)
         * saves creating it on the host. */
        const char *where = access("/run/systemd", F_OK) == 0 ? "/run/systemd" : "/run";

        if (unshare(CLONE_NEWNS) < 0)
                die("unshare(CLONE_NEWNS)");
        /* The kernel ignores source and type here; valgrind wants them set. */
        if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
                die("making / private");
        if (mount("tmpfs", where, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die("mounting a tmpfs over /run/systemd");
        if (mkdir("/run/systemd", 0755) < 0 && errno != EEXIST)
                die("mkdir /run/systemd");
}

static void logind_dirs(bool seats, bool users) {
        CHECK(!seats || mkdir("/run/systemd/seats", 0755) == 0 || errno == EEXIST);
        CHECK(!users || mkdir("/run/systemd/users", 0755) == 0 || errno == EEXIST);
        CHECK(!users || mkdir("/run/systemd/sessions", 0755) == 0 || errno == EEXIST);
}

/* As user_save_internal() writes it: a temporary file renamed over
 * users/UID. sessions: the user's session ids, "" for none. */
static void write_user(uid_t uid, const char *state, const char *sessions) {
        char path[64], tmp[80];
        FILE *f;

        snprintf(path, sizeof(path), "/run/systemd/users/%u", (unsigned) uid);
        snprintf(tmp, sizeof(tmp), "/run/systemd/users/.#%uXXXXXX", (unsigned) uid);
        int fd = mkstemp(tmp);
        CHECK(fd >= 0);
        CHECK(fchmod(fd, 0644) == 0);
        f = fdopen(fd, "w");
        CHECK(f);
        fprintf(f, "# This is private data. Do not parse.\n"
                "NAME=user%u\n"
                "STATE=%s\n"
                "STOPPING=%s\n"
                "RUNTIME=/run/user/%u\n"
                "REALTIME=1700000000000000\n"
                "MONOTONIC=12345678\n",
                (unsigned) uid, state, streq(state, "closing") ? "yes" : "no", (unsigned) uid);
        if (*sessions) {
                bool active = streq(state, "active"), online = active || streq(state, "online");

                fprintf(f, "SESSIONS=%s\nSEATS=\nACTIVE_SESSIONS=%s\nONLINE_SESSIONS=%s\n"
                        "ACTIVE_SEATS=\nONLINE_SEATS=\n",
                        sessions, active ? sessions : "", online ? sessions : "");
        }
        CHECK(fclose(f) == 0);
        CHECK(rename(tmp, path) == 0);
}

/* user_finalize(): logind let go of the user. */
static void remove_user(uid_t uid) {
        char path[64];

        snprintf(path, sizeof(path), "/run/systemd/users/%u", (unsigned) uid);
        CHECK(unlink(path) == 0);
}

typedef struct fired {
        uid_t uids[16];
        unsigned n;
        logind_watch **free_on_fire;    /* the watch, freed from the callback */
        logind_watch *track_on_fire;    /* tracks 2000 from the callback */
} fired;

static void on_logout(uid_t uid, void *userdata) {
        fired *f = userdata;

        CHECK(f->n < ELEMENTSOF(f->uids));
        f->uids[f->n++] = uid;
        if (f->free_on_fire)
                *f->free_on_fire = logind_watch_free(*f->free_on_fire);
        if (f->track_on_fire)
                CHECK_R(logind_watch_track(f->track_on_fire, 2000), 0);
}

/* Runs the loop until it has had nothing to do for 100 ms: inotify queues
 * the event before rename() or unlink() returns. */
static void settle(sd_event *e) {
        for (unsigned i = 0; i < 100; i++) {
                int r = sd_event_run(e, 100 * USEC_PER_MSEC);

                CHECK(r >= 0);
                if (r == 0)
                        return;
        }
        CHECK(!"the loop never settled");
}

static logind_watch *new_watch(sd_event **ret_event, fired *f) {
        logind_watch *w = NULL;

        CHECK_R(sd_event_new(ret_event), 0);
        CHECK_R(logind_watch_new(*ret_event, on_logout, f, &w), 0);
        return w;
}

static void test_not_running(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        logind_watch *w = NULL;
        fired f = { 0 };

        CHECK_R(sd_event_new(&e), 0);
        /* Nothing under /run/systemd: logind is not running. */
        CHECK_R(logind_watch_new(e, on_logout, &f, &w), -ENOENT);
        CHECK(!w);
        CHECK(!logind_uid_is_logged_in(1000));
        /* seats/ but no users/: not running either. */
        logind_dirs(true, false);
        CHECK_R(logind_watch_new(e, on_logout, &f, &w), -ENOENT);
        CHECK(!w);
        CHECK_R(logind_watch_new(NULL, on_logout, &f, &w), -EINVAL);
}

static void test_states(void) {
        static const struct {
                const char *state;
                bool logged_in;
        } cases[] = {
                { "active", true },
                { "online", true },
                { "lingering", false },
                { "closing", false },
                { "offline", false },
                { "opening", false },
        };

        logind_dirs(true, true);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                write_user(1000, cases[i].state, cases[i].logged_in ? "3" : "");
                if (logind_uid_is_logged_in(1000) != cases[i].logged_in) {
                        fprintf(stderr, "state %s\n", cases[i].state);
                        CHECK(!"logind_uid_is_logged_in");
                }
        }
        remove_user(1000);
        CHECK(!logind_uid_is_logged_in(1000));          /* no file: "offline" */
        CHECK(!logind_uid_is_logged_in((uid_t) -1));

        /* A file without STATE= cannot be read as logged in. */
        FILE *f = fopen("/run/systemd/users/1001", "we");
        CHECK(f);
        fputs("NAME=user1001\n", f);
        CHECK(fclose(f) == 0);
        CHECK(!logind_uid_is_logged_in(1001));
        remove_user(1001);
}

static void test_logout_fires_once(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        fired f = { 0 };

        write_user(1000, "active", "1");
        write_user(1001, "online", "2 5");
        write_user(1002, "active", "3");
        _cleanup_(logind_watch_freep) logind_watch *w = new_watch(&e, &f);

        CHECK_R(logind_watch_track(w, 1000), 0);
        CHECK_R(logind_watch_track(w, 1001), 0);
        CHECK_R(logind_watch_track(w, 1001), 0);        /* again: no-op */
        CHECK(logind_watch_n_tracked(w) == 2);
        settle(e);
        CHECK(f.n == 0);

        /* Not tracked: silent. */
        write_user(1002, "offline", "");
        settle(e);
        CHECK(f.n == 0);

        /* One of 1001's sessions ends, the other keeps it logged in. */
        write_user(1001, "online", "5");
        settle(e);
        CHECK(f.n == 0);

        /* 1000's last session ends: closing, then logind drops it. Fired
         * once, for 1000 only, from the loop. */
        write_user(1000, "closing", "");
        CHECK(f.n == 0);
        settle(e);
        CHECK(f.n == 1 && f.uids[0] == 1000);
        CHECK(!logind_watch_is_tracked(w, 1000));
        CHECK(logind_watch_is_tracked(w, 1001));
        write_user(1000, "offline", "");
        remove_user(1000);
        write_user(1002, "active", "4");
        settle(e);
        CHECK(f.n == 1);

        /* Lingering counts as logged out; so does the file going away. */
        write_user(1001, "lingering", "");
        settle(e);
        CHECK(f.n == 2 && f.uids[1] == 1001);
        CHECK(logind_watch_n_tracked(w) == 0);

        write_user(1003, "active", "6");
        CHECK_R(logind_watch_track(w, 1003), 0);
        settle(e);
        remove_user(1003);
        settle(e);
        CHECK(f.n == 3 && f.uids[2] == 1003);

        /* Untracked before its logout: silent. */
        write_user(1004, "active", "7");
        CHECK_R(logind_watch_track(w, 1004), 0);
        settle(e);
        logind_watch_untrack(w, 1004);
        logind_watch_untrack(w, 1004);
        write_user(1004, "closing", "");
        settle(e);
        CHECK(f.n == 3);

        remove_user(1002);
        remove_user(1004);
}

/* A uid logged out before it was tracked fires on the next iteration, not
 * from inside track. */
static void test_track_logged_out(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        fired f = { 0 };
        _cleanup_(logind_watch_freep) logind_watch *w = new_watch(&e, &f);

        CHECK_R(logind_watch_track(w, 1005), 0);
        CHECK(f.n == 0);
        settle(e);
        CHECK(f.n == 1 && f.uids[0] == 1005);
        settle(e);
        CHECK(f.n == 1);
}

/* The callback may change the tracked set, and may free the watch. */
static void test_callback_reentry(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        fired f = { 0 };

        write_user(1000, "active", "1");
        write_user(1001, "active", "2");
        write_user(2000, "active", "3");
        logind_watch *w = new_watch(&e, &f);

        CHECK_R(logind_watch_track(w, 1000), 0);
        CHECK_R(logind_watch_track(w, 1001), 0);
        settle(e);
        f.track_on_fire = w;
        remove_user(1000);
        settle(e);
        CHECK(f.n == 1 && f.uids[0] == 1000);
        CHECK(logind_watch_is_tracked(w, 2000) && logind_watch_is_tracked(w, 1001));

        /* Both log out at once; the first report frees the watch: no more. */
        f.track_on_fire = NULL;
        f.free_on_fire = &w;
        remove_user(1001);
        remove_user(2000);
        settle(e);
        CHECK(f.n == 2 && f.uids[1] == 1001);
        CHECK(!w);
}

static void test_limits(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        fired f = { 0 };
        _cleanup_(logind_watch_freep) logind_watch *w = new_watch(&e, &f);

        CHECK_R(logind_watch_track(w, (uid_t) -1), -EINVAL);
        CHECK_R(logind_watch_track(NULL, 1000), -EINVAL);
        /* Out of order, to insert in front and in the middle too. */
        CHECK_R(logind_watch_track(w, LOGIND_WATCH_UIDS_MAX), 0);
        CHECK_R(logind_watch_track(w, 2), 0);
        for (uid_t u = 1; u < LOGIND_WATCH_UIDS_MAX; u++)
                CHECK_R(logind_watch_track(w, u), 0);
        for (uid_t u = 1; u <= LOGIND_WATCH_UIDS_MAX; u++)
                CHECK(logind_watch_is_tracked(w, u));
        CHECK(logind_watch_n_tracked(w) == LOGIND_WATCH_UIDS_MAX);
        CHECK_R(logind_watch_track(w, 0), -E2BIG);
        CHECK_R(logind_watch_track(w, 500), 0);         /* tracked already */
        logind_watch_untrack(w, 500);
        CHECK_R(logind_watch_track(w, 0), 0);
        CHECK(logind_watch_is_tracked(w, 0) && !logind_watch_is_tracked(w, 500));
        for (uid_t u = LOGIND_WATCH_UIDS_MAX + 1; u > 0; u--)
                logind_watch_untrack(w, u - 1);
        CHECK(logind_watch_n_tracked(w) == 0);
        settle(e);
        CHECK(f.n == 0);
        logind_watch_untrack(NULL, 1);
        CHECK(!logind_watch_free(NULL));
}

int main(void) {
        enter_private_run();
        test_not_running();
        test_states();
        test_logout_fires_once();
        test_track_logged_out();
        test_callback_reentry();
        test_limits();
        return 0;
}
