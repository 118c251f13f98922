/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging an account in: the Authorization Code flow with PKCE through the
 * loopback redirect listener, or the Device Code flow polled by the
 * daemon; then GipoNext tenant discovery and the tenant allow-list, and
 * the durable installation of the new session. One login per account at a
 * time; its result stays readable until the next one starts. */

#include "account.h"
#include "http-api.h"

#define LOGIN_CODE_TIMEOUT_SEC 600U
#define LOGIN_PENDING_MAX 16U           /* across all accounts: each may hold a listener */
#define LOGIN_WAIT_MAX_SEC 300U

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
