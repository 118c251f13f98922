/* SPDX-License-Identifier: MIT */
/* The pure policy of refresh.c: when to refresh, how long to back off,
 * whether a caller's demand needs a refresh. No clock, no randomness of
 * its own: the unit test drives every case. */
#include "core/refresh-policy.h"

int64_t refresh_plan(int64_t refreshed_at, int64_t expires_at, unsigned margin, double r) {
        int64_t lifetime = expires_at - refreshed_at, at;

        /* An IdP that grants 0 or 1 s must not make us refresh in a loop. */
        if (lifetime <= 2 * REFRESH_INTERVAL_MIN_SEC)
                return refreshed_at + REFRESH_INTERVAL_MIN_SEC;
        at = expires_at - (int64_t) margin - (int64_t) (r * (double) lifetime / 10.0);
        /* A margin as long as the token itself would refresh at once, in a
         * loop: never before half of the lifetime. */
        return MAX(at, refreshed_at + lifetime / 2);
}

uint64_t refresh_backoff(unsigned n, double r, uint64_t retry_after_usec) {
        uint64_t d = REFRESH_BACKOFF_MIN_USEC;

        for (unsigned i = 1; i < n && d < REFRESH_BACKOFF_MAX_USEC; i++)
                d *= 2;
        d = MIN(d, REFRESH_BACKOFF_MAX_USEC);
        d = (uint64_t) ((double) d * (0.5 + r / 2.0));
        return MAX(d, retry_after_usec);
}

bool refresh_wanted(int64_t now, int64_t refreshed_at, int64_t expires_at, unsigned min_valid) {
        int64_t lifetime = expires_at - refreshed_at, need = (int64_t) min_valid;

        if (expires_at <= now)
                return true;
        /* More than any token of this IdP lasts: the freshest one is the
         * answer, refreshed at most once per half lifetime. */
        if (lifetime > 0 && need > lifetime)
                need = lifetime / 2;
        return expires_at - now < need;
}

bool refresh_error_is_rejection(const oauth_error *e) {
        oauth_error_code code = oauth_error_code_from_string(e->code);

        return !oauth_error_is_transient(e) && e->error == -EACCES &&
                (code == OAUTH_ERROR_INVALID_GRANT || code == OAUTH_ERROR_INVALID_CLIENT ||
                 code == OAUTH_ERROR_UNAUTHORIZED_CLIENT);
}
