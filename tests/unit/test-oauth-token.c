/* SPDX-License-Identifier: MIT */
/* The OAuth token response parser on good, bad and hostile input, and the
 * error responses an identity provider sends instead of a token. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp/oauth.h"
#include "oauth-fixture.h"
#include "util/secret.h"
#include "tests.h"

static void test_token_valid(void) {
        oauth_token *t = NULL;
        oauth_error e = {};
        http_response r;

        r = resp(200, "{\"access_token\":\"AT-1.x_y~z\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
                      "\"refresh_token\":\"RT-1\",\"scope\":\"openid giponext.patients\","
                      "\"id_token\":\"eyJ.x.y\",\"unknown\":{\"nested\":[1,2,{\"a\":null}]},\"n\":1.5}\n");
        CHECK_R(oauth_parse_token_response(&r, "openid offline_access", &t, &e), 0);
        CHECK(t);
        if (t) {
                CHECK_SECRET_EQ(t->access_token, "AT-1.x_y~z");
                CHECK_SECRET_EQ(t->refresh_token, "RT-1");
                CHECK_STREQ(t->scope, "openid giponext.patients");
                CHECK(t->expires_in == 3600);
                CHECK(t->expires_in_known);
        }
        t = oauth_token_free(t);
        CHECK(e.error == 0 && !e.description);

        /* Minimal: lowercase type, no expiry, no refresh token, no scope:
         * the requested scope was granted (RFC 6749 §5.1). */
        r = resp(200, "{\"token_type\":\"bearer\",\"access_token\":\"AT\"}");
        CHECK_R(oauth_parse_token_response(&r, "openid giponext.agenda", &t, NULL), 0);
        if (t) {
                CHECK(!t->refresh_token);
                CHECK_STREQ(t->scope, "openid giponext.agenda");
                CHECK(!t->expires_in_known);
                CHECK(t->expires_in == OAUTH_EXPIRES_IN_DEFAULT);
        }
        t = oauth_token_free(t);

        /* Explicitly empty scope and null optional members. */
        r = resp(200, "{\"token_type\":\"Bearer\",\"access_token\":\"AT\",\"scope\":\"\","
                      "\"refresh_token\":null,\"expires_in\":0}");
        CHECK_R(oauth_parse_token_response(&r, "openid", &t, NULL), 0);
        if (t) {
                CHECK_STREQ(t->scope, "");
                CHECK(!t->refresh_token);
                CHECK(t->expires_in == 0 && t->expires_in_known);
        }
        t = oauth_token_free(t);

        /* Exactly ten years is accepted. */
        r = resp(200, "{\"token_type\":\"Bearer\",\"access_token\":\"AT\",\"expires_in\":315360000}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, NULL), 0);
        CHECK(t && t->expires_in == OAUTH_EXPIRES_IN_MAX && !t->scope);
        t = oauth_token_free(t);
}

static void check_token_bad(const char *body, long status, int expected, const char *what) {
        oauth_token *t = NULL;
        oauth_error e = {};
        http_response r = resp(status, body);
        int ret;

        ret = oauth_parse_token_response(&r, "openid", &t, &e);
        if (ret != expected || t || e.error != expected || !e.description || e.http_status != status) {
                fprintf(stderr, "token parser accepted or misclassified: %s (got %d, e.error %d)\n",
                        what, ret, e.error);
                abort();
        }
        oauth_token_free(t);
        oauth_error_done(&e);
}

static void test_token_bad(void) {
        char *big;
        size_t n;

        check_token_bad("{\"token_type\":\"Bearer\"}", 200, -EBADMSG, "missing access_token");
        check_token_bad("{\"access_token\":\"AT\"}", 200, -EBADMSG, "missing token_type");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"mac\"}", 200, -EBADMSG, "mac token");
        check_token_bad("{\"access_token\":42,\"token_type\":\"Bearer\"}", 200, -EBADMSG, "numeric token");
        check_token_bad("{\"access_token\":[\"AT\"],\"token_type\":\"Bearer\"}", 200, -EBADMSG, "array token");
        check_token_bad("{\"access_token\":\"\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "empty token");
        check_token_bad("{\"access_token\":\"A T\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "token with space");
        check_token_bad("{\"access_token\":\"A\\r\\nX-Evil: 1\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "token with CRLF");
        check_token_bad("{\"access_token\":\"A\\u0000B\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "token with NUL");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":\"3600\"}", 200, -EBADMSG, "string expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":3600.5}", 200, -EBADMSG, "fractional expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":1e3}", 200, -EBADMSG, "exponent expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":-1}", 200, -EBADMSG, "negative expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":315360001}", 200, -EBADMSG, "expires_in over 10 years");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":99999999999999999999999}", 200, -EBADMSG, "huge expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"expires_in\":-99999999999999999999999}", 200, -EBADMSG, "huge negative expires_in");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"refresh_token\":7}", 200, -EBADMSG, "numeric refresh token");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"scope\":[\"openid\"]}", 200, -EBADMSG, "array scope");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",\"scope\":\"a\\\"b\"}", 200, -EBADMSG, "scope with quote");
        check_token_bad("<html><body>Sign in</body></html>", 200, -EBADMSG, "HTML");
        check_token_bad("", 200, -EBADMSG, "empty body");
        check_token_bad("[{\"access_token\":\"AT\",\"token_type\":\"Bearer\"}]", 200, -EBADMSG, "array document");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\"}x", 200, -EBADMSG, "trailing garbage");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\"}{}", 200, -EBADMSG, "two documents");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\",}", 200, -EBADMSG, "trailing comma");
        check_token_bad("{'access_token':'AT','token_type':'Bearer'}", 200, -EBADMSG, "single quotes");
        check_token_bad("{\"access_token\":\"\xff\xfe\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "invalid UTF-8");
        check_token_bad("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
                        "\"access_token\":\"AT\",\"token_type\":\"Bearer\"}", 200, -EBADMSG, "deep nesting");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\"}", 302, -EBADMSG, "redirect status");
        check_token_bad("{\"access_token\":\"AT\",\"token_type\":\"Bearer\"}", 404, -EBADMSG, "404 status");
        check_token_bad("not json", 400, -EBADMSG, "400 without JSON");
        check_token_bad("<html>503</html>", 503, -EIO, "503 HTML");
        check_token_bad("{}", 429, -EBUSY, "429");
        check_token_bad("", 401, -EACCES, "401 without body");

        /* The access token limit: 16 KiB is fine, one byte more is not. */
        n = OAUTH_TOKEN_MAX + 64;
        big = malloc(n + 64);
        CHECK(big);
        if (big) {
                oauth_token *t = NULL;
                http_response r;

                strcpy(big, "{\"token_type\":\"Bearer\",\"access_token\":\"");
                memset(big + strlen(big), 'A', OAUTH_TOKEN_MAX);
                strcpy(big + strlen("{\"token_type\":\"Bearer\",\"access_token\":\"") + OAUTH_TOKEN_MAX, "\"}");
                r = resp(200, big);
                CHECK_R(oauth_parse_token_response(&r, NULL, &t, NULL), 0);
                CHECK(t && strlen(t->access_token) == OAUTH_TOKEN_MAX);
                oauth_token_free(t);

                strcpy(big, "{\"token_type\":\"Bearer\",\"access_token\":\"");
                memset(big + strlen(big), 'A', OAUTH_TOKEN_MAX + 1);
                strcpy(big + strlen("{\"token_type\":\"Bearer\",\"access_token\":\"") + OAUTH_TOKEN_MAX + 1, "\"}");
                check_token_bad(big, 200, -EBADMSG, "token over 16 KiB");
                free(big);
        }
}

static void test_token_errors(void) {
        oauth_token *t = NULL;
        oauth_error e = {};
        http_response r;

        r = resp(400, "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token expired\",\"x\":1}");
        r.has_retry_after = true;
        r.retry_after_sec = 7;
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK(!t);
        CHECK_STREQ(e.code, "invalid_grant");
        CHECK(e.description && strstr(e.description, "refresh token expired"));
        CHECK(e.http_status == 400);
        CHECK(e.has_retry_after && e.retry_after_sec == 7);
        CHECK(oauth_error_code_from_string(e.code) == OAUTH_ERROR_INVALID_GRANT);
        CHECK(!oauth_error_is_transient(&e));
        oauth_error_done(&e);

        r = resp(401, "{\"error\":\"invalid_client\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK_STREQ(e.code, "invalid_client");
        CHECK(e.http_status == 401);
        oauth_error_done(&e);

        /* Device flow polling: some servers answer 200 with an error. */
        r = resp(200, "{\"error\":\"authorization_pending\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK(oauth_error_code_from_string(e.code) == OAUTH_ERROR_AUTHORIZATION_PENDING);
        oauth_error_done(&e);

        r = resp(400, "{\"error\":\"slow_down\",\"error_description\":\"bad\\u0001text\\n\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK(oauth_error_code_from_string(e.code) == OAUTH_ERROR_SLOW_DOWN);
        CHECK(e.description && !strchr(e.description, '\n') && !strchr(e.description, '\x01'));
        oauth_error_done(&e);

        r = resp(400, "{\"error\":\"something_new\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK(oauth_error_code_from_string(e.code) == OAUTH_ERROR_OTHER);
        oauth_error_done(&e);

        r = resp(400, "{\"error\":\"temporarily_unavailable\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EACCES);
        CHECK(oauth_error_is_transient(&e));
        oauth_error_done(&e);

        /* Malformed error members. */
        r = resp(400, "{\"error\":17}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EBADMSG);
        CHECK(!e.code);
        oauth_error_done(&e);
        r = resp(400, "{\"error\":\"bad\\\"quote\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EBADMSG);
        oauth_error_done(&e);
        r = resp(400, "{\"error\":\"\"}");
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EBADMSG);
        oauth_error_done(&e);

        r = resp(503, "<html>down</html>");
        r.has_retry_after = true;
        r.retry_after_sec = 120;
        CHECK_R(oauth_parse_token_response(&r, NULL, &t, &e), -EIO);
        CHECK(e.retry_after_sec == 120 && oauth_error_is_transient(&e));
        oauth_error_done(&e);

        CHECK(oauth_error_code_from_string(NULL) == OAUTH_ERROR_NONE);
        CHECK(oauth_error_code_from_string("expired_token") == OAUTH_ERROR_EXPIRED_TOKEN);
        CHECK(oauth_error_code_from_string("access_denied") == OAUTH_ERROR_ACCESS_DENIED);
        e = (oauth_error) { .error = -ETIMEDOUT };
        CHECK(oauth_error_is_transient(&e));
        e = (oauth_error) { .error = -EBADMSG };
        CHECK(!oauth_error_is_transient(&e));
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_token_valid();
        test_token_bad();
        test_token_errors();

        printf("test-oauth-token: all checks passed\n");
        return 0;
}
