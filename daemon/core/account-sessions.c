/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/account-audit.h"
#include "core/account-sessions.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "peer/peer.h"
#include "store/store.h"
#include "util/log.h"

/* The index of uid in parent->sessions, or where it would go. */
static size_t position(const account *parent, uid_t uid, bool *ret_found) {
        size_t lo = 0, hi = parent->n_sessions;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (parent->sessions[mid]->uid < uid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = lo < parent->n_sessions && parent->sessions[lo]->uid == uid;
        return lo;
}

account *account_session_find(const account *parent, uid_t uid) {
        bool found;
        size_t i;

        if (!parent || !parent->sessions)
                return NULL;
        i = position(parent, uid, &found);
        return found ? parent->sessions[i] : NULL;
}

int account_session_add(account *parent, uid_t uid, account **ret) {
        _cleanup_(account_freep) account *s = NULL;
        bool found;
        size_t i;
        int r;

        if (!account_is_per_user(parent) || uid == (uid_t) -1)
                return -EINVAL;
        i = position(parent, uid, &found);
        if (found)
                return -EEXIST;
        if (parent->n_sessions >= ACCOUNT_SESSIONS_MAX)
                return -E2BIG;

        r = account_new(parent->manager, parent->env, parent->conf, &s);
        if (r < 0)
                return r;
        s->parent = parent;
        s->uid = uid;
        r = account_store_key_format(parent->conf->name, uid, s->store_key);
        if (r < 0)
                return r;
        /* Looked up once: status lists hundreds of sessions. */
        s->os_user = uid_to_user_name(uid);

        if (parent->n_sessions == parent->n_sessions_allocated) {
                size_t n = MAX(parent->n_sessions_allocated * 2, (size_t) 8);
                account **l = reallocarray(parent->sessions, n, sizeof *l);

                if (!l)
                        return -ENOMEM;
                parent->sessions = l;
                parent->n_sessions_allocated = n;
        }
        memmove(parent->sessions + i + 1, parent->sessions + i, (parent->n_sessions - i) * sizeof *parent->sessions);
        parent->sessions[i] = s;
        parent->n_sessions++;
        *ret = TAKE_PTR(s);
        return 0;
}

void account_session_unlink(account *s) {
        account *parent = s->parent;
        bool found;
        size_t i;

        if (!parent)
                return;
        i = position(parent, s->uid, &found);
        if (found && parent->sessions[i] == s) {
                memmove(parent->sessions + i, parent->sessions + i + 1,
                        (parent->n_sessions - i - 1) * sizeof *parent->sessions);
                parent->n_sessions--;
        }
        s->parent = NULL;
}

void account_set_conf(account *a, const conf_account *c) {
        a->conf = c;
        for (size_t i = 0; i < a->n_sessions; i++)
                a->sessions[i]->conf = c;
}

void account_destroy(account *a, account_gone_fn gone) {
        if (!a)
                return;
        /* Newest uid first: each removal is then a pop, not a move. */
        while (a->n_sessions > 0)
                account_destroy(a->sessions[a->n_sessions - 1], gone);
        if (gone)
                gone(a);
        refresh_account_gone(a);
        revoke_account_gone(a);
        account_session_unlink(a);
        account_free(a);
}

int account_sessions_load(account *parent) {
        _cleanup_(freep) uid_t *uids = NULL;
        size_t n = 0;
        int r;

        r = store_list_users(parent->env->store, parent->conf->name, &uids, &n);
        if (r < 0)
                return log_error_errno(r, "account %s: cannot list the stored sessions: %m", parent->conf->name);

        for (size_t i = 0; i < n; i++) {
                account *s;

                r = account_session_add(parent, uids[i], &s);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "account %s: cannot set up the session of uid %u: %m",
                                               parent->conf->name, (unsigned) uids[i]);
                (void) account_load(s);
                if (s->session)
                        account_session_changed(s);
        }
        if (n > 0)
                log_info("account %s: %zu stored session(s) loaded", parent->conf->name, n);
        return 0;
}

int account_session_end_at_logout(account *parent, uid_t uid, account_gone_fn gone) {
        account *s = account_session_find(parent, uid);
        int r;

        if (!s || !parent->conf->end_with_logout || !s->session || !s->session->logind_bound)
                return 0;

        account_audit_session_ended(s);
        /* The revocation belongs to the account (revoke.c) and goes on
         * after the session object is gone. */
        (void) account_logout(s, &r, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "account %s: cannot erase the stored session: %m", s->store_key);
        account_destroy(s, gone);
        return 1;
}
