/* SPDX-License-Identifier: MIT */
#pragma once

/* GET /v1/accounts/{name}/token: the cached token when it is valid long
 * enough, else the one refresh (core/refresh.h) joined and the answer
 * given when it ends. */

#include "core/account.h"
#include "http/http-api.h"

#define TOKEN_MIN_VALID_DEFAULT 10U
#define TOKEN_MIN_VALID_MAX (24U * 3600U)

int api_handle_token(api_request *r, account *a);

/* Answers with the account's current token, audited. */
int api_reply_token(api_request *r, account *a);
/* Answers why the account has no usable token. */
int api_reply_no_token(api_request *r, account *a);
