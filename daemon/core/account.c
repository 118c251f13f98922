/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdarg.h>
#include <time.h>

#include "core/account.h"
#include "util/log.h"
#include "util/secret.h"
#include "store/store.h"
#include "util/string-table.h"

static const char *const account_state_table[_ACCOUNT_STATE_MAX] = {
        [ACCOUNT_LOGGED_OUT] = "logged_out",
        [ACCOUNT_LOGIN_PENDING] = "login_pending",
        [ACCOUNT_VALID] = "valid",
        [ACCOUNT_REFRESHING] = "refreshing",
        [ACCOUNT_NEEDS_LOGIN] = "needs_login",
        [ACCOUNT_DEGRADED] = "degraded",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(account_state, account_state);

void account_set_state(account *a, account_state s) {
        account_state old = a->state;

        if (old == s)
                return;
        a->state = s;
        if (a->env && a->env->state_changed)
                a->env->state_changed(a, old, a->env->userdata);
}

int64_t now_realtime(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec;
}

void format_utc(int64_t t, char ret[static 32]) {
        time_t tt = (time_t) t;
        struct tm tm;

        if (!gmtime_r(&tt, &tm) || strftime(ret, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                (void) snprintf(ret, 32, "%" PRIi64, t);
}

int account_new(manager *m, account_env *env, const conf_account *c, account **ret) {
        account *a;

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->env = env;
        a->conf = c;
        strncpy(a->store_key, c->name, sizeof a->store_key - 1);
        a->state = ACCOUNT_LOGGED_OUT;         /* the first state: nothing to tell */
        *ret = a;
        return 0;
}

account *account_free(account *a) {
        if (!a)
                return NULL;
        session_free(a->session);
        free(a->last_error);
        free(a->sessions);      /* the sessions themselves are gone by now (account_destroy()) */
        free(a->os_user);
        free(a);
        return NULL;
}

void account_set_error(account *a, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(a->last_error);
        a->last_error = s;
}

void account_clear_error(account *a) {
        free(a->last_error);
        a->last_error = NULL;
}

int account_load(account *a) {
        _cleanup_(session_freep) session *s = NULL;
        _cleanup_(freep) char *quarantined = NULL;
        int r;

        r = store_load(a->env->store, a->store_key, a->conf->issuer, &s, &quarantined);
        if (r == -ENOENT) {
                account_set_state(a, ACCOUNT_LOGGED_OUT);
                return 0;
        }
        if (r == -EBADMSG) {
                log_error("account %s: stored session is damaged or not ours, moved aside to %s; log in again",
                          a->store_key, strempty(quarantined));
                account_set_error(a, "stored session was damaged and moved aside (%s)", strempty(quarantined));
                account_set_state(a, ACCOUNT_LOGGED_OUT);
                return 0;
        }
        if (r < 0) {
                log_error_errno(r, "account %s: cannot read stored session: %m", a->store_key);
                account_set_error(a, "cannot read stored session: %s", strerror(-r));
                account_set_state(a, ACCOUNT_LOGGED_OUT);
                return r;
        }

        session_free(a->session);
        a->session = TAKE_PTR(s);
        account_set_state(a, ACCOUNT_VALID);
        log_info("account %s: session loaded (user %s, token %s)", a->store_key,
                 strempty(a->session->user),
                 a->session->expires_at > now_realtime() ? "valid" : "expired");
        return 0;
}

int account_install_session(account *a, session *s) {
        int r;

        /* Durable first: a caller must never hold a token whose refresh
         * token we could lose in a crash. */
        r = store_save(a->env->store, a->store_key, a->conf->issuer, s);
        if (r < 0)
                return r;       /* s stays the caller's */
        session_free(a->session);
        a->session = s;
        account_set_state(a, ACCOUNT_VALID);
        account_clear_error(a);
        return 0;
}

int account_forget_session(account *a) {
        int r;

        a->session = session_free(a->session);
        account_set_state(a, ACCOUNT_LOGGED_OUT);
        a->next_refresh_at = 0;
        r = store_remove(a->env->store, a->store_key);
        if (r < 0)
                return r;
        return 0;
}

bool account_token_valid_for(const account *a, int64_t now, unsigned min_valid) {
        if (!a->session || !a->session->access_token)
                return false;
        switch (a->state) {
        case ACCOUNT_VALID:
        case ACCOUNT_REFRESHING:
        case ACCOUNT_DEGRADED:
        case ACCOUNT_LOGIN_PENDING:     /* a re-login does not stop the old session */
                break;
        case ACCOUNT_LOGGED_OUT:
        case ACCOUNT_NEEDS_LOGIN:
        case _ACCOUNT_STATE_MAX:
                return false;
        }
        if (a->session->expires_at <= 0 || now > INT64_MAX - (int64_t) min_valid)
                return false;
        return a->session->expires_at >= now + (int64_t) min_valid;
}

static bool scope_has(const char *list, const char *word, size_t len) {
        const char *p = list;

        while (p && *p) {
                size_t n;

                p += strspn(p, " ");
                n = strcspn(p, " ");
                if (n == len && strncmp(p, word, len) == 0)
                        return true;
                p += n;
        }
        return false;
}

int account_scope_missing(const account *a, char **ret) {
        _cleanup_(freep) char *missing = NULL;
        size_t used = 0;
        const char *p;

        if (!a->session || !a->session->scope || !a->conf->scope) {
                *ret = NULL;
                return 0;
        }

        missing = calloc(1, strlen(a->conf->scope) + 1);
        if (!missing)
                return -ENOMEM;

        for (p = a->conf->scope; *p;) {
                size_t n;

                p += strspn(p, " \t");
                n = strcspn(p, " \t");
                if (n == 0)
                        break;
                /* The IdP decides about openid/offline_access itself; an
                 * API scope that did not come back is what matters. */
                if (!scope_has(a->session->scope, p, n) &&
                    !(n == 6 && strncmp(p, "openid", 6) == 0)) {
                        if (used > 0)
                                missing[used++] = ' ';
                        memcpy(missing + used, p, n);
                        used += n;
                }
                p += n;
        }

        *ret = used > 0 ? TAKE_PTR(missing) : NULL;
        return 0;
}
