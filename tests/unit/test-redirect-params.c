/* SPDX-License-Identifier: MIT */
/* The callback's parameters, without a listener: limits, duplicates, the
 * RFC 6749 appendix A character sets, the outcome and its landing page. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "login/redirect-params.h"
#include "tests.h"

#define STATE "Zm9vYmFyLXN0YXRlLXZhbHVlLWZvci10ZXN0cy0xMjM"
#define ISSUER "https://idp.example"

static int add(redirect_params *p, const char *key, const char *value) {
        return redirect_params_add(p, key, strlen(key), value, value ? strlen(value) : 0);
}

/* One parameter on its own: accepted (0) or refused (-EBADMSG, malformed). */
static int add_one(const char *key, const char *value) {
        redirect_params p = {};
        int r = add(&p, key, value);

        CHECK(p.malformed == (r < 0));
        return r;
}

/* A value of n copies of c. */
static char *repeat(char c, size_t n) {
        char *s = malloc(n + 1);

        CHECK(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

static void test_add_values(void) {
        redirect_params p = {};

        CHECK_R(add(&p, "code", "SplxlOBeZQQYbYS6WxSbIA+/"), 0);
        CHECK_R(add(&p, "state", STATE), 0);
        CHECK_R(add(&p, "iss", ISSUER), 0);
        CHECK_R(add(&p, "error", "access_denied"), 0);
        CHECK_R(add(&p, "error_description", "The user said no"), 0);
        /* Others are ignored, whatever they hold. */
        CHECK_R(add(&p, "session_state", "a b \"c\""), 0);
        CHECK_R(add(&p, "scope", NULL), 0);
        CHECK_R(add(&p, "codex", "x"), 0);
        CHECK_R(add(&p, "cod", "x"), 0);
        CHECK_R(add(&p, "", "x"), 0);
        CHECK(!p.malformed);
        CHECK_SECRET_EQ(p.code, "SplxlOBeZQQYbYS6WxSbIA+/");
        CHECK_STREQ(p.state, STATE);
        CHECK_STREQ(p.iss, ISSUER);
        CHECK_STREQ(p.error, "access_denied");
        CHECK_STREQ(p.error_description, "The user said no");

        /* A repeat is refused even with the same value. */
        CHECK_R(add(&p, "state", STATE), -EBADMSG);
        CHECK(p.malformed);

        CHECK_R(redirect_params_add(NULL, "code", 4, "x", 1), -EINVAL);
}

static void test_add_refused(void) {
        static const char *const keys[] = { "code", "state", "iss", "error", "error_description" };
        static const struct {
                const char *key;
                size_t max;
        } limits[] = {
                { "code", REDIRECT_CODE_MAX },
                { "state", REDIRECT_STATE_MAX },
                { "iss", REDIRECT_ISS_MAX },
                { "error", REDIRECT_ERROR_MAX },
                { "error_description", REDIRECT_ERROR_DESCRIPTION_MAX },
        };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                redirect_params p = {};

                CHECK_R(add_one(keys[i], ""), -EBADMSG);
                CHECK_R(add_one(keys[i], NULL), -EBADMSG);
                CHECK_R(redirect_params_add(&p, keys[i], strlen(keys[i]), "a\0b", 3), -EBADMSG);
                CHECK_R(add_one(keys[i], "a\tb"), -EBADMSG);
                CHECK_R(add_one(keys[i], "a\x7f"), -EBADMSG);
                CHECK_R(add_one(keys[i], "\xc3\xa8"), -EBADMSG);
        }

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                char *at = repeat('v', limits[i].max), *over = repeat('v', limits[i].max + 1);

                CHECK_R(add_one(limits[i].key, at), 0);
                CHECK_R(add_one(limits[i].key, over), -EBADMSG);
                free(at);
                free(over);
        }
}

/* VSCHAR without space for code, state, iss; NQSCHAR (A.7) for error;
 * NQSCHAR and space (A.8) for error_description. */
static void test_charsets(void) {
        CHECK_R(add_one("code", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), 0);
        CHECK_R(add_one("state", "a\"b\\c"), 0);
        CHECK_R(add_one("iss", "https://idp.example/a?b=\"c\""), 0);
        CHECK_R(add_one("code", "a b"), -EBADMSG);
        CHECK_R(add_one("state", "a b"), -EBADMSG);
        CHECK_R(add_one("iss", "a b"), -EBADMSG);

        CHECK_R(add_one("error", "invalid_request!#~"), 0);
        CHECK_R(add_one("error", "bad\"quote"), -EBADMSG);
        CHECK_R(add_one("error", "back\\slash"), -EBADMSG);
        CHECK_R(add_one("error", "with space"), -EBADMSG);

        CHECK_R(add_one("error_description", "The user said no."), 0);
        CHECK_R(add_one("error_description", " "), 0);
        CHECK_R(add_one("error_description", "bad\"quote"), -EBADMSG);
        CHECK_R(add_one("error_description", "back\\slash"), -EBADMSG);
        CHECK_R(add_one("error_description", "new\nline"), -EBADMSG);
}

static redirect_outcome classify(const redirect_params *p, const char *issuer, bool *ret_verified) {
        return redirect_params_classify(p, STATE, issuer, ret_verified);
}

static void test_classify(void) {
        redirect_params p;
        bool verified;

        /* Malformed wins over everything, the state included. */
        p = (redirect_params) { .code = "c", .state = STATE, .malformed = true };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_MALFORMED && !verified);

        p = (redirect_params) { .code = "c" };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_BAD_STATE && !verified);
        p = (redirect_params) { .code = "c", .state = "wrong" };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_BAD_STATE && !verified);
        p = (redirect_params) { .code = "c", .state = STATE "x" };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_BAD_STATE && !verified);
        p = (redirect_params) { .error = "access_denied" };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_BAD_STATE && !verified);
        p = (redirect_params) { .code = "c", .state = STATE };
        CHECK(redirect_params_classify(&p, NULL, NULL, &verified) == REDIRECT_BAD_STATE && !verified);

        p = (redirect_params) { .code = "c", .state = STATE };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_CODE && verified);
        CHECK(classify(&p, ISSUER, &verified) == REDIRECT_CODE && verified);   /* absent iss= is fine */

        p = (redirect_params) { .code = "c", .state = STATE, .iss = ISSUER };
        CHECK(classify(&p, ISSUER, &verified) == REDIRECT_CODE && verified);
        p = (redirect_params) { .code = "c", .state = STATE, .iss = "https://evil.example" };
        CHECK(classify(&p, ISSUER, &verified) == REDIRECT_BAD_ISSUER && verified);
        CHECK(classify(&p, NULL, &verified) == REDIRECT_CODE && verified);     /* not checked */
        p = (redirect_params) { .code = "c", .state = STATE, .iss = ISSUER "/" };
        CHECK(classify(&p, ISSUER, &verified) == REDIRECT_BAD_ISSUER && verified);

        p = (redirect_params) { .error = "access_denied", .error_description = "no", .state = STATE };
        CHECK(classify(&p, ISSUER, &verified) == REDIRECT_ERROR && verified);

        /* Both or neither: the state is right, but the answer makes no sense. */
        p = (redirect_params) { .code = "c", .error = "e", .state = STATE };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_MALFORMED && verified);
        p = (redirect_params) { .state = STATE };
        CHECK(classify(&p, NULL, &verified) == REDIRECT_MALFORMED && verified);
}

static void test_landing(void) {
        CHECK(redirect_outcome_landing(REDIRECT_CODE, true, NULL) == LANDING_SUCCESS);
        CHECK(redirect_outcome_landing(REDIRECT_ERROR, true, "access_denied") == LANDING_ACCESS_DENIED);
        CHECK(redirect_outcome_landing(REDIRECT_ERROR, true, "server_error") == LANDING_IDP_ERROR);
        CHECK(redirect_outcome_landing(REDIRECT_ERROR, true, "access_denied_x") == LANDING_IDP_ERROR);
        CHECK(redirect_outcome_landing(REDIRECT_ERROR, true, NULL) == LANDING_IDP_ERROR);
        CHECK(redirect_outcome_landing(REDIRECT_BAD_STATE, false, NULL) == LANDING_BAD_STATE);
        CHECK(redirect_outcome_landing(REDIRECT_BAD_STATE, true, NULL) == LANDING_BAD_STATE);
        CHECK(redirect_outcome_landing(REDIRECT_BAD_ISSUER, true, NULL) == LANDING_IDP_ERROR);
        CHECK(redirect_outcome_landing(REDIRECT_MALFORMED, true, NULL) == LANDING_GENERIC);
        CHECK(redirect_outcome_landing(REDIRECT_MALFORMED, false, NULL) == LANDING_BAD_STATE);
        CHECK(redirect_outcome_landing(REDIRECT_EXPIRED, true, NULL) == LANDING_EXPIRED);
        CHECK(redirect_outcome_landing(_REDIRECT_OUTCOME_MAX, true, NULL) == LANDING_GENERIC);
        CHECK(redirect_outcome_landing(_REDIRECT_OUTCOME_INVALID, true, NULL) == LANDING_GENERIC);
}

/* The names the debug log shows. */
static void test_to_string(void) {
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_CODE), "code");
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_ERROR), "error");
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_BAD_STATE), "bad-state");
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_BAD_ISSUER), "bad-issuer");
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_MALFORMED), "malformed");
        CHECK_STREQ(redirect_outcome_to_string(REDIRECT_EXPIRED), "expired");
        CHECK(redirect_outcome_to_string(_REDIRECT_OUTCOME_MAX) == NULL);
        CHECK(redirect_outcome_to_string(_REDIRECT_OUTCOME_INVALID) == NULL);
}

int main(void) {
        test_add_values();
        test_add_refused();
        test_charsets();
        test_classify();
        test_landing();
        test_to_string();
        printf("test-redirect-params: all checks passed\n");
        return 0;
}
