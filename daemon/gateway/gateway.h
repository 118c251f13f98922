/* SPDX-License-Identifier: MIT */
#pragma once

/* The authenticating GipoNext API gateway: a caller's request on the
 * socket goes to the API with the account's bearer token; the caller never
 * holds a token. One refresh and one retry on 401; 403 and 5xx passed
 * through; a 429 pauses the whole account (every caller of every app, as
 * GipoNext counts per client_id), with at most one probe when the pause
 * ends; a cap on concurrent upstream requests per account with a bounded
 * FIFO queue; responses streamed back without being held whole.
 *
 * The gateway answers nothing of its own: what goes wrong reaches the
 * api layer as a gateway_error through the fail callback. */

#include "core/account.h"
#include "gateway/gateway-error.h"
#include "gateway/gateway-path.h"
#include "http/api-request.h"

typedef struct gateway_account gateway_account;

/* Where a call goes, checked by the caller (gateway_path_is_safe(),
 * gateway_query_is_safe()). */
typedef struct gateway_target {
        bool tenant;            /* .../tenant/<rest>, relative to the account's tenant, over .../api/<rest> */
        const char *rest;
        const char *query;      /* as sent, "" when none */
        unsigned wait_sec;      /* how long the caller sits out a 429 pause */
} gateway_target;

/* Takes r (and its body) on its way to the API; r is answered later, or
 * at once through fail. Returns 0, or the error of answering. */
int gateway_handle(account *a, api_request *r, const gateway_target *t, gateway_fail_fn fail);

/* Cancels everything of the account's gateway (reload removed it,
 * shutdown); callers still waiting get an error. */
void gateway_account_gone(account *a);
