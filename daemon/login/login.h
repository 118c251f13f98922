/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging an account in: the Authorization Code flow with PKCE through the
 * loopback redirect listener, or the Device Code flow polled by the
 * daemon; then GipoNext tenant discovery and the tenant allow-list, and
 * the durable installation of the new session. One login per account at a
 * time; its result stays readable until the next one starts. */

#include "core/account.h"
#include "http/http-api.h"

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

/* Cancels logins and answers their waiters; the loop is about to stop. */
void login_manager_shutdown(manager *m);

/* The account is being removed or replaced (reload): drop its login,
 * answering whoever waits on it. */
void login_account_gone(account *a);

/* POST /v1/accounts/{name}/login and GET ...?wait=S. */
int login_api_start(account *a, api_request *r);
int login_api_wait(account *a, api_request *r);

/* The subset of a login the outside may ask about. */
bool login_is_pending(const login *l);
