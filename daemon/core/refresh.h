/* SPDX-License-Identifier: MIT */
#pragma once

/* Keeping an account's tokens fresh: a background refresh at expiry minus
 * refresh_margin (with jitter), on CLOCK_BOOTTIME so a machine that slept
 * past it refreshes right after resume; at most one refresh in flight per
 * account, joined by every caller that needs a fresher token; the rotated
 * refresh token stored durably before any caller sees the new access
 * token; needs_login on invalid_grant; exponential back-off with jitter
 * (honouring Retry-After) while the IdP cannot be reached. */

#include "core/account.h"
#include "http/http-api.h"

#define REFRESH_BACKOFF_MIN_USEC (1 * USEC_PER_SEC)
#define REFRESH_BACKOFF_MAX_USEC (300 * USEC_PER_SEC)
#define REFRESH_WAITERS_MAX 10000U
#define REFRESH_INTERVAL_MIN_SEC 1      /* between two refreshes of one account */
/* The longest a caller waits on a refresh. The attempt itself goes on until
 * the IdP answers or the HTTP timeout ends it: once the IdP has seen a
 * rotating refresh request, its answer holds the only valid refresh token. */
#define REFRESH_ANSWER_WAIT_USEC (5 * USEC_PER_SEC)

typedef struct refresh_waiter refresh_waiter;
typedef void (*refresh_done_fn)(account *a, void *userdata);

/* Waits for a refresh of the account's tokens: joins the one in flight or
 * starts one. done runs once it ended, however it ended, or once the IdP
 * has left it unanswered for REFRESH_ANSWER_WAIT_USEC (the account is then
 * degraded); look at the account. -ENOKEY: nothing to refresh with (no
 * refresh token, needs login); -EAGAIN: backing off after failures, or
 * the IdP is not answering the attempt in flight: use what there is;
 * -EBUSY: too many waiters. done is never called from inside this call. */
int refresh_wait(account *a, refresh_done_fn done, void *userdata, refresh_waiter **ret);
refresh_waiter *refresh_waiter_cancel(refresh_waiter *w);

/* A caller wants a token valid for min_valid seconds and the cached one is
 * not: answer now or once the refresh completes. */
int account_token_needed(account *a, api_request *r, unsigned min_valid);

/* The session was installed, replaced or loaded: cancel a refresh of the
 * old grant and plan the next one. */
void account_session_changed(account *a);

/* The session is going away (logout) or the account is (reload): cancel
 * the refresh and answer whoever waits on it. */
void refresh_account_stop(account *a);
void refresh_account_gone(account *a);

/* Pure scheduling policy, for unit tests: when (unix seconds) the
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
