/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>

#include "api/api-routes.h"
#include "idp/discovery.h"
#include "util/json-writer.h"
#include "util/log.h"
#include "login/login.h"
#include "core/manager.h"
#include "idp/oauth.h"
#include "idp/pkce.h"
#include "login/redirect.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "util/secret.h"

#define LOGIN_BODY_FLOW_MAX 16
/* After the landing page is handed over, the listener stays up this long
 * so the browser can read it, then the port closes. */
#define LOGIN_LINGER_USEC (2 * USEC_PER_SEC)

/* 0: not overridden by LOGIN_TIMEOUT_ENV. */
static unsigned login_timeout_override;
static bool login_environment_read;

typedef enum login_phase {
        LOGIN_DISCOVERING,      /* waiting for the IdP's endpoints */
        LOGIN_AUTHORIZING,      /* device authorization request in flight */
        LOGIN_WAITING_USER,     /* browser redirect expected / device polling */
        LOGIN_EXCHANGING,       /* token request in flight */
        LOGIN_USERINFO,         /* GipoNext userinfo in flight */
        LOGIN_DONE,
        LOGIN_FAILED,
        _LOGIN_PHASE_MAX,
} login_phase;

typedef struct login_waiter login_waiter;

struct login {
        account *account;
        manager *manager;
        login_flow flow;
        login_phase phase;
        account_state state_before;

        api_request *start_request;     /* the POST, until it is answered */
        login_waiter *waiters;

        discovery_waiter *discovery;
        oidc_endpoints *endpoints;
        pkce *pkce;
        redirect_listener *listener;
        char *redirect_uri;
        oauth_op *op;
        oauth_device_auth *device;
        uint64_t poll_interval_sec;
        sd_event_source *poll_timer;
        sd_event_source *expiry_timer;
        sd_event_source *linger_timer;
        bool listener_expired;          /* the listener answers "expired" until the grace ends */
        oauth_token *token;

        char *error_code;
        char *error_message;
        char *user;
        char *tenant_id;
        char *scope_missing;
};

struct login_waiter {
        login *login;
        api_request *request;
        sd_event_source *timer;
        login_waiter *next, *prev;
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

static void login_finish(login *l, bool ok, const char *code, const char *fmt, ...) _printf_(4, 5);

int login_parse_timeout(const char *s, unsigned *ret) {
        unsigned v = 0;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = api_parse_seconds(s, LOGIN_CODE_TIMEOUT_SEC, &v);
        if (r < 0)
                return r;
        if (v == 0)
                return -ERANGE;
        *ret = v;
        return 0;
}

void login_read_environment(void) {
        const char *e;
        unsigned v;

        if (login_environment_read)
                return;
        login_environment_read = true;

        e = getenv(LOGIN_TIMEOUT_ENV);
        if (!e)
                return;
        if (login_parse_timeout(e, &v) < 0) {
                /* The value is the environment's, not a secret, but it may
                 * be anything: say what is wanted rather than echo it. */
                log_warning("ignoring %s: not a number of seconds from 1 to %u", LOGIN_TIMEOUT_ENV,
                            LOGIN_CODE_TIMEOUT_SEC);
                return;
        }
        login_timeout_override = v;
        log_notice("%s=%u: logins expire after %u s (meant for tests)", LOGIN_TIMEOUT_ENV, v, v);
}

unsigned login_timeout_sec(void) {
        return login_timeout_override > 0 ? login_timeout_override : LOGIN_CODE_TIMEOUT_SEC;
}

bool login_is_pending(const login *l) {
        return l && l->phase != LOGIN_DONE && l->phase != LOGIN_FAILED;
}

static unsigned pending_logins(manager *m) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_accounts; i++)
                if (login_is_pending(m->accounts[i]->login))
                        n++;
        return n;
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

static login *login_free(login *l) {
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

/* ---- answering GET .../login ---- */

static int login_result_json(const login *l, char **ret, size_t *ret_len) {
        json_writer w;
        int r;

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "state", l ? login_phase_table[l->phase] : "none");
        json_writer_kv_string(&w, "error", l ? l->error_code : NULL);
        json_writer_kv_string(&w, "message", l ? l->error_message : NULL);
        json_writer_kv_string(&w, "user", l ? l->user : NULL);
        json_writer_kv_string(&w, "tenant_id", l ? l->tenant_id : NULL);
        json_writer_kv_string(&w, "scope_missing", l ? l->scope_missing : NULL);
        json_writer_object_end(&w);
        r = json_writer_finish(&w, ret, ret_len);
        json_writer_done(&w);
        return r;
}

static int reply_login_state(api_request *r, const login *l) {
        char *body = NULL;
        size_t len = 0;

        if (login_result_json(l, &body, &len) < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the answer");
        return api_request_reply(r, MHD_HTTP_OK, body, len, false);
}

static void waiter_free(login_waiter *w) {
        login *l = w->login;

        if (w->prev)
                w->prev->next = w->next;
        else
                l->waiters = w->next;
        if (w->next)
                w->next->prev = w->prev;
        sd_event_source_disable_unref(w->timer);
        if (w->request)
                w->request->wait_data = NULL;
        free(w);
}

static void waiter_answer(login_waiter *w) {
        api_request *r = TAKE_PTR(w->request);
        login *l = w->login;

        waiter_free(w);
        if (r) {
                r->on_abort = NULL;
                (void) reply_login_state(r, l);
        }
}

static void answer_waiters(login *l) {
        while (l->waiters)
                waiter_answer(l->waiters);
}

static int on_waiter_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        waiter_answer(userdata);
        return 0;
}

static void on_waiter_abort(api_request *r) {
        login_waiter *w = r->wait_data;

        if (w)
                waiter_answer(w);
}

/* ---- the end of a login ---- */

static void on_start_request_abort(api_request *r) {
        login *l = r->wait_data;

        if (l && l->start_request == r) {
                l->start_request = NULL;
                (void) api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                               "tesserad is stopping");
        }
}

static void close_listener_now(login *l) {
        l->linger_timer = sd_event_source_disable_unref(l->linger_timer);
        if (l->listener && l->listener_expired)
                log_debug("account %s: closing the expired login's redirect listener", l->account->conf->name);
        l->listener = redirect_listener_free(l->listener);
        l->listener_expired = false;
}

static int on_linger_done(sd_event_source *s, uint64_t usec, void *userdata) {
        close_listener_now(userdata);
        return 0;
}

static void close_listener_soon(login *l) {
        uint64_t now = 0;

        if (!l->listener)
                return;
        (void) sd_event_now(l->manager->event, CLOCK_MONOTONIC, &now);
        if (sd_event_add_time(l->manager->event, &l->linger_timer, CLOCK_MONOTONIC,
                              now + (l->listener_expired ? LOGIN_EXPIRED_GRACE_SEC * USEC_PER_SEC : LOGIN_LINGER_USEC),
                              0, on_linger_done, l) < 0)
                close_listener_now(l);
}

static unsigned error_http_status(const char *code) {
        if (streq_ptr(code, "tenant_not_allowed"))
                return MHD_HTTP_FORBIDDEN;
        if (streq_ptr(code, "idp_unavailable"))
                return MHD_HTTP_SERVICE_UNAVAILABLE;
        if (streq_ptr(code, "bad_request"))
                return MHD_HTTP_BAD_REQUEST;
        return MHD_HTTP_BAD_GATEWAY;
}

static void login_finish(login *l, bool ok, const char *code, const char *fmt, ...) {
        account *a = l->account;
        va_list ap;

        if (!login_is_pending(l))
                return;

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
                /* A failed login leaves the account as it was. */
                if (a->state == ACCOUNT_LOGIN_PENDING)
                        a->state = a->session ? l->state_before : ACCOUNT_LOGGED_OUT;
                account_set_error(a, "login failed: %s", strempty(l->error_message));
                log_warning("account %s: login failed (%s): %s", a->conf->name, strempty(code),
                            strempty(l->error_message));
        } else {
                l->phase = LOGIN_DONE;
                log_info("account %s: logged in as %s (tenant %s)", a->conf->name,
                         strempty(l->user), strempty(l->tenant_id));
        }

        login_release_resources(l);
        close_listener_soon(l);

        if (l->start_request) {
                api_request *r = TAKE_PTR(l->start_request);

                r->on_abort = NULL;
                (void) api_request_reply_error(r, error_http_status(l->error_code),
                                               l->error_code ? l->error_code : "login_failed",
                                               "%s", strempty(l->error_message));
        }
        answer_waiters(l);
        manager_notify_status(l->manager);
}

/* ---- after the tokens arrive: tenant, scope, storage ---- */

static bool tenant_allowed(const conf_account *c, const char *id) {
        if (strv_length(c->allowed_tenants) == 0)
                return true;
        for (char **t = c->allowed_tenants; *t; t++)
                if (streq(*t, id))
                        return true;
        return false;
}

static const userinfo_tenant *pick_tenant(const conf_account *c, const oauth_userinfo *u) {
        /* The first tenant the allow-list accepts; without a list, the first. */
        for (size_t i = 0; i < u->n_tenants; i++)
                if (tenant_allowed(c, u->tenants[i].id))
                        return &u->tenants[i];
        return NULL;
}

static int build_session(login *l, const oauth_userinfo *u, const userinfo_tenant *t, session **ret) {
        _cleanup_(session_freep) session *s = NULL;
        int64_t now = now_realtime();
        int r;

        s = session_new();
        if (!s)
                return -ENOMEM;
        s->access_token = TAKE_PTR(l->token->access_token);
        s->refresh_token = TAKE_PTR(l->token->refresh_token);
        r = session_set_string(&s->scope, l->token->scope);
        if (r >= 0)
                r = session_set_string(&s->sub, u->sub);
        if (r >= 0)
                r = session_set_string(&s->user, u->name);
        if (r >= 0 && t)
                r = session_set_string(&s->tenant_id, t->id);
        if (r >= 0 && t)
                r = session_set_string(&s->tenant_name, t->name);
        for (size_t i = 0; r >= 0 && i < u->n_tenants; i++)
                r = session_add_tenant(s, u->tenants[i].id, u->tenants[i].name);
        if (r < 0)
                return r;
        s->refreshed_at = now;
        s->expires_at = now + (int64_t) l->token->expires_in;
        *ret = TAKE_PTR(s);
        return 0;
}

static void respond_page(login *l, landing_kind kind, const char *user, const char *tenant,
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

static void on_userinfo(oauth_op *op, const oauth_error *error, oauth_userinfo *userinfo, void *userdata) {
        _cleanup_(oauth_userinfo_freep) oauth_userinfo *u = userinfo;
        _cleanup_(session_freep) session *s = NULL;
        login *l = userdata;
        account *a = l->account;
        const userinfo_tenant *t;
        int r;

        l->op = oauth_op_free(l->op);

        if (error) {
                /* Nothing stored yet: give the grant back rather than leave
                 * it behind at the IdP. */
                revoke_tokens(a, l->endpoints, l->token->refresh_token, l->token->access_token);
                respond_page(l, LANDING_EXCHANGE_FAILED, NULL, NULL, NULL, NULL);
                login_finish(l, false, "userinfo_failed", "GipoNext userinfo request failed: %s",
                             strempty(error->description));
                return;
        }

        t = pick_tenant(a->conf, u);
        if (!t) {
                revoke_tokens(a, l->endpoints, l->token->refresh_token, l->token->access_token);
                respond_page(l, LANDING_TENANT_NOT_ALLOWED, u->name, u->n_tenants > 0 ? u->tenants[0].name : NULL,
                             NULL, NULL);
                if (u->n_tenants == 0)
                        login_finish(l, false, "tenant_not_allowed",
                                     "user %s belongs to no GipoNext tenant; the tokens were revoked",
                                     strempty(u->name));
                else
                        login_finish(l, false, "tenant_not_allowed",
                                     "tenant %s of user %s is not in allowed_tenants; the tokens were revoked",
                                     u->tenants[0].id, strempty(u->name));
                return;
        }

        r = build_session(l, u, t, &s);
        if (r >= 0) {
                (void) free_and_strdup(&l->user, u->name ? u->name : u->sub);
                (void) free_and_strdup(&l->tenant_id, t->id);
                r = account_install_session(a, s);
                if (r >= 0)
                        s = NULL;       /* the account's now */
                else
                        /* Nothing usable stays here: give the grant back
                         * instead of leaving live tokens at the IdP. */
                        revoke_tokens(a, l->endpoints, s->refresh_token, s->access_token);
        }
        if (r < 0) {
                respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "store_failed", "cannot store the new session: %s", strerror(-r));
                return;
        }

        free(l->scope_missing);
        l->scope_missing = NULL;
        (void) account_scope_missing(a, &l->scope_missing);
        if (l->scope_missing)
                log_warning("account %s: the user did not grant: %s", a->conf->name, l->scope_missing);

        respond_page(l, LANDING_SUCCESS, u->name, t->name, NULL, NULL);
        login_finish(l, true, NULL, NULL);
        account_session_changed(a);
}

static void tokens_arrived(login *l, oauth_token *token) {
        int r;

        l->token = token;
        if (!token->refresh_token)
                log_warning("account %s: the identity provider issued no refresh token (is offline_access granted?)",
                            l->account->conf->name);

        l->phase = LOGIN_USERINFO;
        r = oauth_fetch_userinfo(l->manager->curl, l->account->conf->userinfo_url, token->access_token,
                           on_userinfo, l, &l->op);
        if (r < 0) {
                respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "internal_error", "cannot call userinfo: %s", strerror(-r));
        }
}

/* ---- Authorization Code ---- */

static void on_code_exchanged(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        login *l = userdata;

        l->op = oauth_op_free(l->op);
        if (error) {
                respond_page(l, LANDING_EXCHANGE_FAILED, NULL, NULL, error->code, error->description);
                login_finish(l, false, error->code ? error->code : "idp_unavailable",
                             "the code exchange failed: %s", strempty(error->description));
                return;
        }
        tokens_arrived(l, token);
}

static void on_redirect(redirect_listener *listener, const redirect_result *res, void *userdata) {
        login *l = userdata;
        int r;

        if (res->outcome == REDIRECT_EXPIRED) {
                /* Answered already; the login itself ended at the timeout. */
                log_notice("account %s: the browser came back after the login had expired; "
                           "showed the \"login expired\" page, the code was not used", l->account->conf->name);
                return;
        }

        if (!login_is_pending(l) || l->phase != LOGIN_WAITING_USER) {
                if (res->awaiting_response)
                        respond_page(l, LANDING_ALREADY_HANDLED, NULL, NULL, NULL, NULL);
                return;
        }

        switch (res->outcome) {
        case REDIRECT_CODE:
                l->phase = LOGIN_EXCHANGING;
                r = oauth_exchange_code(l->manager->curl, l->account->conf, l->endpoints, res->code,
                                        l->redirect_uri, pkce_verifier(l->pkce), on_code_exchanged, l, &l->op);
                if (r < 0) {
                        respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                        login_finish(l, false, "internal_error", "cannot start the code exchange: %s", strerror(-r));
                }
                return;
        case REDIRECT_ERROR:
                respond_page(l, streq_ptr(res->error, "access_denied") ? LANDING_ACCESS_DENIED : LANDING_IDP_ERROR,
                             NULL, NULL, res->error, res->error_description);
                login_finish(l, false, res->error ? res->error : "idp_error",
                             "the identity provider refused the login: %s%s%s", strempty(res->error),
                             res->error_description ? ": " : "", strempty(res->error_description));
                return;
        case REDIRECT_BAD_STATE:
                /* The listener already showed the browser an "invalid link"
                 * page. Any local process can reach the port, so a stray
                 * request must not cancel the real login: keep waiting. */
                log_warning("account %s: redirect listener got a callback with a wrong state, ignored",
                            l->account->conf->name);
                if (res->awaiting_response)
                        respond_page(l, LANDING_BAD_STATE, NULL, NULL, NULL, NULL);
                return;
        case REDIRECT_BAD_ISSUER:
                if (res->awaiting_response)
                        respond_page(l, LANDING_IDP_ERROR, NULL, NULL, "invalid_issuer", NULL);
                login_finish(l, false, "issuer_mismatch",
                             "the authorization response names another issuer (RFC 9207)");
                return;
        case REDIRECT_EXPIRED:          /* handled above */
        case REDIRECT_MALFORMED:
        case _REDIRECT_OUTCOME_MAX:
        case _REDIRECT_OUTCOME_INVALID:
                if (!res->awaiting_response) {
                        log_warning("account %s: redirect listener got a malformed callback, ignored",
                                    l->account->conf->name);
                        return;
                }
                respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "bad_redirect", "the browser's redirect was malformed");
                return;
        }
}

static int reply_code_started(login *l) {
        _cleanup_(freep) char *url = NULL;
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        api_request *r;
        int k;

        k = pkce_new(&l->pkce);
        if (k < 0)
                return k;
        k = redirect_listener_new(l->manager->event, pkce_state(l->pkce), l->account->conf->issuer,
                                  on_redirect, l, &l->listener);
        if (k < 0)
                return k;
        (void) redirect_listener_set_account(l->listener, l->account->conf->name);
        k = redirect_listener_uri(l->listener, &l->redirect_uri);
        if (k < 0)
                return k;
        k = authorize_url_build(l->endpoints->authorization_endpoint, l->account->conf->client_id,
                                l->redirect_uri, l->account->conf->scope, pkce_state(l->pkce),
                                pkce_challenge(l->pkce), &url);
        if (k < 0)
                return k;

        l->phase = LOGIN_WAITING_USER;
        log_info("account %s: code login started, redirect listener on 127.0.0.1:%u",
                 l->account->conf->name, (unsigned) redirect_listener_port(l->listener));

        r = TAKE_PTR(l->start_request);
        if (!r)
                return 0;
        r->on_abort = NULL;
        /* The URL carries state and the PKCE challenge: both are safe to
         * show, neither lets anyone redeem the code without the verifier. */
        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "flow", "code");
        json_writer_kv_string(&w, "authorize_url", url);
        json_writer_kv_int(&w, "expires_in", login_timeout_sec());
        json_writer_object_end(&w);
        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the answer");
        return api_request_reply(r, MHD_HTTP_ACCEPTED, body, len, false);
}

/* ---- Device Code ---- */

static int arm_poll(login *l);

static void on_device_token(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        login *l = userdata;
        int r;

        l->op = oauth_op_free(l->op);
        if (!error) {
                l->phase = LOGIN_EXCHANGING;
                tokens_arrived(l, token);
                return;
        }

        switch (oauth_error_code_from_string(error->code)) {
        case OAUTH_ERROR_AUTHORIZATION_PENDING:
                break;
        case OAUTH_ERROR_SLOW_DOWN:
                /* RFC 8628 §3.5: +5 s for this and every later poll. */
                l->poll_interval_sec = MIN(l->poll_interval_sec + 5, OAUTH_DEVICE_INTERVAL_MAX);
                break;
        case OAUTH_ERROR_ACCESS_DENIED:
                login_finish(l, false, "access_denied", "the user declined the device login");
                return;
        case OAUTH_ERROR_EXPIRED_TOKEN:
                login_finish(l, false, "expired", "the device code expired before the user approved it");
                return;
        case OAUTH_ERROR_NONE:
        case OAUTH_ERROR_OTHER:
        case OAUTH_ERROR_INVALID_REQUEST:
        case OAUTH_ERROR_INVALID_CLIENT:
        case OAUTH_ERROR_INVALID_GRANT:
        case OAUTH_ERROR_UNAUTHORIZED_CLIENT:
        case OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE:
        case OAUTH_ERROR_INVALID_SCOPE:
        case OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE:
        case OAUTH_ERROR_TEMPORARILY_UNAVAILABLE:
        case OAUTH_ERROR_SERVER_ERROR:
        case _OAUTH_ERROR_CODE_MAX:
                login_finish(l, false, error->code ? error->code : "idp_unavailable",
                             "device login failed: %s", strempty(error->description));
                return;
        }

        r = arm_poll(l);
        if (r < 0)
                login_finish(l, false, "internal_error", "cannot schedule the next poll: %s", strerror(-r));
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        login *l = userdata;
        int r;

        l->poll_timer = sd_event_source_disable_unref(l->poll_timer);
        r = oauth_device_poll(l->manager->curl, l->account->conf, l->endpoints, l->device->device_code,
                              on_device_token, l, &l->op);
        if (r < 0)
                login_finish(l, false, "internal_error", "cannot poll the token endpoint: %s", strerror(-r));
        return 0;
}

static int arm_poll(login *l) {
        uint64_t now = 0;

        (void) sd_event_now(l->manager->event, CLOCK_BOOTTIME, &now);
        return sd_event_add_time(l->manager->event, &l->poll_timer, CLOCK_BOOTTIME,
                                 now + l->poll_interval_sec * USEC_PER_SEC, 0, on_poll_timer, l);
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

static int arm_expiry(login *l, uint64_t seconds) {
        uint64_t now = 0;

        (void) sd_event_now(l->manager->event, CLOCK_BOOTTIME, &now);
        return sd_event_add_time(l->manager->event, &l->expiry_timer, CLOCK_BOOTTIME,
                                 now + seconds * USEC_PER_SEC, 0, on_expiry, l);
}

static void on_device_authorized(oauth_op *op, const oauth_error *error, oauth_device_auth *device, void *userdata) {
        login *l = userdata;
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        api_request *r;
        int k;

        l->op = oauth_op_free(l->op);
        if (error) {
                login_finish(l, false, error->error == -EACCES ? (error->code ? error->code : "idp_error") : "idp_unavailable",
                             "device authorization failed: %s", strempty(error->description));
                return;
        }
        l->device = device;
        l->poll_interval_sec = device->interval;
        l->phase = LOGIN_WAITING_USER;
        /* Only the test knob shortens it; the IdP's own lifetime stands
         * otherwise, long or short. */
        if (login_timeout_override > 0 && device->expires_in > login_timeout_override)
                device->expires_in = login_timeout_override;

        k = arm_expiry(l, device->expires_in);
        if (k >= 0)
                k = arm_poll(l);
        if (k < 0) {
                login_finish(l, false, "internal_error", "cannot schedule polling: %s", strerror(-k));
                return;
        }
        log_info("account %s: device login started, polling every %" PRIu64 " s",
                 l->account->conf->name, l->poll_interval_sec);

        r = TAKE_PTR(l->start_request);
        if (!r)
                return;
        r->on_abort = NULL;
        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "flow", "device");
        json_writer_kv_string(&w, "verification_uri", device->verification_uri);
        json_writer_kv_string(&w, "verification_uri_complete", device->verification_uri_complete);
        json_writer_kv_string(&w, "user_code", device->user_code);
        json_writer_kv_int(&w, "expires_in", (int64_t) device->expires_in);
        json_writer_kv_int(&w, "interval", (int64_t) device->interval);
        json_writer_object_end(&w);
        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                (void) api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the answer");
        else
                (void) api_request_reply(r, MHD_HTTP_ACCEPTED, body, len, false);
}

/* ---- start ---- */

static void endpoints_known(login *l) {
        int r;

        if (l->flow == LOGIN_FLOW_CODE) {
                r = arm_expiry(l, login_timeout_sec());
                if (r >= 0)
                        r = reply_code_started(l);
                if (r < 0)
                        login_finish(l, false, "internal_error", "cannot start the code login: %s", strerror(-r));
                return;
        }

        l->phase = LOGIN_AUTHORIZING;
        r = oauth_device_authorize(l->manager->curl, l->account->conf, l->endpoints,
                                   on_device_authorized, l, &l->op);
        if (r == -EOPNOTSUPP)
                login_finish(l, false, "bad_request",
                             "the identity provider offers no device flow (no device_authorization_endpoint)");
        else if (r < 0)
                login_finish(l, false, "internal_error", "cannot start the device login: %s", strerror(-r));
}

static void on_discovered(discovery_waiter *dw, int error, const char *message, oidc_endpoints *endpoints,
                          void *userdata) {
        login *l = userdata;

        l->discovery = discovery_waiter_free(l->discovery);
        if (error < 0) {
                login_finish(l, false, "idp_unavailable", "cannot read the identity provider's configuration: %s",
                             strempty(message));
                return;
        }
        l->endpoints = endpoints;
        endpoints_known(l);
}

int login_parse_flow(const char *body, size_t len, login_flow *ret) {
        struct json_tokener *tok;
        struct json_object *o, *v;
        const char *s;
        login_flow flow = _LOGIN_FLOW_MAX;
        int k = -EINVAL;

        if (!ret || (!body && len > 0))
                return -EINVAL;
        if (len == 0) {
                *ret = LOGIN_FLOW_CODE;
                return 0;
        }
        if (len > INT_MAX)
                return -E2BIG;
        tok = json_tokener_new_ex(4);
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, body, (int) len);
        if (o && json_tokener_get_parse_end(tok) == len && json_object_is_type(o, json_type_object)) {
                if (!json_object_object_get_ex(o, "flow", &v))
                        flow = LOGIN_FLOW_CODE;
                else if (json_object_is_type(v, json_type_string) &&
                         (size_t) json_object_get_string_len(v) == strlen(json_object_get_string(v))) {
                        /* The length check refuses "code\u0000x". */
                        s = json_object_get_string(v);
                        if (streq(s, "code"))
                                flow = LOGIN_FLOW_CODE;
                        else if (streq(s, "device"))
                                flow = LOGIN_FLOW_DEVICE;
                }
        }
        json_object_put(o);
        json_tokener_free(tok);
        if (flow != _LOGIN_FLOW_MAX) {
                *ret = flow;
                k = 0;
        }
        return k;
}

int login_api_start(account *a, api_request *r) {
        manager *m = a->manager;
        login_flow flow;
        login *l;
        int k;

        login_read_environment();

        if (login_parse_flow(r->body, r->body_len, &flow) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the body must be {\"flow\":\"code\"} or {\"flow\":\"device\"}");
        if (login_is_pending(a->login))
                return api_request_reply_error(r, MHD_HTTP_CONFLICT, "login_in_progress",
                                               "a login for account %s is already in progress", a->conf->name);
        if (pending_logins(m) >= LOGIN_PENDING_MAX)
                return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too_many_logins",
                                               "too many logins are pending; try again later");

        l = calloc(1, sizeof *l);
        if (!l)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        l->account = a;
        l->manager = m;
        l->flow = flow;
        l->phase = LOGIN_DISCOVERING;
        l->state_before = a->state;

        /* The previous result is superseded; whoever waited on it was
         * already answered. */
        login_free(a->login);
        a->login = l;
        a->state = ACCOUNT_LOGIN_PENDING;
        log_info("account %s: %s login requested by uid %u", a->conf->name,
                 flow == LOGIN_FLOW_CODE ? "code" : "device", (unsigned) r->peer->uid);

        l->start_request = r;
        api_request_suspend(r, on_start_request_abort, l);

        k = discovery_cache_get(m->discovery, a->conf, on_discovered, l, &l->endpoints, &l->discovery);
        if (k < 0)
                login_finish(l, false, "internal_error", "cannot look up the identity provider: %s", strerror(-k));
        else if (k > 0)
                endpoints_known(l);
        return 0;
}

int login_api_wait(account *a, api_request *r) {
        const char *q = api_request_query(r, "wait");
        unsigned wait_sec = 0;
        login_waiter *w;
        uint64_t now = 0;
        int k;

        if (q && api_parse_seconds(q, LOGIN_WAIT_MAX_SEC, &wait_sec) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "wait must be a number of seconds from 0 to %u", LOGIN_WAIT_MAX_SEC);

        if (!login_is_pending(a->login) || wait_sec == 0)
                return reply_login_state(r, a->login);

        w = calloc(1, sizeof *w);
        if (!w)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
        k = sd_event_add_time(a->manager->event, &w->timer, CLOCK_MONOTONIC,
                              now + (uint64_t) wait_sec * USEC_PER_SEC, 0, on_waiter_timeout, w);
        if (k < 0) {
                free(w);
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot wait: %s", strerror(-k));
        }
        w->login = a->login;
        w->request = r;
        w->next = a->login->waiters;
        if (w->next)
                w->next->prev = w;
        a->login->waiters = w;
        api_request_suspend(r, on_waiter_abort, w);
        return 0;
}

void login_account_gone(account *a) {
        login *l = a->login;

        if (!l)
                return;
        login_finish(l, false, "account_removed", "the account was removed or changed by a configuration reload");
        a->login = login_free(l);
}

void login_manager_shutdown(manager *m) {
        for (size_t i = 0; i < m->n_accounts; i++) {
                login *l = m->accounts[i]->login;

                if (!l)
                        continue;
                respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "shutting_down", "tesserad is stopping");
                /* No one is left to sign in for. */
                if (l->listener_expired)
                        close_listener_now(l);
        }
}
