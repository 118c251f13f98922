/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "api/api-access.h"
#include "api/api-status.h"
#include "core/account-sessions.h"
#include "util/json-writer.h"

static void write_time_or_null(json_writer *w, const char *key, int64_t t) {
        json_writer_key(w, key);
        if (t > 0)
                json_writer_int(w, t);
        else
                json_writer_null(w);
}

/* One entry: a shared account, or one person's session of a per-user
 * account (then with its uid and user name; uid alone for a caller who
 * has no session yet, a == parent). */
static void write_account_status(json_writer *w, const account *a, const uid_t *uid) {
        _cleanup_(freep) char *missing = NULL, *os_user = NULL;
        const session *s = a->session;

        (void) account_scope_missing(a, &missing);

        json_writer_object_begin(w);
        json_writer_kv_string(w, "name", a->conf->name);
        json_writer_kv_string(w, "sessions", session_mode_to_string(a->conf->sessions));
        if (uid) {
                json_writer_key(w, "uid");
                json_writer_uint(w, *uid);
                if (a->parent)
                        json_writer_kv_string(w, "os_user", a->os_user);
                else {
                        os_user = uid_to_user_name(*uid);
                        json_writer_kv_string(w, "os_user", os_user);
                }
        }
        json_writer_kv_string(w, "state", account_state_to_string(a->state));
        json_writer_kv_string(w, "user", s ? s->user : NULL);
        json_writer_kv_string(w, "tenant_id", s ? s->tenant_id : NULL);
        json_writer_kv_string(w, "tenant_name", s ? s->tenant_name : NULL);
        json_writer_kv_string(w, "scope_granted", s ? s->scope : NULL);
        json_writer_kv_string(w, "scope_missing", missing);
        write_time_or_null(w, "expires_at", s ? s->expires_at : 0);
        write_time_or_null(w, "refreshed_at", s ? s->refreshed_at : 0);
        write_time_or_null(w, "next_refresh_at", a->next_refresh_at);
        json_writer_kv_string(w, "last_error", a->last_error);
        json_writer_key(w, "tokens_served");
        json_writer_uint(w, a->tokens_served);
        json_writer_object_end(w);
}

/* A per-user account: the caller's own entry (logged out when there is
 * no session), and for admins every session that is not logged out. */
static void write_sessions(json_writer *w, const account *a, uid_t caller, bool admin, bool member) {
        const account *own = account_session_find(a, caller);

        if (member && !own)
                write_account_status(w, a, &caller);
        for (size_t j = 0; j < a->n_sessions; j++) {
                const account *s = a->sessions[j];

                if (s == own || (admin && s->state != ACCOUNT_LOGGED_OUT))
                        write_account_status(w, s, &s->uid);
        }
}

int api_handle_status(api_request *r, account *unused) {
        manager *m = r->manager;
        uint64_t mono = 0;
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        bool admin = api_may_administer(m, r->peer);
        int k;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &mono);

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "version", PACKAGE_VERSION);
        json_writer_key(&w, "uptime_s");
        json_writer_uint(&w, mono > m->started_usec ? (mono - m->started_usec) / USEC_PER_SEC : 0);
        json_writer_key(&w, "accounts");
        json_writer_array_begin(&w);
        for (size_t i = 0; i < m->n_accounts; i++) {
                const account *a = m->accounts[i];
                bool member = api_may_use_account(m, a->conf, r->peer);

                if (!admin && !member)
                        continue;
                if (!account_is_per_user(a)) {
                        write_account_status(&w, a, NULL);
                        continue;
                }
                write_sessions(&w, a, r->peer->uid, admin, member);
        }
        json_writer_array_end(&w);
        json_writer_object_end(&w);

        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the status");
        return api_request_reply(r, MHD_HTTP_OK, body, len, false);
}
