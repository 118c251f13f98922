/* SPDX-License-Identifier: MIT */

/* oauth_parse_token_response() (RFC 6749 §5), and the revocation response
 * parser on the same input. Input layout: fuzz-response.h; bit 7 of the
 * first byte gives the parser a default scope. */

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
        static const char default_scope[] = "openid offline_access";
        size_t live = fuzz_secret_live();
        oauth_error e = {}, re = {};
        oauth_token *t = NULL;
        fuzz_response f;
        int r;

        if (!fuzz_response_init(&f, data, size))
                return 0;

        r = oauth_parse_token_response(&f.resp, f.flag ? default_scope : NULL, &t, &e);
        if (r == 0) {
                FUZZ_CHECK(t, "success without token");
                FUZZ_CHECK(f.resp.status >= 200 && f.resp.status <= 299, "token from HTTP %ld", f.resp.status);
                FUZZ_CHECK(t->access_token && *t->access_token, "empty access token");
                FUZZ_CHECK(strlen(t->access_token) <= OAUTH_TOKEN_MAX, "access token too long");
                FUZZ_CHECK(fuzz_in_range(t->access_token, 0x21, 0x7e), "access token outside VSCHAR");
                if (t->refresh_token) {
                        FUZZ_CHECK(*t->refresh_token && strlen(t->refresh_token) <= OAUTH_TOKEN_MAX,
                                   "refresh token length");
                        FUZZ_CHECK(fuzz_in_range(t->refresh_token, 0x21, 0x7e), "refresh token outside VSCHAR");
                }
                if (t->scope)
                        FUZZ_CHECK(strlen(t->scope) <= OAUTH_SCOPE_MAX &&
                                   fuzz_in_range(t->scope, 0x20, 0x7e), "scope malformed");
                else
                        FUZZ_CHECK(!f.flag, "default scope dropped");
                FUZZ_CHECK(t->expires_in <= OAUTH_EXPIRES_IN_MAX, "expires_in %llu",
                           (unsigned long long) t->expires_in);
                FUZZ_CHECK(t->expires_in_known || t->expires_in == OAUTH_EXPIRES_IN_DEFAULT,
                           "unknown expiry without the default");
                FUZZ_CHECK(!e.description && !e.code && e.error == 0, "error filled on success");
        } else {
                FUZZ_CHECK(!t, "token set on failure");
                fuzz_check_error(r, &e, &f.resp);
        }
        oauth_token_free(t);
        oauth_error_done(&e);

        /* Without an error structure the result is the same. */
        t = NULL;
        FUZZ_CHECK(oauth_parse_token_response(&f.resp, NULL, &t, NULL) == r, "result depends on error argument");
        oauth_token_free(t);

        r = oauth_parse_revocation_response(&f.resp, &re);
        if (f.resp.status >= 200 && f.resp.status <= 299)
                FUZZ_CHECK(r == 0, "revocation with HTTP %ld failed: %d", f.resp.status, r);
        else {
                FUZZ_CHECK(r < 0, "revocation succeeded with HTTP %ld", f.resp.status);
                fuzz_check_error(r, &re, &f.resp);
        }
        oauth_error_done(&re);

        fuzz_response_done(&f);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
