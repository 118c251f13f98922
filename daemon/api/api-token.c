/* SPDX-License-Identifier: MIT */
#include "api/api-token.h"
#include "core/refresh.h"
#include "peer/audit.h"
#include "util/json-writer.h"
#include "util/parse-seconds.h"

/* Builds the token answer in secret memory: the only copy of the token
 * outside the session is this buffer, wiped when MHD frees it. */
int api_reply_token(api_request *r, account *a) {
        session *s = a->session;       /* not const: the audit hash is memoised */
        int64_t now = now_realtime();
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        int k;

        json_writer_init(&w, true);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "access_token", s->access_token);
        json_writer_kv_string(&w, "token_type", "Bearer");
        json_writer_kv_int(&w, "expires_at", s->expires_at);
        json_writer_kv_int(&w, "expires_in", s->expires_at > now ? s->expires_at - now : 0);
        json_writer_kv_string(&w, "scope", s->scope);
        json_writer_kv_string(&w, "tenant_id", s->tenant_id);
        json_writer_object_end(&w);
        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the answer");

        a->tokens_served++;
        audit_token_served(a->conf->name, r->peer, s->sub, a->parent ? a->uid : (uid_t) -1, s->access_token,
                           s->access_token_audit);
        return api_request_reply(r, MHD_HTTP_OK, body, len, true);
}

int api_reply_no_token(api_request *r, account *a) {
        const char *name = a->conf->name;

        switch (a->state) {
        case ACCOUNT_NEEDS_LOGIN:
                return api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                               "the identity provider rejected the session of account %s (%s); run: tessera login %s",
                                               name, a->last_error ? a->last_error : "refresh token no longer valid", name);
        case ACCOUNT_LOGIN_PENDING:
                return api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                               "a login for account %s is in progress; finish it in the browser or run: tessera login %s",
                                               name, name);
        case ACCOUNT_DEGRADED:
                return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "idp_unavailable",
                                               "account %s has no valid token and the identity provider cannot be reached (%s)",
                                               name, a->last_error ? a->last_error : "unreachable");
        case ACCOUNT_VALID:
        case ACCOUNT_REFRESHING:
                if (a->session)
                        return api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                                       "the token of account %s has expired and cannot be renewed; run: tessera login %s",
                                                       name, name);
                _fallthrough_;
        case ACCOUNT_LOGGED_OUT:
        case _ACCOUNT_STATE_MAX:
                break;
        }
        return api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                       "account %s is not logged in; run: tessera login %s", name, name);
}

/* A token request waiting for the refresh. */
typedef struct token_wait {
        api_request *request;
        refresh_waiter *waiter;
} token_wait;

static void token_wait_done(account *a, void *userdata) {
        token_wait *tw = userdata;
        api_request *r = tw->request;

        r->on_abort = NULL;
        r->wait_data = NULL;
        free(tw);
        /* After the one refresh a caller waited for, it gets the freshest
         * token even when the IdP grants less than min_valid or cannot be
         * reached: never a second round. */
        if (account_token_valid_for(a, now_realtime(), 1))
                (void) api_reply_token(r, a);
        else
                (void) api_reply_no_token(r, a);
}

static void on_token_wait_abort(api_request *r) {
        token_wait *tw = r->wait_data;

        if (!tw)
                return;
        refresh_waiter_cancel(tw->waiter);
        free(tw);
        r->wait_data = NULL;
        r->on_abort = NULL;
        (void) api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down", "tesserad is stopping");
}

/* The cached token is not valid for min_valid: answer now or once the
 * refresh completes. */
static int token_needed(api_request *r, account *a, unsigned min_valid) {
        int64_t now = now_realtime();
        token_wait *tw;
        int k;

        if (!a->session || a->state == ACCOUNT_NEEDS_LOGIN)
                return api_reply_no_token(r, a);

        /* Good enough when no token of this IdP could do better. */
        if (!refresh_wanted(now, a->session->refreshed_at, a->session->expires_at, min_valid) &&
            account_token_valid_for(a, now, 0))
                return api_reply_token(r, a);

        tw = calloc(1, sizeof *tw);
        if (!tw)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        tw->request = r;

        k = refresh_wait(a, token_wait_done, tw, &tw->waiter);
        if (k < 0) {
                free(tw);
                if (k == -EBUSY)
                        return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "idp_unavailable",
                                                       "too many callers are waiting for a refresh of account %s",
                                                       a->conf->name);
                /* Backing off or nothing to refresh with: serve what is
                 * still valid, else say why there is nothing. */
                if (account_token_valid_for(a, now, 1))
                        return api_reply_token(r, a);
                return api_reply_no_token(r, a);
        }
        api_request_suspend(r, on_token_wait_abort, tw);
        return 0;
}

int api_handle_token(api_request *r, account *a) {
        const char *q = api_request_query(r, "min_valid");
        unsigned min_valid = TOKEN_MIN_VALID_DEFAULT;

        if (q && parse_seconds(q, TOKEN_MIN_VALID_MAX, &min_valid) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "min_valid must be a number of seconds from 0 to %u",
                                               TOKEN_MIN_VALID_MAX);

        if (account_token_valid_for(a, now_realtime(), min_valid))
                return api_reply_token(r, a);

        return token_needed(r, a, min_valid);
}
