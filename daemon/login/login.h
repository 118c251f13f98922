/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging an account in: the Authorization Code flow with PKCE through the
 * loopback redirect listener, or the Device Code flow polled by the
 * daemon; then GipoNext tenant discovery and the tenant allow-list, and
 * the durable installation of the new session. One login per account at a
 * time; its result stays readable until the next one starts.
 *
 * This module answers no API request: it reports through callbacks and
 * login_get_result(), and api/api-login.c turns those into replies. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/account.h"

#define LOGIN_CODE_TIMEOUT_SEC 600U
/* After a code login expires its listener stays this long, answering the
 * late browser with "login expired"; a new login for the account, a reload
 * that drops it, or the daemon stopping ends it sooner. */
#define LOGIN_EXPIRED_GRACE_SEC 600U
/* Tests shorten logins with this variable: whole seconds, 1 to
 * LOGIN_CODE_TIMEOUT_SEC; read once. */
#define LOGIN_TIMEOUT_ENV "TESSERAD_LOGIN_TIMEOUT_SEC"
#define LOGIN_PENDING_MAX 16U           /* across all accounts: each may hold a listener */
#define LOGIN_WAIT_MAX_SEC 300U

typedef enum login_flow {
        LOGIN_FLOW_CODE,
        LOGIN_FLOW_DEVICE,
        _LOGIN_FLOW_MAX,
} login_flow;

const char *login_flow_to_string(login_flow f);

typedef struct login_waiter login_waiter;

/* What a login says about itself (GET .../login). Borrowed from the
 * login: valid until it changes. */
typedef struct login_result {
        const char *state;              /* "none", "pending", "done" or "failed" */
        const char *error_code;
        const char *error_message;
        const char *user;
        const char *tenant_id;
        const char *scope_missing;
} login_result;

/* What the caller of a login start is told once the user can act. */
typedef struct login_started {
        login_flow flow;
        const char *authorize_url;              /* code flow */
        const char *verification_uri;           /* device flow, the next three */
        const char *verification_uri_complete;
        const char *user_code;
        uint64_t expires_in;
        uint64_t interval;                      /* device flow */
} login_started;

/* started is NULL when the login ended before the user could act:
 * login_get_result() on a->login says why. */
typedef void (*login_start_fn)(account *a, const login_started *started, void *userdata);
typedef void (*login_wait_fn)(const login *l, void *userdata);

/* The body of POST .../login: empty, {} or {"flow":"code"} mean the code
 * flow, {"flow":"device"} the device flow; anything else (other JSON,
 * trailing bytes, nesting deeper than 4, a NUL inside the name) is
 * -EINVAL. */
int login_parse_flow(const char *body, size_t len, login_flow *ret);

/* Parses a LOGIN_TIMEOUT_ENV value: decimal digits only, 1 to
 * LOGIN_CODE_TIMEOUT_SEC. -EINVAL or -ERANGE otherwise. */
int login_parse_timeout(const char *s, unsigned *ret);

/* Reads LOGIN_TIMEOUT_ENV the first time it is called (later calls do
 * nothing) and warns about a value it ignores. Call it at daemon start;
 * the first login calls it too. */
void login_read_environment(void);

/* The code login's lifetime, LOGIN_CODE_TIMEOUT_SEC unless shortened. */
unsigned login_timeout_sec(void);

/* Starts a login of the account, requested by uid. done runs exactly once,
 * possibly before this returns. -EBUSY: a login of the account is pending;
 * -EUSERS: LOGIN_PENDING_MAX logins are pending; -ENOMEM. */
int login_start(account *a, login_flow flow, uid_t uid, login_start_fn done, void *userdata);

/* The one waiting for the start has gone: done will not run. */
void login_forget_start(login *l);

/* Waits up to wait_sec for the pending login of the account to end; done
 * runs once, never from inside this call. */
int login_wait(account *a, unsigned wait_sec, login_wait_fn done, void *userdata, login_waiter **ret);

/* Runs the waiter's done now (as at its timeout) and frees it. */
void login_waiter_answer_now(login_waiter *w);

void login_get_result(const login *l, login_result *ret);

/* Cancels logins and answers their waiters; the loop is about to stop. */
void login_manager_shutdown(manager *m);

/* The account is being removed or replaced (reload): drop its login,
 * answering whoever waits on it. */
void login_account_gone(account *a);

/* The subset of a login the outside may ask about. */
bool login_is_pending(const login *l);
