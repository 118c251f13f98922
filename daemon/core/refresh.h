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
#include "core/refresh-policy.h"

#define REFRESH_WAITERS_MAX 10000U
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

/* The session was installed, replaced or loaded: cancel a refresh of the
 * old grant and plan the next one. */
void account_session_changed(account *a);

/* The session is going away (logout) or the account is (reload): cancel
 * the refresh and answer whoever waits on it. */
void refresh_account_stop(account *a);
void refresh_account_gone(account *a);
