/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <sodium.h>

#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "util/log.h"
#include "idp/oauth.h"
#include "core/refresh.h"
#include "util/list.h"
#include "util/secret.h"
#include "store/store.h"

struct refresh_waiter {
        refresher *owner;
        refresh_done_fn done;
        void *userdata;
        LIST_FIELDS(refresh_waiter, waiters);
};

struct refresher {
        account *account;
        discovery_waiter *discovery;
        oauth_op *op;                   /* the one refresh in flight */
        sd_event_source *timer;         /* CLOCK_BOOTTIME: next refresh or retry */
        sd_event_source *slow_timer;    /* CLOCK_BOOTTIME: the attempt has waited too long */
        bool slow;                      /* the attempt in flight is past REFRESH_ANSWER_WAIT_USEC */
        int64_t attempt_started_at;     /* unix seconds */
        LIST_HEAD(refresh_waiter, waiters);
        unsigned n_waiters;
        unsigned failures;              /* consecutive transient failures */
        int64_t unreachable_since;      /* unix seconds, 0 when reachable */
        uint64_t not_before_usec;       /* CLOCK_BOOTTIME: back-off end */
        session *unsaved;               /* refreshed but not yet durable */
        uint64_t last_start_usec;       /* CLOCK_BOOTTIME */
        bool in_flight;                 /* counted in env->refresh_in_flight */
        bool queued;                    /* in env->refresh_queue */
        LIST_FIELDS(refresher, queue);
};

static double random01(void) {
        return (double) randombytes_uniform(1000000) / 1000000.0;
}

static refresher *refresher_get(account *a) {
        if (!a->refresher) {
                a->refresher = calloc(1, sizeof(refresher));
                if (!a->refresher)
                        return NULL;
                a->refresher->account = a;
        }
        return a->refresher;
}

static uint64_t boottime_now(account *a) {
        uint64_t now = 0;

        (void) sd_event_now(a->env->event, CLOCK_BOOTTIME, &now);
        return now;
}

/* ---- waiters ---- */

static void waiter_unlink(refresh_waiter *w) {
        refresher *rf = w->owner;

        LIST_REMOVE(waiters, rf->waiters, w);
        rf->n_waiters--;
}

refresh_waiter *refresh_waiter_cancel(refresh_waiter *w) {
        if (w) {
                waiter_unlink(w);
                free(w);
        }
        return NULL;
}

/* In arrival order. A callback may cancel other waiters or add new ones
 * (those wait for the next refresh). */
static void answer_waiters(refresher *rf) {
        refresh_waiter *last = rf->waiters_tail;

        while (rf->waiters_head) {
                refresh_waiter *w = rf->waiters_head;
                bool was_last = w == last;

                waiter_unlink(w);
                w->done(rf->account, w->userdata);
                free(w);
                if (was_last)
                        break;
        }
}

/* ---- scheduling ---- */

static int refresh_start(account *a);

static void unqueue(refresher *rf) {
        if (!rf->queued)
                return;
        LIST_REMOVE(queue, rf->account->env->refresh_queue, rf);
        rf->queued = false;
}

/* A refresh attempt ended (or was cancelled): the next in line starts. */
static void flight_end(refresher *rf) {
        account_env *env = rf->account->env;

        if (!rf->in_flight)
                return;
        rf->in_flight = false;
        env->refresh_in_flight--;
        /* A refresh started here may end at once (no endpoints): the
         * outer loop goes on, no recursion. While the daemon frees its
         * accounts nothing new starts. */
        if (env->refresh_dispatching || env->tearing_down)
                return;
        env->refresh_dispatching = true;
        while (env->refresh_queue_head &&
               (env->refresh_max_in_flight == 0 || env->refresh_in_flight < env->refresh_max_in_flight)) {
                refresher *next = env->refresh_queue_head;

                unqueue(next);
                (void) refresh_start(next->account);
        }
        env->refresh_dispatching = false;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        account *a = userdata;
        refresher *rf = a->refresher;
        account_env *env = a->env;

        if (!rf)
                return 0;
        rf->timer = sd_event_source_disable_unref(rf->timer);
        /* Background refreshes of many sessions issued together would all
         * be due together: at most refresh_max_in_flight go to the IdP at
         * once, the others wait their turn (the margin leaves time). */
        if (!rf->op && !rf->discovery && env->refresh_max_in_flight > 0 &&
            env->refresh_in_flight >= env->refresh_max_in_flight) {
                if (!rf->queued) {
                        LIST_APPEND(queue, env->refresh_queue, rf);
                        rf->queued = true;
                }
                return 0;
        }
        (void) refresh_start(a);
        return 0;
}

/* Arms the timer delay_usec from now on CLOCK_BOOTTIME and records the
 * wall-clock time for status. */
static void arm_timer(account *a, uint64_t delay_usec) {
        refresher *rf = refresher_get(a);
        int r;

        if (!rf)
                return;
        rf->timer = sd_event_source_disable_unref(rf->timer);
        r = sd_event_add_time(a->env->event, &rf->timer, CLOCK_BOOTTIME,
                              boottime_now(a) + delay_usec, USEC_PER_SEC / 10, on_timer, a);
        if (r < 0) {
                log_error_errno(r, "account %s: cannot schedule a refresh: %m", a->store_key);
                a->next_refresh_at = 0;
                return;
        }
        a->next_refresh_at = now_realtime() + (int64_t) (delay_usec / USEC_PER_SEC);
}

static void schedule_background(account *a) {
        const session *s = a->session;
        int64_t at, now = now_realtime();

        if (!s || !s->refresh_token) {
                if (a->refresher)
                        a->refresher->timer = sd_event_source_disable_unref(a->refresher->timer);
                a->next_refresh_at = 0;
                return;
        }
        at = refresh_plan(s->refreshed_at, s->expires_at, a->conf->refresh_margin, random01());
        arm_timer(a, at > now ? (uint64_t) (at - now) * USEC_PER_SEC : 0);
}

/* ---- the refresh ---- */

static void attempt_ended(refresher *rf) {
        rf->slow_timer = sd_event_source_disable_unref(rf->slow_timer);
        rf->slow = false;
        flight_end(rf);
}

/* An IdP that accepted the connection and then went silent (stopped,
 * overloaded, a stuck proxy) would hold every caller until the HTTP
 * timeout. The attempt goes on, since its answer may still come and
 * carries the only valid refresh token; callers get what there is now. */
static int on_attempt_slow(sd_event_source *s, uint64_t usec, void *userdata) {
        account *a = userdata;
        refresher *rf = a->refresher;
        char since[32];

        rf->slow_timer = sd_event_source_disable_unref(rf->slow_timer);
        if (!rf->op && !rf->discovery)
                return 0;
        rf->slow = true;
        if (a->state == ACCOUNT_REFRESHING) {
                if (rf->unreachable_since == 0)
                        rf->unreachable_since = rf->attempt_started_at;
                format_utc(rf->unreachable_since, since);
                account_set_error(a, "identity provider not answering since %s (the refresh is still waiting for it)",
                                  since);
                log_warning("account %s: the identity provider has not answered the refresh for %" PRIu64
                            " s; serving what there is meanwhile", a->store_key,
                            REFRESH_ANSWER_WAIT_USEC / USEC_PER_SEC);
                account_set_state(a, ACCOUNT_DEGRADED);
        }
        answer_waiters(rf);
        return 0;
}

static void arm_slow_timer(account *a) {
        refresher *rf = a->refresher;
        int r;

        rf->slow = false;
        rf->attempt_started_at = now_realtime();
        rf->slow_timer = sd_event_source_disable_unref(rf->slow_timer);
        r = sd_event_add_time(a->env->event, &rf->slow_timer, CLOCK_BOOTTIME,
                              boottime_now(a) + REFRESH_ANSWER_WAIT_USEC, USEC_PER_SEC / 10, on_attempt_slow, a);
        if (r < 0)
                /* Callers then wait for the HTTP timeout: slow, not wrong. */
                log_warning_errno(r, "account %s: cannot time the refresh: %m", a->store_key);
}

static void finish_success(account *a, session *fresh) {
        refresher *rf = a->refresher;
        int r;

        if (rf->in_flight)
                account_metrics_refresh(&a->metrics, REFRESH_RESULT_SUCCESS, boottime_now(a) - rf->last_start_usec, NULL);
        attempt_ended(rf);
        /* Rotation: the IdP has already invalidated the old refresh token.
         * The new one must be on disk before any caller gets the new
         * access token; until then the old access token is still served. */
        r = account_install_session(a, fresh);
        if (r < 0) {
                log_error_errno(r, "account %s: cannot store the renewed session (%m); keeping it in memory and retrying",
                                a->conf->name);
                account_set_error(a, "cannot store the renewed session: %s", strerror(-r));
                session_free(rf->unsaved);
                rf->unsaved = fresh;
                rf->failures++;
                arm_timer(a, refresh_backoff(rf->failures, random01(), 0));
                if (a->state == ACCOUNT_REFRESHING)
                        account_set_state(a, ACCOUNT_DEGRADED);
                answer_waiters(rf);
                return;
        }

        /* The account holds fresh now, valid and without an error. */
        if (rf->unsaved != fresh)
                session_free(rf->unsaved);
        rf->unsaved = NULL;
        rf->failures = 0;
        rf->unreachable_since = 0;
        rf->not_before_usec = 0;
        log_info("account %s: tokens refreshed, valid for %" PRIi64 " s", a->store_key,
                 fresh->expires_at - fresh->refreshed_at);

        schedule_background(a);
        answer_waiters(rf);
}

static void finish_failure(account *a, const oauth_error *e) {
        refresher *rf = a->refresher;
        bool rejected = refresh_error_is_rejection(e);

        if (rf->in_flight)
                account_metrics_refresh(&a->metrics, rejected ? REFRESH_RESULT_REJECTED : REFRESH_RESULT_FAILED,
                                        boottime_now(a) - rf->last_start_usec, e);
        attempt_ended(rf);
        if (rejected) {
                /* Revoked, expired or replayed refresh token, or a client the
                 * IdP no longer accepts: retrying cannot help. */
                account_set_error(a, "the identity provider rejected the refresh (%s%s%s)", e->code,
                                  e->description ? ": " : "", strempty(e->description));
                account_set_state(a, ACCOUNT_NEEDS_LOGIN);
                log_warning("account %s: refresh rejected (%s); run: tessera login %s%s", a->store_key,
                            e->code, a->conf->name, a->parent ? " as that user" : "");
                rf->timer = sd_event_source_disable_unref(rf->timer);
                a->next_refresh_at = 0;
                answer_waiters(rf);
                return;
        }

        rf->failures++;
        if (rf->unreachable_since == 0)
                rf->unreachable_since = now_realtime();
        uint64_t delay = refresh_backoff(rf->failures, random01(),
                                         e->has_retry_after ? e->retry_after_sec * USEC_PER_SEC : 0);
        rf->not_before_usec = boottime_now(a) + delay;
        char since[32];
        format_utc(rf->unreachable_since, since);
        account_set_error(a, "identity provider unreachable since %s (%s); attempt %u, next in %" PRIu64 " s",
                          since, strempty(e->description), rf->failures, delay / USEC_PER_SEC);
        log_warning("account %s: refresh failed (%s), retrying in %" PRIu64 " s", a->store_key,
                    strempty(e->description), delay / USEC_PER_SEC);
        arm_timer(a, delay);
        account_set_state(a, ACCOUNT_DEGRADED);
        answer_waiters(rf);
}

static void on_refreshed(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        _cleanup_(oauth_token_freep) oauth_token *t = token;
        _cleanup_(session_freep) session *fresh = NULL;
        account *a = userdata;
        refresher *rf = a->refresher;
        int64_t now = now_realtime();
        int r;

        rf->op = oauth_op_free(rf->op);
        if (error) {
                finish_failure(a, error);
                return;
        }

        r = session_dup(a->session, &fresh);
        if (r < 0) {
                oauth_error oom = { .error = r, .description = (char *) "out of memory" };
                finish_failure(a, &oom);
                return;
        }
        secret_free(fresh->access_token);
        fresh->access_token = TAKE_PTR(t->access_token);
        if (t->refresh_token) {
                secret_free(fresh->refresh_token);
                fresh->refresh_token = TAKE_PTR(t->refresh_token);
        }
        (void) session_set_string(&fresh->scope, t->scope);
        fresh->refreshed_at = now;
        fresh->expires_at = now + (int64_t) t->expires_in;
        finish_success(a, TAKE_PTR(fresh));
}

static void start_with_endpoints(account *a, oidc_endpoints *e) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *endpoints = e;
        refresher *rf = a->refresher;
        int r;

        r = oauth_refresh(a->env->curl, a->conf, endpoints, a->session->refresh_token, a->session->scope,
                          on_refreshed, a, &rf->op);
        if (r < 0) {
                oauth_error err = { .error = r, .description = (char *) "cannot start the refresh request" };
                finish_failure(a, &err);
        }
}

static void on_discovered(discovery_waiter *w, int error, const char *message, oidc_endpoints *endpoints,
                          void *userdata) {
        account *a = userdata;
        refresher *rf = a->refresher;

        rf->discovery = discovery_waiter_free(rf->discovery);
        if (error < 0) {
                oauth_error err = { .error = error, .description = (char *) message };
                finish_failure(a, &err);
                return;
        }
        start_with_endpoints(a, endpoints);
}

static int refresh_start(account *a) {
        refresher *rf = refresher_get(a);
        oidc_endpoints *e = NULL;
        int r;

        if (!rf)
                return -ENOMEM;
        if (rf->op || rf->discovery)
                return 0;       /* joined: one refresh in flight per account */
        if (rf->last_start_usec > 0 &&
            boottime_now(a) < rf->last_start_usec + REFRESH_INTERVAL_MIN_SEC * USEC_PER_SEC) {
                /* Callers of a token the IdP keeps issuing already expired
                 * must not drive a storm: the timer starts it. */
                arm_timer(a, rf->last_start_usec + REFRESH_INTERVAL_MIN_SEC * USEC_PER_SEC - boottime_now(a));
                return 0;
        }

        if (rf->unsaved) {
                /* The last refresh succeeded but could not be stored: the
                 * new refresh token is the only valid one, so retry the
                 * write instead of refreshing. */
                session *s = TAKE_PTR(rf->unsaved);
                finish_success(a, s);
                return 0;
        }
        if (!a->session || !a->session->refresh_token || a->state == ACCOUNT_NEEDS_LOGIN) {
                answer_waiters(rf);
                return 0;
        }

        /* While retrying after failures the account stays degraded until a
         * refresh succeeds. */
        if (a->state != ACCOUNT_LOGIN_PENDING && a->state != ACCOUNT_DEGRADED)
                account_set_state(a, ACCOUNT_REFRESHING);
        log_debug("account %s: refreshing tokens (attempt %u)", a->store_key, rf->failures + 1);
        rf->last_start_usec = boottime_now(a);
        unqueue(rf);
        rf->in_flight = true;
        a->env->refresh_in_flight++;
        arm_slow_timer(a);

        r = discovery_cache_get(a->env->discovery, a->conf, on_discovered, a, &e, &rf->discovery);
        if (r < 0) {
                oauth_error err = { .error = r, .description = (char *) "cannot look up the token endpoint" };
                finish_failure(a, &err);
                return r;
        }
        if (r > 0)
                start_with_endpoints(a, e);
        return 0;
}

int refresh_wait(account *a, refresh_done_fn done, void *userdata, refresh_waiter **ret) {
        refresher *rf;
        refresh_waiter *w;

        if (!a->session || a->state == ACCOUNT_NEEDS_LOGIN)
                return -ENOKEY;
        rf = refresher_get(a);
        if (!rf)
                return -ENOMEM;
        if (!a->session->refresh_token && !rf->unsaved)
                return -ENOKEY;
        /* While backing off, callers must not turn into a refresh storm. */
        if (!rf->op && !rf->discovery && rf->not_before_usec > boottime_now(a))
                return -EAGAIN;
        /* Nor wait on an IdP already known not to answer: the retry in
         * flight is the daemon's business, and it may hang for the whole
         * HTTP timeout. */
        if ((rf->op || rf->discovery) && (rf->slow || a->state == ACCOUNT_DEGRADED))
                return -EAGAIN;
        if (rf->n_waiters >= REFRESH_WAITERS_MAX)
                return -EBUSY;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->owner = rf;
        w->done = done;
        w->userdata = userdata;
        LIST_APPEND(waiters, rf->waiters, w);
        rf->n_waiters++;
        *ret = w;

        (void) refresh_start(a);
        return 0;
}

static void cancel(account *a) {
        refresher *rf = a->refresher;

        if (!rf)
                return;
        rf->discovery = discovery_waiter_free(rf->discovery);
        rf->op = oauth_op_free(rf->op);
        rf->timer = sd_event_source_disable_unref(rf->timer);
        unqueue(rf);
        attempt_ended(rf);
        rf->failures = 0;
        rf->unreachable_since = 0;
        rf->not_before_usec = 0;
        rf->unsaved = session_free(rf->unsaved);
}

void account_session_changed(account *a) {
        cancel(a);
        schedule_background(a);
        if (a->refresher)
                answer_waiters(a->refresher);
}

void refresh_account_stop(account *a) {
        cancel(a);
        a->next_refresh_at = 0;
        if (a->refresher)
                answer_waiters(a->refresher);
}

void refresh_account_gone(account *a) {
        refresh_account_stop(a);
        free(a->refresher);
        a->refresher = NULL;
}
