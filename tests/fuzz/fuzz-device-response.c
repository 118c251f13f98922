/* SPDX-License-Identifier: MIT */

/* oauth_parse_device_response() (RFC 8628 §3.2). Input layout:
 * fuzz-response.h. */

#include <sodium.h>

#include "fuzz-oauth-common.h"
#include "fuzz-response.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t live = fuzz_secret_live();
        oauth_device_auth *d = NULL;
        oauth_error e = {};
        fuzz_response f;
        int r;

        if (!fuzz_response_init(&f, data, size))
                return 0;

        r = oauth_parse_device_response(&f.resp, &d, &e);
        if (r == 0) {
                FUZZ_CHECK(d, "success without result");
                FUZZ_CHECK(f.resp.status >= 200 && f.resp.status <= 299, "accepted HTTP %ld", f.resp.status);
                FUZZ_CHECK(d->device_code && *d->device_code &&
                           strlen(d->device_code) <= OAUTH_DEVICE_CODE_MAX &&
                           fuzz_in_range(d->device_code, 0x21, 0x7e), "device_code malformed");
                /* The user code is shown and typed: printable, short. */
                FUZZ_CHECK(d->user_code && *d->user_code && strlen(d->user_code) <= OAUTH_USER_CODE_MAX &&
                           fuzz_in_range(d->user_code, 0x21, 0x7e), "user_code malformed");
                /* Both URIs are shown to a user to open: policy-checked. */
                FUZZ_CHECK(url_is_acceptable(d->verification_uri), "verification_uri not acceptable");
                FUZZ_CHECK(!d->verification_uri_complete || url_is_acceptable(d->verification_uri_complete),
                           "verification_uri_complete not acceptable");
                FUZZ_CHECK(d->expires_in >= 1 && d->expires_in <= OAUTH_DEVICE_EXPIRES_IN_MAX,
                           "expires_in %llu", (unsigned long long) d->expires_in);
                FUZZ_CHECK(d->interval >= 1 && d->interval <= OAUTH_DEVICE_INTERVAL_MAX,
                           "interval %llu", (unsigned long long) d->interval);
        } else {
                FUZZ_CHECK(!d, "result set on failure");
                fuzz_check_error(r, &e, &f.resp);
        }
        oauth_device_auth_free(d);
        oauth_error_done(&e);

        fuzz_response_done(&f);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
