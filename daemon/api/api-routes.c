/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "util/account-name.h"
#include "config.h"

#include "api/api-routes.h"
#include "peer/audit.h"
#include "gateway/gateway.h"
#include "util/json-writer.h"
#include "util/log.h"
#include "login/login.h"
#include "core/manager.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "util/secret.h"

#define TOKEN_MIN_VALID_DEFAULT 10U
#define TOKEN_MIN_VALID_MAX (24U * 3600U)

int api_route_parse(const char *method, const char *path, api_route *ret) {
        const char *rest, *slash;
        size_t n;
        bool get = streq(method, "GET"), post = streq(method, "POST");

        if (streq(path, "/v1/status")) {
                if (!get)
                        return -EOPNOTSUPP;
                *ret = (api_route) { .kind = API_ROUTE_STATUS };
                return 0;
        }

        rest = startswith(path, "/v1/accounts/");
        if (!rest)
                return -ENOENT;
        slash = strchr(rest, '/');
        if (!slash)
                return -ENOENT;
        n = (size_t) (slash - rest);
        if (n == 0 || n >= sizeof ret->account)
                return -EINVAL;

        api_route route = {};
        memcpy(route.account, rest, n);
        route.account[n] = '\0';
        if (!account_name_is_valid(route.account))
                return -EINVAL;

        rest = slash + 1;
        if (startswith(rest, "api/") || startswith(rest, "tenant/")) {
                if (!streq(method, "GET") && !streq(method, "HEAD") && !post && !streq(method, "PUT") &&
                    !streq(method, "PATCH") && !streq(method, "DELETE"))
                        return -EOPNOTSUPP;
                route.kind = API_ROUTE_GATEWAY;
                route.tenant = rest[0] == 't';
                route.rest = strchr(rest, '/') + 1;
                *ret = route;
                return 0;
        }
        if (streq(rest, "token")) {
                if (!get)
                        return -EOPNOTSUPP;
                route.kind = API_ROUTE_TOKEN;
        } else if (streq(rest, "login")) {
                if (post)
                        route.kind = API_ROUTE_LOGIN_START;
                else if (get)
                        route.kind = API_ROUTE_LOGIN_WAIT;
                else
                        return -EOPNOTSUPP;
        } else if (streq(rest, "logout")) {
                if (!post)
                        return -EOPNOTSUPP;
                route.kind = API_ROUTE_LOGOUT;
        } else
                return -ENOENT;

        *ret = route;
        return 0;
}

int api_parse_seconds(const char *s, unsigned max, unsigned *ret) {
        unsigned v = 0;

        if (isempty(s) || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                unsigned d;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                d = (unsigned) (*p - '0');
                /* v * 10 + d <= max, without overflow for any max. */
                if (v > max / 10 || v * 10 > max - MIN(d, max) || d > max - v * 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

bool api_may_use_account(const manager *m, const conf_account *c, const peer *p) {
        return principal_list_match(&c->users, p->uid, p->gid, p->groups, p->n_groups);
}

bool api_may_administer(const manager *m, const peer *p) {
        return principal_list_match(&m->conf->admins, p->uid, p->gid, p->groups, p->n_groups);
}

static void write_account_status(json_writer *w, const account *a, int64_t now) {
        _cleanup_(freep) char *missing = NULL;
        const session *s = a->session;

        (void) account_scope_missing(a, &missing);

        json_writer_object_begin(w);
        json_writer_kv_string(w, "name", a->conf->name);
        json_writer_kv_string(w, "state", account_state_to_string(a->state));
        json_writer_kv_string(w, "user", s ? s->user : NULL);
        json_writer_kv_string(w, "tenant_id", s ? s->tenant_id : NULL);
        json_writer_kv_string(w, "tenant_name", s ? s->tenant_name : NULL);
        json_writer_kv_string(w, "scope_granted", s ? s->scope : NULL);
        json_writer_kv_string(w, "scope_missing", missing);
        json_writer_key(w, "expires_at");
        if (s && s->expires_at > 0)
                json_writer_int(w, s->expires_at);
        else
                json_writer_null(w);
        json_writer_key(w, "refreshed_at");
        if (s && s->refreshed_at > 0)
                json_writer_int(w, s->refreshed_at);
        else
                json_writer_null(w);
        json_writer_key(w, "next_refresh_at");
        if (a->next_refresh_at > 0)
                json_writer_int(w, a->next_refresh_at);
        else
                json_writer_null(w);
        json_writer_kv_string(w, "last_error", a->last_error);
        json_writer_key(w, "tokens_served");
        json_writer_uint(w, a->tokens_served);
        json_writer_object_end(w);
}

static int handle_status(api_request *r) {
        manager *m = r->manager;
        int64_t now = now_realtime();
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

                if (!admin && !api_may_use_account(m, a->conf, r->peer))
                        continue;
                write_account_status(&w, a, now);
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
        audit_token_served(a->conf->name, r->peer, s->access_token, s->access_token_audit);
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

static int handle_token(api_request *r, account *a) {
        const char *q = api_request_query(r, "min_valid");
        unsigned min_valid = TOKEN_MIN_VALID_DEFAULT;

        if (q && api_parse_seconds(q, TOKEN_MIN_VALID_MAX, &min_valid) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "min_valid must be a number of seconds from 0 to %u",
                                               TOKEN_MIN_VALID_MAX);

        if (account_token_valid_for(a, now_realtime(), min_valid))
                return api_reply_token(r, a);

        return account_token_needed(a, r, min_valid);
}

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

static void on_logout_revoked(bool revoked, const char *message, void *userdata) {
        logout_wait *lw = userdata;
        api_request *r = lw->request;
        json_writer w;
        char *body = NULL;
        size_t len = 0;

        if (!revoked)
                log_warning("account %s: logged out locally, but %s", lw->account, message);
        if (r) {
                r->on_abort = NULL;
                r->wait_data = NULL;
                if (lw->erase_error < 0)
                        (void) api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                                       "cannot erase the stored session of account %s: %s",
                                                       lw->account, strerror(-lw->erase_error));
                else {
                        json_writer_init(&w, false);
                        json_writer_object_begin(&w);
                        json_writer_key(&w, "revoked");
                        json_writer_bool(&w, revoked);
                        json_writer_kv_string(&w, "message", message);
                        json_writer_object_end(&w);
                        if (json_writer_finish(&w, &body, &len) < 0)
                                (void) api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                                               "cannot build the answer");
                        else
                                (void) api_request_reply(r, MHD_HTTP_OK, body, len, false);
                        json_writer_done(&w);
                }
        }
        free(lw->account);
        free(lw);
}

static int handle_logout(api_request *r, account *a) {
        logout_wait *lw;

        lw = calloc(1, sizeof *lw);
        if (!lw || !(lw->account = strdup(a->conf->name))) {
                free(lw);
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        }
        lw->request = r;
        /* Suspended first: the verdict may come before account_logout()
         * returns. The local erase happens whatever the IdP says. */
        api_request_suspend(r, on_logout_abort, lw);
        log_info("account %s: logged out by uid %u", a->conf->name, (unsigned) r->peer->uid);
        (void) account_logout(a, &lw->erase_error, on_logout_revoked, lw);
        manager_notify_status(a->manager);
        return 0;
}

size_t api_routes_body_max(manager *m, const char *path) {
        api_route route;
        account *a;

        /* The method does not matter for the limit. */
        if (api_route_parse("POST", path, &route) < 0 || route.kind != API_ROUTE_GATEWAY)
                return API_BODY_MAX;
        a = manager_find_account(m, route.account);
        return a ? a->conf->api_body_max : API_BODY_MAX;
}

int api_routes_handle(api_request *r) {
        manager *m = r->manager;
        api_route route;
        account *a;
        int k;

        k = api_route_parse(r->method, r->path, &route);
        if (k == -EINVAL)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "account names are 1 to 64 characters of A-Z a-z 0-9 _ . -");
        if (k == -EOPNOTSUPP)
                return api_request_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                               "%s is not allowed on %s", r->method, r->path);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found",
                                               "no such API endpoint; see tessera(1) for the API");

        if (route.kind == API_ROUTE_STATUS)
                return handle_status(r);

        a = manager_find_account(m, route.account);
        if (!a)
                return api_request_reply_error(r, MHD_HTTP_NOT_FOUND, "no_such_account",
                                               "no account named %s is configured", route.account);

        switch (route.kind) {
        case API_ROUTE_GATEWAY:
                if (!api_may_use_account(m, a->conf, r->peer))
                        return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                                       "uid %u may not use account %s; an administrator can add it to users= in the [account %s] section",
                                                       (unsigned) r->peer->uid, a->conf->name, a->conf->name);
                return gateway_handle(a, r, route.tenant, route.rest);

        case API_ROUTE_TOKEN:
                if (!api_may_use_account(m, a->conf, r->peer))
                        return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                                       "uid %u may not use account %s; an administrator can add it to users= in the [account %s] section",
                                                       (unsigned) r->peer->uid, a->conf->name, a->conf->name);
                return handle_token(r, a);

        case API_ROUTE_LOGIN_START:
        case API_ROUTE_LOGIN_WAIT:
        case API_ROUTE_LOGOUT:
                if (!api_may_administer(m, r->peer))
                        return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                                       "uid %u may not log account %s in or out; only the admins= of tesserad may",
                                                       (unsigned) r->peer->uid, a->conf->name);
                if (route.kind == API_ROUTE_LOGOUT)
                        return handle_logout(r, a);
                if (route.kind == API_ROUTE_LOGIN_START)
                        return login_api_start(a, r);
                return login_api_wait(a, r);

        case API_ROUTE_STATUS:
        case _API_ROUTE_MAX:
                break;
        }
        return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "unhandled route");
}
