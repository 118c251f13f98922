/* SPDX-License-Identifier: MIT */
#pragma once

/* The authenticating GipoNext API gateway: a caller's request on the
 * socket goes to the API with the account's bearer token; the caller never
 * holds a token. One refresh and one retry on 401; 403 and 5xx passed
 * through; a 429 pauses the whole account (every caller of every app, as
 * GipoNext counts per client_id), with at most one probe when the pause
 * ends; a cap on concurrent upstream requests per account with a bounded
 * FIFO queue; responses streamed back without being held whole. */

#include "core/account.h"
#include "http/http-api.h"

#define GATEWAY_PATH_MAX 4096U
#define GATEWAY_MIN_TOKEN_VALIDITY 10U  /* seconds a token must have left for a call */
#define GATEWAY_PAUSE_DEFAULT_SEC 1U    /* a 429 without Retry-After */
#define GATEWAY_PAUSE_MAX_SEC 3600U

typedef struct gateway_account gateway_account;

/* Route handler: tenant selects .../tenant/<rest> (relative to the
 * account's tenant) over .../api/<rest>. */
int gateway_handle(account *a, api_request *r, bool tenant, const char *rest);

/* Cancels everything of the account's gateway (reload removed it,
 * shutdown); callers still waiting get an error. */
void gateway_account_gone(account *a);

/* Pure helpers, for unit tests. */
bool gateway_path_is_safe(const char *path);
int gateway_build_url(const char *api_base, const char *tenant_id, const char *rest, const char *query,
                      char **ret);
/* Seconds from a Retry-After value (delta-seconds or HTTP-date), clamped
 * to 1..GATEWAY_PAUSE_MAX_SEC; GATEWAY_PAUSE_DEFAULT_SEC when absent or
 * unreadable. */
unsigned gateway_retry_after(const char *value, int64_t now);
