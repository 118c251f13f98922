/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp/pkce.h"
#include "util/secret.h"
#include "tests.h"

static bool is_base64url(const char *s) {
        for (; *s; s++)
                if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
                        return false;
        return true;
}

static void test_rfc7636_vector(void) {
        char challenge[PKCE_VALUE_LEN + 1];

        /* RFC 7636 Appendix B. */
        CHECK(pkce_challenge_from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge) == 0);
        CHECK_STREQ(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void test_verifier_rules(void) {
        char challenge[PKCE_VALUE_LEN + 1];
        char v[200];

        /* 42 characters: one short of the RFC minimum. */
        memset(v, 'a', 42);
        v[42] = '\0';
        CHECK(pkce_challenge_from_verifier(v, challenge) == -EINVAL);
        /* 43 and 128 are the bounds. */
        memset(v, 'a', 43);
        v[43] = '\0';
        CHECK(pkce_challenge_from_verifier(v, challenge) == 0);
        CHECK(strlen(challenge) == PKCE_VALUE_LEN);
        memset(v, '~', 128);
        v[128] = '\0';
        CHECK(pkce_challenge_from_verifier(v, challenge) == 0);
        memset(v, 'a', 129);
        v[129] = '\0';
        CHECK(pkce_challenge_from_verifier(v, challenge) == -EINVAL);
        /* Outside the unreserved set. */
        memset(v, 'a', 50);
        v[50] = '\0';
        v[10] = '+';
        CHECK(pkce_challenge_from_verifier(v, challenge) == -EINVAL);
        v[10] = '=';
        CHECK(pkce_challenge_from_verifier(v, challenge) == -EINVAL);
        CHECK(pkce_challenge_from_verifier(NULL, challenge) == -EINVAL);
}

#define N_INSTANCES 64

static void test_new(void) {
        pkce *all[N_INSTANCES] = {};
        bool seen[256] = {};
        unsigned distinct = 0;

        for (unsigned i = 0; i < N_INSTANCES; i++) {
                char expected[PKCE_VALUE_LEN + 1];
                pkce *p;

                CHECK(pkce_new(&p) == 0);
                if (!p)
                        return;
                all[i] = p;

                CHECK(strlen(pkce_verifier(p)) == PKCE_VALUE_LEN);
                CHECK(strlen(pkce_challenge(p)) == PKCE_VALUE_LEN);
                CHECK(strlen(pkce_state(p)) == PKCE_VALUE_LEN);
                CHECK(is_base64url(pkce_verifier(p)));
                CHECK(is_base64url(pkce_challenge(p)));
                CHECK(is_base64url(pkce_state(p)));

                CHECK(pkce_challenge_from_verifier(pkce_verifier(p), expected) == 0);
                CHECK_STREQ(pkce_challenge(p), expected);
                CHECK(strcmp(pkce_verifier(p), pkce_state(p)) != 0);

                for (const char *c = pkce_verifier(p); *c; c++)
                        seen[(unsigned char) *c] = true;
        }

        /* Fresh values every time: no verifier or state repeats. */
        for (unsigned i = 0; i < N_INSTANCES; i++)
                for (unsigned j = i + 1; j < N_INSTANCES; j++) {
                        CHECK(strcmp(pkce_verifier(all[i]), pkce_verifier(all[j])) != 0);
                        CHECK(strcmp(pkce_state(all[i]), pkce_state(all[j])) != 0);
                        CHECK(strcmp(pkce_state(all[i]), pkce_verifier(all[j])) != 0);
                }

        /* 64 x 43 random characters drawn from 64 symbols: all but a
         * handful must show up (missing more than 8 has odds below 1e-9). */
        for (unsigned c = 0; c < 256; c++)
                distinct += seen[c];
        CHECK(distinct >= 56);

        for (unsigned i = 0; i < N_INSTANCES; i++)
                all[i] = pkce_free(all[i]);
        CHECK(pkce_free(NULL) == NULL);
}

#define TAIL "response_type=code&client_id=my-app" \
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A43123%2Fcallback" \
        "&scope=openid%20offline_access%20giponext.patients" \
        "&state=st-_.~ate&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" \
        "&code_challenge_method=S256"

static void test_url(void) {
        static const char *const redirect = "http://127.0.0.1:43123/callback";
        static const char *const scope = "openid offline_access giponext.patients";
        static const char *const chal = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        char *u = NULL;
        char big[AUTHORIZE_SCOPE_MAX + 2];

        CHECK(authorize_url_build("https://account.gipo.it/connect/authorize", "my-app", redirect, scope,
                                  "st-_.~ate", chal, &u) == 0);
        CHECK_STREQ(u, "https://account.gipo.it/connect/authorize?" TAIL);
        free(u);
        u = NULL;

        /* An endpoint with its own query keeps it and continues with '&'. */
        CHECK(authorize_url_build("https://idp.example/authorize?tenant=a%20b", "my-app", redirect, scope,
                                  "st-_.~ate", chal, &u) == 0);
        CHECK_STREQ(u, "https://idp.example/authorize?tenant=a%20b&" TAIL);
        free(u);
        u = NULL;

        CHECK(authorize_url_build("https://idp.example/authorize?", "my-app", redirect, scope,
                                  "st-_.~ate", chal, &u) == 0);
        CHECK_STREQ(u, "https://idp.example/authorize?" TAIL);
        free(u);
        u = NULL;

        CHECK(authorize_url_build("https://idp.example/authorize?x=1&", "my-app", redirect, scope,
                                  "st-_.~ate", chal, &u) == 0);
        CHECK_STREQ(u, "https://idp.example/authorize?x=1&" TAIL);
        free(u);
        u = NULL;

        /* Reserved characters and non-ASCII bytes in values are encoded. */
        CHECK(authorize_url_build("https://idp.example/a", "app&x=y+z/\xc3\xa8#?", redirect, "s",
                                  "st", chal, &u) == 0);
        CHECK(u && strstr(u, "&client_id=app%26x%3Dy%2Bz%2F%C3%A8%23%3F&"));
        free(u);
        u = NULL;

        /* Refusals: fragment, whitespace, missing or empty or over-long values. */
        CHECK(authorize_url_build("https://idp.example/a#frag", "c", redirect, "s", "st", chal, &u) == -EINVAL);
        CHECK(authorize_url_build("https://idp.example/a b", "c", redirect, "s", "st", chal, &u) == -EINVAL);
        CHECK(authorize_url_build("https://idp.example/a\n", "c", redirect, "s", "st", chal, &u) == -EINVAL);
        CHECK(authorize_url_build(NULL, "c", redirect, "s", "st", chal, &u) == -EINVAL);
        CHECK(authorize_url_build("https://idp.example/a", "", redirect, "s", "st", chal, &u) == -EINVAL);
        CHECK(authorize_url_build("https://idp.example/a", "c", redirect, "s", NULL, chal, &u) == -EINVAL);
        CHECK(authorize_url_build("https://idp.example/a", "c", redirect, "s", "st", chal, NULL) == -EINVAL);
        memset(big, 's', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        CHECK(authorize_url_build("https://idp.example/a", "c", redirect, big, "st", chal, &u) == -EINVAL);
        big[AUTHORIZE_SCOPE_MAX] = '\0';
        CHECK(authorize_url_build("https://idp.example/a", "c", redirect, big, "st", chal, &u) == 0);
        free(u);
        u = NULL;
        CHECK(u == NULL);
}

static void test_url_with_fresh_values(void) {
        _cleanup_(pkce_freep) pkce *p = NULL;
        _cleanup_(freep) char *u = NULL;
        char expect[200];

        CHECK(pkce_new(&p) == 0);
        if (!p)
                return;
        CHECK(authorize_url_build("https://idp.example/authorize", "c", "http://127.0.0.1:1/callback", "openid",
                                  pkce_state(p), pkce_challenge(p), &u) == 0);
        /* base64url values are unreserved: they appear unchanged. */
        snprintf(expect, sizeof expect, "&state=%s&", pkce_state(p));
        CHECK(u && strstr(u, expect));
        snprintf(expect, sizeof expect, "&code_challenge=%s&", pkce_challenge(p));
        CHECK(u && strstr(u, expect));
        /* The verifier itself never goes into the URL. */
        CHECK(u && !strstr(u, pkce_verifier(p)));
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_rfc7636_vector();
        test_verifier_rules();
        test_new();
        test_url();
        test_url_with_fresh_values();

        printf("test-pkce: all checks passed\n");
        return 0;
}
