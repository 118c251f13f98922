/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "core/account-audit.h"
#include "core/manager.h"
#include "login/login-internal.h"
#include "util/log.h"
#include "util/string-table.h"

/* After the landing page is handed over, the listener stays up this long
 * so the browser can read it, then the port closes. */
#define LOGIN_LINGER_USEC (2 * USEC_PER_SEC)

struct login_waiter {
        login *login;
        login_wait_fn done;
        void *userdata;
        sd_event_source *timer;
        LIST_FIELDS(login_waiter, waiters);
};

static const char *const login_phase_table[_LOGIN_PHASE_MAX] = {
        [LOGIN_DISCOVERING] = "pending",
        [LOGIN_AUTHORIZING] = "pending",
        [LOGIN_WAITING_USER] = "pending",
        [LOGIN_EXCHANGING] = "pending",
        [LOGIN_USERINFO] = "pending",
        [LOGIN_DONE] = "done",
        [LOGIN_FAILED] = "failed",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(login_phase, login_phase);

static const char *const login_flow_table[_LOGIN_FLOW_MAX] = {
        [LOGIN_FLOW_CODE] = "code",
        [LOGIN_FLOW_DEVICE] = "device",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(login_flow, login_flow);

bool login_is_pending(const login *l) {
        return l && l->phase != LOGIN_DONE && l->phase != LOGIN_FAILED;
}

void login_get_result(const login *l, login_result *ret) {
        *ret = (login_result) { .state = "none" };
        if (!l)
                return;
        *ret = (login_result) {
                .state = login_phase_to_string(l->phase),
                .error_code = l->error_code,
                .error_message = l->error_message,
                .user = l->user,
                .tenant_id = l->tenant_id,
                .scope_missing = l->scope_missing,
        };
}

/* Everything that talks to the outside stops; the result fields stay. */
static void login_release_resources(login *l) {
        l->discovery = discovery_waiter_free(l->discovery);
        l->op = oauth_op_free(l->op);
        l->poll_timer = sd_event_source_disable_unref(l->poll_timer);
        l->expiry_timer = sd_event_source_disable_unref(l->expiry_timer);
        l->device = oauth_device_auth_free(l->device);
        l->token = oauth_token_free(l->token);
        l->pkce = pkce_free(l->pkce);
        l->endpoints = oidc_endpoints_free(l->endpoints);
}

login *login_free(login *l) {
        if (!l)
                return NULL;
        login_release_resources(l);
        l->linger_timer = sd_event_source_disable_unref(l->linger_timer);
        l->listener = redirect_listener_free(l->listener);
        free(l->redirect_uri);
        free(l->error_code);
        free(l->error_message);
        free(l->user);
        free(l->tenant_id);
        free(l->scope_missing);
        free(l);
        return NULL;
}

/* ---- waiting for the result ---- */

void login_waiter_answer_now(login_waiter *w) {
        login *l = w->login;
        login_wait_fn done = w->done;
        void *userdata = w->userdata;

        LIST_REMOVE(waiters, l->waiters, w);
        sd_event_source_disable_unref(w->timer);
        free(w);
        done(l, userdata);
}

static void answer_waiters(login *l) {
        while (l->waiters_head)
                login_waiter_answer_now(l->waiters_head);
}

static int on_waiter_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        login_waiter_answer_now(userdata);
        return 0;
}

int login_wait(account *a, unsigned wait_sec, login_wait_fn done, void *userdata, login_waiter **ret) {
        sd_event *e = a->env->event;
        login_waiter *w;
        uint64_t now = 0;
        int k;

        if (!login_is_pending(a->login))
                return -ESRCH;
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        k = sd_event_add_time(e, &w->timer, CLOCK_MONOTONIC, now + (uint64_t) wait_sec * USEC_PER_SEC, 0,
                              on_waiter_timeout, w);
        if (k < 0) {
                free(w);
                return k;
        }
        w->login = a->login;
        w->done = done;
        w->userdata = userdata;
        LIST_PREPEND(waiters, a->login->waiters, w);
        *ret = w;
        return 0;
}

/* ---- the redirect listener's end ---- */

void login_close_listener_now(login *l) {
        l->linger_timer = sd_event_source_disable_unref(l->linger_timer);
        if (l->listener && l->listener_expired)
                log_debug("account %s: closing the expired login's redirect listener", l->account->store_key);
        l->listener = redirect_listener_free(l->listener);
        l->listener_expired = false;
}

static int on_linger_done(sd_event_source *s, uint64_t usec, void *userdata) {
        login_close_listener_now(userdata);
        return 0;
}

static void close_listener_soon(login *l) {
        sd_event *e = l->account->env->event;
        uint64_t now = 0;

        if (!l->listener)
                return;
        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (sd_event_add_time(e, &l->linger_timer, CLOCK_MONOTONIC,
                              now + (l->listener_expired ? LOGIN_EXPIRED_GRACE_SEC * USEC_PER_SEC : LOGIN_LINGER_USEC),
                              0, on_linger_done, l) < 0)
                login_close_listener_now(l);
}

void login_respond_page(login *l, landing_kind kind, const char *user, const char *tenant,
                        const char *idp_error, const char *idp_description) {
        landing_info info = {
                .account = l->account->conf->name,
                .user_name = user,
                .tenant_name = tenant,
                .idp_error = idp_error,
                .idp_error_description = idp_description,
        };

        if (l->flow == LOGIN_FLOW_CODE && l->listener)
                (void) redirect_listener_respond_page(l->listener, kind, &info);
}

/* ---- the end of a login ---- */

void login_forget_start(login *l) {
        if (!l)
                return;
        l->start_done = NULL;
        l->start_userdata = NULL;
}

void login_report_started(login *l, const login_started *started) {
        login_start_fn done = l->start_done;
        void *userdata = l->start_userdata;

        login_forget_start(l);
        if (done)
                done(l->account, started, userdata);
}

void login_finish(login *l, bool ok, const char *code, const char *fmt, ...) {
        account *a = l->account;
        va_list ap;

        if (!login_is_pending(l))
                return;
        account_metrics_login(&a->metrics, l->flow == LOGIN_FLOW_DEVICE ? ACCOUNT_LOGIN_DEVICE : ACCOUNT_LOGIN_CODE, ok);

        if (!ok) {
                char *msg = NULL;

                va_start(ap, fmt);
                if (vasprintf(&msg, fmt, ap) < 0)
                        msg = NULL;
                va_end(ap);
                free(l->error_message);
                l->error_message = msg;
                (void) free_and_strdup(&l->error_code, code);
                l->phase = LOGIN_FAILED;
                account_set_error(a, "login failed: %s", strempty(l->error_message));
                /* A failed login leaves the account as it was. */
                if (a->state == ACCOUNT_LOGIN_PENDING)
                        account_set_state(a, a->session ? l->state_before : ACCOUNT_LOGGED_OUT);
                account_audit_login(a, login_flow_to_string(l->flow), false, NULL, NULL, code,
                                    l->error_message);
        } else {
                l->phase = LOGIN_DONE;
                account_audit_login(a, login_flow_to_string(l->flow), true, l->user, l->tenant_id, NULL, NULL);
        }

        login_release_resources(l);
        close_listener_soon(l);

        /* A start still unreported ended before the user could act. */
        login_report_started(l, NULL);
        answer_waiters(l);
        manager_notify_status(l->manager);
}

static int on_expiry(sd_event_source *s, uint64_t usec, void *userdata) {
        login *l = userdata;

        /* Closing the port now would leave whoever is still signing in
         * with "connection refused": keep it for the grace period, saying
         * "expired" (also to a callback held in the middle of its
         * exchange, which is abandoned). */
        if (l->listener && redirect_listener_expire(l->listener) >= 0)
                l->listener_expired = true;
        login_finish(l, false, "expired", "the login was not completed in time; start it again");
        return 0;
}

int login_arm_expiry(login *l, uint64_t seconds) {
        sd_event *e = l->account->env->event;
        uint64_t now = 0;

        (void) sd_event_now(e, CLOCK_BOOTTIME, &now);
        return sd_event_add_time(e, &l->expiry_timer, CLOCK_BOOTTIME, now + seconds * USEC_PER_SEC, 0,
                                 on_expiry, l);
}
