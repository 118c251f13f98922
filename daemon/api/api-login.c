/* SPDX-License-Identifier: MIT */
#include "api/api-login.h"
#include "core/account-audit.h"
#include "core/manager.h"
#include "core/revoke.h"
#include "login/login.h"
#include "util/json-writer.h"
#include "util/log.h"
#include "util/parse-seconds.h"

/* The status of a failed start, by the login's error code. */
static unsigned login_error_http_status(const char *code) {
        if (streq_ptr(code, "tenant_not_allowed"))
                return MHD_HTTP_FORBIDDEN;
        if (streq_ptr(code, "idp_unavailable"))
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        if (streq_ptr(code, "bad_request"))
                return MHD_HTTP_BAD_REQUEST;
        return MHD_HTTP_BAD_GATEWAY;
}

static int reply_json(api_request *r, unsigned status, json_writer *w) {
        char *body = NULL;
        size_t len = 0;
        int k;

        k = json_writer_finish(w, &body, &len);
        json_writer_done(w);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the answer");
        return api_request_reply(r, status, body, len, false);
}

int api_reply_login_state(api_request *r, const login *l) {
        login_result res;
        json_writer w;

        login_get_result(l, &res);
        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "state", res.state);
        json_writer_kv_string(&w, "error", res.error_code);
        json_writer_kv_string(&w, "message", res.error_message);
        json_writer_kv_string(&w, "user", res.user);
        json_writer_kv_string(&w, "tenant_id", res.tenant_id);
        json_writer_kv_string(&w, "scope_missing", res.scope_missing);
        json_writer_object_end(&w);
        return reply_json(r, MHD_HTTP_OK, &w);
}

static int reply_started(api_request *r, const login_started *s) {
        json_writer w;

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "flow", login_flow_to_string(s->flow));
        switch (s->flow) {
        case LOGIN_FLOW_CODE:
                json_writer_kv_string(&w, "authorize_url", s->authorize_url);
                json_writer_kv_int(&w, "expires_in", (int64_t) s->expires_in);
                break;
        case LOGIN_FLOW_DEVICE:
                json_writer_kv_string(&w, "verification_uri", s->verification_uri);
                json_writer_kv_string(&w, "verification_uri_complete", s->verification_uri_complete);
                json_writer_kv_string(&w, "user_code", s->user_code);
                json_writer_kv_int(&w, "expires_in", (int64_t) s->expires_in);
                json_writer_kv_int(&w, "interval", (int64_t) s->interval);
                break;
        case _LOGIN_FLOW_MAX:
                break;
        }
        json_writer_object_end(&w);
        return reply_json(r, MHD_HTTP_ACCEPTED, &w);
}

/* ---- POST .../login ---- */

static void on_login_started(account *a, const login_started *started, void *userdata) {
        api_request *r = userdata;
        login_result res;

        r->on_abort = NULL;
        r->wait_data = NULL;
        if (started) {
                (void) reply_started(r, started);
                return;
        }
        login_get_result(a->login, &res);
        (void) api_request_reply_error(r, login_error_http_status(res.error_code),
                                       res.error_code ? res.error_code : "login_failed",
                                       "%s", strempty(res.error_message));
}

static void on_login_start_abort(api_request *r) {
        login *l = r->wait_data;

        login_forget_start(l);
        r->wait_data = NULL;
        r->on_abort = NULL;
        (void) api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down", "tesserad is stopping");
}

int api_handle_login_start(api_request *r, account *a) {
        login_flow flow;
        int k;

        if (login_parse_flow(r->body, r->body_len, &flow) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the body must be {\"flow\":\"code\"} or {\"flow\":\"device\"}");
        if (login_is_pending(a->login))
                return api_request_reply_error(r, MHD_HTTP_CONFLICT, "login_in_progress",
                                               "a login for account %s is already in progress", a->conf->name);

        /* Suspended first: the start may be reported before login_start()
         * returns. */
        api_request_suspend(r, on_login_start_abort, NULL);
        k = login_start(a, flow, r->peer->uid, on_login_started, r);
        if (k < 0)
                r->on_abort = NULL;
        if (k == -EUSERS)
                return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too_many_logins",
                                               "too many logins are pending; try again later");
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot start the login: %s", strerror(-k));
        if (r->on_abort)
                r->wait_data = a->login;        /* still waiting for the start */
        return 0;
}

/* ---- GET .../login?wait=S ---- */

static void on_login_waited(const login *l, void *userdata) {
        api_request *r = userdata;

        r->on_abort = NULL;
        r->wait_data = NULL;
        (void) api_reply_login_state(r, l);
}

static void on_login_wait_abort(api_request *r) {
        login_waiter *w = r->wait_data;

        if (w)
                login_waiter_answer_now(w);
}

int api_handle_login_wait(api_request *r, account *a) {
        const char *q = api_request_query(r, "wait");
        unsigned wait_sec = 0;
        login_waiter *w;
        int k;

        if (q && parse_seconds(q, LOGIN_WAIT_MAX_SEC, &wait_sec) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "wait must be a number of seconds from 0 to %u", LOGIN_WAIT_MAX_SEC);

        if (!login_is_pending(a->login) || wait_sec == 0)
                return api_reply_login_state(r, a->login);

        k = login_wait(a, wait_sec, on_login_waited, r, &w);
        if (k == -ENOMEM)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot wait: %s", strerror(-k));
        api_request_suspend(r, on_login_wait_abort, w);
        return 0;
}

/* ---- POST .../logout ---- */

/* A logout waiting for the IdP's verdict on the revocation. */
typedef struct logout_wait {
        api_request *request;   /* NULL once answered elsewhere (shutdown) */
        int erase_error;
        char *account;
} logout_wait;

static void on_logout_abort(api_request *r) {
        logout_wait *lw = r->wait_data;

        if (!lw)
                return;
        lw->request = NULL;
        r->wait_data = NULL;
        r->on_abort = NULL;
        (void) api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down", "tesserad is stopping");
}

int api_reply_logout(api_request *r, bool revoked, const char *message) {
        json_writer w;

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_key(&w, "revoked");
        json_writer_bool(&w, revoked);
        json_writer_kv_string(&w, "message", message);
        json_writer_object_end(&w);
        return reply_json(r, MHD_HTTP_OK, &w);
}

static void on_logout_revoked(bool revoked, const char *message, void *userdata) {
        logout_wait *lw = userdata;
        api_request *r = lw->request;

        if (!revoked)
                log_warning("account %s: logged out locally, but %s", lw->account, message);
        if (r) {
                r->on_abort = NULL;
                r->wait_data = NULL;
                if (lw->erase_error < 0)
                        (void) api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                                       "cannot erase the stored session of account %s: %s",
                                                       lw->account, strerror(-lw->erase_error));
                else
                        (void) api_reply_logout(r, revoked, message);
        }
        free(lw->account);
        free(lw);
}

int api_handle_logout(api_request *r, account *a) {
        logout_wait *lw;

        lw = calloc(1, sizeof *lw);
        if (!lw || !(lw->account = strdup(a->store_key))) {
                free(lw);
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        }
        lw->request = r;
        /* Suspended first: the verdict may come before account_logout()
         * returns. The local erase happens whatever the IdP says. */
        api_request_suspend(r, on_logout_abort, lw);
        account_audit_logout(a, r->peer);
        (void) account_logout(a, &lw->erase_error, on_logout_revoked, lw);
        manager_notify_status(a->manager);
        return 0;
}
