/* SPDX-License-Identifier: MIT */
#pragma once

/* When to refresh and how long to back off: pure functions of their
 * arguments (the clock and the jitter come from the caller), unit-tested. */

#include <stdbool.h>
#include <stdint.h>

#include "idp/oauth-error.h"
#include "util/util.h"

#define REFRESH_BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define REFRESH_BACKOFF_MAX_USEC (300 * USEC_PER_SEC)
#define REFRESH_INTERVAL_MIN_SEC 1      /* between two refreshes of one account */

/* Scheduling: when (unix seconds) the
 * background refresh of a token should start. random01 in [0,1) picks the
 * jitter (at most 10% of the lifetime, earlier only). */
int64_t refresh_plan(int64_t refreshed_at, int64_t expires_at, unsigned margin, double random01);

/* Back-off after n consecutive failures (n >= 1): 1 s doubling to 5 min,
 * times a jitter factor in [0.5, 1); never less than retry_after_usec. */
uint64_t refresh_backoff(unsigned n, double random01, uint64_t retry_after_usec);

/* Whether a caller asking for min_valid should wait for a refresh, given
 * the current token; a demand no token of this IdP can meet is clamped so
 * it cannot cause a refresh loop. */
bool refresh_wanted(int64_t now, int64_t refreshed_at, int64_t expires_at, unsigned min_valid);

/* Whether the IdP refused a refresh for good (revoked, expired or replayed
 * refresh token, a client it no longer accepts): retrying cannot help. */
bool refresh_error_is_rejection(const oauth_error *e);
