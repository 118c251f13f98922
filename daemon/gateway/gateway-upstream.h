/* SPDX-License-Identifier: MIT */
#pragma once

/* A call's trip to the API: a token (refreshed first when it is about to
 * expire), the request, one refresh and one retry on 401, a 429 turned
 * into the account's pause, and the answer streamed back to the caller
 * as it arrives. */

#include "gateway/gateway-call.h"

#define GATEWAY_MIN_TOKEN_VALIDITY 10U  /* seconds a token must have left for a call */

/* c got a slot: send it (after a refresh if needed). */
void gateway_call_start(gateway_call *c);
