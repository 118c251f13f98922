/* SPDX-License-Identifier: MIT */
#include "api/api-access.h"
#include "api/api-gateway.h"
#include "api/api-login.h"
#include "api/api-metrics.h"
#include "api/api-routes.h"
#include "api/api-session.h"
#include "api/api-status.h"
#include "api/api-token.h"
#include "core/account-sessions.h"
#include "util/account-name.h"

typedef int (*api_handler)(api_request *r, account *a, const api_route *route);

typedef struct api_route_def {
        api_route_kind kind;
        const char *method;             /* NULL: any of GATEWAY_METHODS */
        const char *path;               /* /v1/...; under an account: what follows /v1/accounts/NAME/ */
        bool prefix;                    /* path is a prefix (gateway) */
        api_permission permission;
        api_session_use session;        /* per-user accounts: which person's session, and when it is missing */
        api_handler handler;
} api_route_def;

#define GATEWAY_METHODS "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"

static int handle_status(api_request *r, account *a, const api_route *route) {
        return api_handle_status(r, a);
}

static int handle_metrics(api_request *r, account *a, const api_route *route) {
        return api_handle_metrics(r);
}

static int handle_token(api_request *r, account *a, const api_route *route) {
        return api_handle_token(r, a);
}

static int handle_login_start(api_request *r, account *a, const api_route *route) {
        return api_handle_login_start(r, a);
}

static int handle_login_wait(api_request *r, account *a, const api_route *route) {
        return api_handle_login_wait(r, a);
}

static int handle_logout(api_request *r, account *a, const api_route *route) {
        return api_handle_logout(r, a);
}

static int handle_gateway(api_request *r, account *a, const api_route *route) {
        return api_gateway_handle(r, a, route->tenant, route->rest);
}

/* The routes without an account (a path from /v1/) come first, then the
 * account routes (a path relative to /v1/accounts/NAME/). */
static const api_route_def route_table[] = {
        { API_ROUTE_STATUS,      "GET",  "/v1/status", false, API_ALLOW_ANYONE, API_SESSION_NONE,        handle_status },
        { API_ROUTE_METRICS,     "GET",  "/v1/metrics", false, API_ALLOW_METRICS, API_SESSION_NONE,      handle_metrics },
        { API_ROUTE_TOKEN,       "GET",  "token",      false, API_ALLOW_USERS,  API_SESSION_TOKEN,       handle_token },
        { API_ROUTE_LOGIN_START, "POST", "login",      false, API_ALLOW_SELF,   API_SESSION_LOGIN_START, handle_login_start },
        { API_ROUTE_LOGIN_WAIT,  "GET",  "login",      false, API_ALLOW_SELF,   API_SESSION_LOGIN_WAIT,  handle_login_wait },
        { API_ROUTE_LOGOUT,      "POST", "logout",     false, API_ALLOW_SELF,   API_SESSION_LOGOUT,      handle_logout },
        { API_ROUTE_GATEWAY,     NULL,   "api/",       true,  API_ALLOW_USERS,  API_SESSION_GATEWAY,     handle_gateway },
        { API_ROUTE_GATEWAY,     NULL,   "tenant/",    true,  API_ALLOW_USERS,  API_SESSION_GATEWAY,     handle_gateway },
};

static bool route_has_account(const api_route_def *d) {
        return d->path[0] != '/';
}

static bool method_matches(const api_route_def *d, const char *method) {
        static const char *const gateway_methods[] = { GATEWAY_METHODS };

        if (d->method)
                return streq(d->method, method);
        for (size_t i = 0; i < ELEMENTSOF(gateway_methods); i++)
                if (streq(gateway_methods[i], method))
                        return true;
        return false;
}

/* The entry for method and path (path relative to the account for
 * account routes); -ENOENT or -EOPNOTSUPP as for api_route_parse(). */
static int route_lookup(const char *method, const char *path, bool under_account, const api_route_def **ret) {
        bool path_known = false;

        for (size_t i = 0; i < ELEMENTSOF(route_table); i++) {
                const api_route_def *d = &route_table[i];

                if (route_has_account(d) != under_account)
                        continue;
                if (d->prefix ? !startswith(path, d->path) : !streq(path, d->path))
                        continue;
                path_known = true;
                if (method_matches(d, method)) {
                        *ret = d;
                        return 0;
                }
        }
        return path_known ? -EOPNOTSUPP : -ENOENT;
}

static int route_parse(const char *method, const char *path, api_route *ret, const api_route_def **ret_def) {
        const api_route_def *d;
        const char *rest, *slash;
        api_route route = {};
        size_t n;
        int k;

        rest = startswith(path, "/v1/accounts/");
        if (!rest) {
                k = route_lookup(method, path, false, &d);
                if (k < 0)
                        return k;
                *ret = (api_route) { .kind = d->kind };
                *ret_def = d;
                return 0;
        }

        slash = strchr(rest, '/');
        if (!slash)
                return -ENOENT;
        n = (size_t) (slash - rest);
        if (n == 0 || n >= sizeof ret->account)
                return -EINVAL;
        memcpy(route.account, rest, n);
        route.account[n] = '\0';
        if (!account_name_is_valid(route.account))
                return -EINVAL;

        rest = slash + 1;
        k = route_lookup(method, rest, true, &d);
        if (k < 0)
                return k;
        route.kind = d->kind;
        if (d->prefix) {
                route.tenant = streq(d->path, "tenant/");
                route.rest = rest + strlen(d->path);
        }
        *ret = route;
        *ret_def = d;
        return 0;
}

int api_route_parse(const char *method, const char *path, api_route *ret) {
        const api_route_def *d;

        return route_parse(method, path, ret, &d);
}

size_t api_routes_body_max(const char *path, void *userdata) {
        manager *m = userdata;
        api_route route;
        account *a;

        /* The method does not matter for the limit. */
        if (api_route_parse("POST", path, &route) < 0 || route.kind != API_ROUTE_GATEWAY)
                return API_BODY_MAX;
        a = manager_find_account(m, route.account);
        return a ? a->conf->api_body_max : API_BODY_MAX;
}

int api_routes_handle(api_request *r, void *userdata) {
        manager *m = userdata;
        const api_route_def *d;
        api_route route;
        account *a = NULL;
        int k;

        k = route_parse(r->method, r->path, &route, &d);
        if (k == -EINVAL)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "account names are 1 to 64 characters of A-Z a-z 0-9 _ . -");
        if (k == -EOPNOTSUPP)
                return api_request_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                               "%s is not allowed on %s", r->method, r->path);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found",
                                               "no such API endpoint; see tessera(1) for the API");

        if (route_has_account(d)) {
                a = manager_find_account(m, route.account);
                if (!a)
                        return api_request_reply_error(r, MHD_HTTP_NOT_FOUND, "no_such_account",
                                                       "no account named %s is configured", route.account);
        }

        k = api_check_permission(r, a, d->permission);
        if (k <= 0)
                return k;
        if (a && account_is_per_user(a)) {
                k = api_pick_session(r, a, d->session, &a);
                if (k <= 0)
                        return k;
        }
        return d->handler(r, a, &route);
}
