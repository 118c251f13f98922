/* SPDX-License-Identifier: MIT */

/* oidc_discovery_parse(): the whole input is the document, checked against
 * a fixed issuer. */

#include <sodium.h>

#include "idp/discovery-document.h"
#include "fuzz.h"

#define ISSUER "https://idp.example.test"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();
        return 0;
}

static bool same(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        oidc_endpoints *e = NULL, *copy = NULL;
        char *msg = NULL, *text;
        int r;

        /* The fetch hands over a NUL-terminated body; the parser gets the
         * size and must not need the terminator. */
        text = fuzz_text(data, size);
        r = oidc_discovery_parse(text, size, ISSUER, &e, &msg);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG, "oidc_discovery_parse(): %d", r);
                FUZZ_CHECK(!e, "endpoints set on failure");
                FUZZ_CHECK(msg && *msg, "no error message");
        } else {
                FUZZ_CHECK(r == 0 && e, "oidc_discovery_parse(): %d", r);
                FUZZ_CHECK(!msg, "error message on success");
                FUZZ_CHECK(e->issuer && strcmp(e->issuer, ISSUER) == 0, "issuer mismatch accepted");
                FUZZ_CHECK(url_is_acceptable(e->authorization_endpoint), "authorization_endpoint");
                FUZZ_CHECK(url_is_acceptable(e->token_endpoint), "token_endpoint");
                FUZZ_CHECK(!e->device_authorization_endpoint ||
                           url_is_acceptable(e->device_authorization_endpoint), "device_authorization_endpoint");
                FUZZ_CHECK(!e->revocation_endpoint || url_is_acceptable(e->revocation_endpoint),
                           "revocation_endpoint");
                FUZZ_CHECK(!e->introspection_endpoint || url_is_acceptable(e->introspection_endpoint),
                           "introspection_endpoint");
                FUZZ_CHECK(!e->userinfo_endpoint || url_is_acceptable(e->userinfo_endpoint),
                           "userinfo_endpoint");

                r = oidc_endpoints_dup(e, &copy);
                FUZZ_CHECK(r == 0, "oidc_endpoints_dup(): %d", r);
                FUZZ_CHECK(same(e->issuer, copy->issuer) &&
                           same(e->authorization_endpoint, copy->authorization_endpoint) &&
                           same(e->token_endpoint, copy->token_endpoint) &&
                           same(e->device_authorization_endpoint, copy->device_authorization_endpoint) &&
                           same(e->revocation_endpoint, copy->revocation_endpoint) &&
                           same(e->introspection_endpoint, copy->introspection_endpoint) &&
                           same(e->userinfo_endpoint, copy->userinfo_endpoint) &&
                           e->pkce_s256 == copy->pkce_s256, "dup differs");
                oidc_endpoints_free(copy);
        }

        /* Without a message pointer the verdict is the same. */
        oidc_endpoints_free(e);
        e = NULL;
        FUZZ_CHECK((oidc_discovery_parse(text, size, ISSUER, &e, NULL) < 0) == (r < 0),
                   "verdict depends on the message argument");
        oidc_endpoints_free(e);

        free(msg);
        free(text);
        return 0;
}
