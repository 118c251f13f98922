/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the login-*.c modules only. They depend one way:
 * login-state (the object, its end, its waiters) <- login-userinfo (after
 * the tokens: tenant, scope, storage) <- login-code, login-device (the two
 * flows) <- login-start.c (start, reload, shutdown); login-timeout.c below all of them. */

#include "idp/discovery.h"
#include "idp/oauth.h"
#include "idp/pkce.h"
#include "login/login.h"
#include "login/redirect.h"
#include "util/list.h"

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

struct login {
        account *account;
        manager *manager;
        login_flow flow;
        login_phase phase;
        account_state state_before;

        login_start_fn start_done;      /* until the start is reported */
        void *start_userdata;
        LIST_HEAD(login_waiter, waiters);

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

/* 0: not overridden by LOGIN_TIMEOUT_ENV. */
extern unsigned login_timeout_override;

login *login_free(login *l);

/* Ends a pending login (ok, or failed with code and message): releases
 * what talks to the outside, tells the start's caller and every waiter. */
void login_finish(login *l, bool ok, const char *code, const char *fmt, ...) _printf_(4, 5);

/* The user can act now: tells the start's caller. */
void login_report_started(login *l, const login_started *started);

/* The landing page for the browser of a code login, if one waits. */
void login_respond_page(login *l, landing_kind kind, const char *user, const char *tenant,
                        const char *idp_error, const char *idp_description);

void login_close_listener_now(login *l);
int login_arm_expiry(login *l, uint64_t seconds);

/* The tokens of either flow arrived: userinfo, tenant, storage. */
void login_tokens_arrived(login *l, oauth_token *token);

/* The endpoints are known: the flow's first step. */
void login_code_begin(login *l);
void login_device_begin(login *l);
