/* SPDX-License-Identifier: MIT */
#pragma once

/* Keeping an account's tokens fresh. */

#include "account.h"
#include "http-api.h"

/* A caller wants a token valid for min_valid seconds and the cached one is
 * not: answer now or once a refresh completes. */
int account_token_needed(account *a, api_request *r, unsigned min_valid);

/* The session was installed or replaced: plan the next refresh. */
void account_session_changed(account *a);

/* The account is going away: cancel its refresh and answer its waiters. */
void refresh_account_gone(account *a);
