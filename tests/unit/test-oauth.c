/* SPDX-License-Identifier: MIT */
/* Pure parts of the OAuth client and of discovery: form and Basic
 * encodings, response parsers on good, bad and hostile input, endpoints. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp/discovery-document.h"
#include "idp/oauth.h"
#include "util/secret.h"
#include "tests.h"

static http_response resp(long status, const char *body) {
        return (http_response) {
                .status = status,
                .content_type = "application/json",
                .body = body,
                .body_size = strlen(body),
        };
}

/* ---- encodings ---- */

static void test_urlencode(void) {
        _cleanup_(secret_freep) char *s = NULL;
        _cleanup_(oauth_form_done) oauth_form f = {};

        /* RFC 6749 Appendix B's example. */
        CHECK_R(oauth_form_urlencode(" %&+\xc2\xa3\xe2\x82\xac", &s), 0);
        CHECK_STREQ(s, "+%25%26%2B%C2%A3%E2%82%AC");
        s = secret_free(s);

        CHECK_R(oauth_form_urlencode("AZaz09-._~", &s), 0);
        CHECK_STREQ(s, "AZaz09-._~");
        s = secret_free(s);

        CHECK_R(oauth_form_urlencode("a=b&c/d?e#f:g", &s), 0);
        CHECK_STREQ(s, "a%3Db%26c%2Fd%3Fe%23f%3Ag");
        s = secret_free(s);

        CHECK_R(oauth_form_urlencode("", &s), 0);
        CHECK_STREQ(s, "");

        CHECK_R(oauth_form_add(&f, "grant_type", "authorization_code"), 0);
        CHECK_R(oauth_form_add(&f, "redirect_uri", "http://127.0.0.1:4711/callback"), 0);
        CHECK_R(oauth_form_add(&f, "empty", ""), 0);
        CHECK_STREQ(f.buf.data, "grant_type=authorization_code&redirect_uri=http%3A%2F%2F127.0.0.1%3A4711%2Fcallback&empty=");
        CHECK(f.buf.len == strlen(f.buf.data));
        CHECK_R(oauth_form_add(&f, "", "x"), -EINVAL);
        CHECK_R(oauth_form_add(&f, "x", NULL), -EINVAL);
}

static void test_form_growth(void) {
        _cleanup_(oauth_form_done) oauth_form f = {};
        char expected[8192] = "", value[64];

        /* Many appends force several reallocations of the secret buffer. */
        for (int i = 0; i < 100; i++) {
                snprintf(value, sizeof value, "v %d/", i);
                CHECK_R(oauth_form_add(&f, "k", value), 0);
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected),
                         "%sk=v+%d%%2F", i ? "&" : "", i);
        }
        CHECK_STREQ(f.buf.data, expected);
        CHECK(f.buf.len == strlen(expected));
}

static void test_basic_credentials(void) {
        _cleanup_(secret_freep) char *b = NULL;
        unsigned char bin[256];
        size_t bin_len = 0;

        /* RFC 6749 §2.3.1: form-encode id and secret, then join and base64.
         * Expected: base64("my+app%3A1:p%2Bss+w%25rd%2F%C3%A8"). */
        CHECK_R(oauth_basic_credentials("my app:1", "p+ss w%rd/\xc3\xa8", &b), 0);
        CHECK_SECRET_EQ(b, "bXkrYXBwJTNBMTpwJTJCc3MrdyUyNXJkJTJGJUMzJUE4");
        CHECK(b && sodium_base642bin(bin, sizeof bin, b, strlen(b), NULL, &bin_len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL) == 0);
        CHECK(bin_len == strlen("my+app%3A1:p%2Bss+w%25rd%2F%C3%A8") &&
              memcmp(bin, "my+app%3A1:p%2Bss+w%25rd%2F%C3%A8", bin_len) == 0);
        b = secret_free(b);

        /* The separator stays unambiguous: the id's ':' is encoded. */
        CHECK_R(oauth_basic_credentials("a:b", "c", &b), 0);
        CHECK(b && sodium_base642bin(bin, sizeof bin, b, strlen(b), NULL, &bin_len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL) == 0);
        CHECK(bin_len == 7 && memcmp(bin, "a%3Ab:c", 7) == 0);
        b = secret_free(b);

        CHECK_R(oauth_basic_credentials("", "c", &b), -EINVAL);
        CHECK_R(oauth_basic_credentials("a", NULL, &b), -EINVAL);
}

static void test_client_auth(void) {
        char secret[] = "s3cr+t";
        conf_account a = {
                .name = (char *) "default",
                .issuer = (char *) "https://idp.example",
                .client_id = (char *) "app id",
                .client_secret = secret,
                .client_auth = CLIENT_AUTH_BASIC,
        };
        _cleanup_(oauth_form_done) oauth_form f = {};
        _cleanup_(secret_freep) char *basic = NULL, *expected = NULL;

        CHECK_R(oauth_client_auth(&a, &f, &basic), 0);
        CHECK(basic);
        CHECK(!f.buf.data);
        CHECK_R(oauth_basic_credentials("app id", secret, &expected), 0);
        CHECK_SECRET_EQ(basic, expected);
        basic = secret_free(basic);

        a.client_auth = CLIENT_AUTH_POST;
        CHECK_R(oauth_client_auth(&a, &f, &basic), 0);
        CHECK(!basic);
        CHECK_SECRET_EQ(f.buf.data, "client_id=app+id&client_secret=s3cr%2Bt");
        oauth_form_done(&f);

        /* A public client (no secret) identifies itself in the body. */
        a.client_auth = CLIENT_AUTH_BASIC;
        a.client_secret = NULL;
        CHECK_R(oauth_client_auth(&a, &f, &basic), 0);
        CHECK(!basic);
        CHECK_STREQ(f.buf.data, "client_id=app+id");
}

/* ---- token responses ---- */

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

/* ---- device authorization ---- */

static void test_device(void) {
        oauth_device_auth *d = NULL;
        oauth_error e = {};
        http_response r;

        r = resp(200, "{\"device_code\":\"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS\","
                      "\"user_code\":\"WDJB-MJHT\",\"verification_uri\":\"https://idp.example/device\","
                      "\"verification_uri_complete\":\"https://idp.example/device?user_code=WDJB-MJHT\","
                      "\"expires_in\":1800,\"interval\":7,\"message\":\"ignored\"}");
        CHECK_R(oauth_parse_device_response(&r, &d, &e), 0);
        if (d) {
                CHECK_SECRET_EQ(d->device_code, "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS");
                CHECK_STREQ(d->user_code, "WDJB-MJHT");
                CHECK_STREQ(d->verification_uri, "https://idp.example/device");
                CHECK_STREQ(d->verification_uri_complete, "https://idp.example/device?user_code=WDJB-MJHT");
                CHECK(d->expires_in == 1800);
                CHECK(d->interval == 7);
        }
        d = oauth_device_auth_free(d);

        r = resp(200, "{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"http://127.0.0.1:8080/device\","
                      "\"expires_in\":600}");
        CHECK_R(oauth_parse_device_response(&r, &d, NULL), 0);
        CHECK(d && d->interval == OAUTH_DEVICE_INTERVAL_DEFAULT && !d->verification_uri_complete);
        d = oauth_device_auth_free(d);

        r = resp(200, "{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\","
                      "\"expires_in\":600,\"interval\":0}");
        CHECK_R(oauth_parse_device_response(&r, &d, NULL), 0);
        CHECK(d && d->interval == OAUTH_DEVICE_INTERVAL_DEFAULT);
        d = oauth_device_auth_free(d);

#define DEV_BAD(body, err) do {                                                 \
                r = resp(200, body);                                            \
                CHECK_R(oauth_parse_device_response(&r, &d, &e), err);        \
                CHECK(!d);                                                      \
                oauth_error_done(&e);                                           \
        } while (0)
        DEV_BAD("{\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\"}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":0}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":\"600\"}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":600,\"interval\":-5}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":600,\"interval\":999999}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"http://evil.example/d\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"javascript:alert(1)\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\",\"verification_uri\":\"https://x.example/d\","
                "\"verification_uri_complete\":\"file:///etc/passwd\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("{\"device_code\":\"dc\",\"user_code\":\"U\\nV\",\"verification_uri\":\"https://x.example/d\",\"expires_in\":600}", -EBADMSG);
        DEV_BAD("<html></html>", -EBADMSG);

        r = resp(400, "{\"error\":\"unauthorized_client\"}");
        CHECK_R(oauth_parse_device_response(&r, &d, &e), -EACCES);
        CHECK_STREQ(e.code, "unauthorized_client");
        oauth_error_done(&e);
}

/* ---- userinfo ---- */

static void test_userinfo(void) {
        oauth_userinfo *u = NULL;
        oauth_error e = {};
        http_response r;
        char *big;

        r = resp(200, "{\"sub\":\"u-123\",\"name\":\"Dott.ssa Rossi \xc3\xa8\",\"email\":\"x@y\","
                      "\"tenants\":[{\"id\":\"t-1\",\"name\":\"Studio A\",\"role\":\"admin\"},{\"id\":\"t_2.b~\"}]}");
        CHECK_R(oauth_parse_userinfo_response(&r, &u, &e), 0);
        if (u) {
                CHECK_STREQ(u->sub, "u-123");
                CHECK_STREQ(u->name, "Dott.ssa Rossi \xc3\xa8");
                CHECK(u->n_tenants == 2);
                if (u->n_tenants == 2) {
                        CHECK_STREQ(u->tenants[0].id, "t-1");
                        CHECK_STREQ(u->tenants[0].name, "Studio A");
                        CHECK_STREQ(u->tenants[1].id, "t_2.b~");
                        CHECK(!u->tenants[1].name);
                }
        }
        u = oauth_userinfo_free(u);

        r = resp(200, "{\"sub\":\"u\"}");
        CHECK_R(oauth_parse_userinfo_response(&r, &u, NULL), 0);
        CHECK(u && u->n_tenants == 0 && !u->name && !u->tenants);
        u = oauth_userinfo_free(u);

        r = resp(200, "{\"sub\":\"u\",\"tenants\":null,\"name\":null}");
        CHECK_R(oauth_parse_userinfo_response(&r, &u, NULL), 0);
        CHECK(u && u->n_tenants == 0);
        u = oauth_userinfo_free(u);

        r = resp(200, "{\"sub\":\"u\",\"tenants\":[]}");
        CHECK_R(oauth_parse_userinfo_response(&r, &u, NULL), 0);
        CHECK(u && u->n_tenants == 0);
        u = oauth_userinfo_free(u);

#define UI_BAD(status, body, err) do {                                          \
                r = resp(status, body);                                         \
                CHECK_R(oauth_parse_userinfo_response(&r, &u, &e), err);      \
                CHECK(!u);                                                      \
                oauth_error_done(&e);                                           \
        } while (0)
        UI_BAD(200, "{\"name\":\"x\"}", -EBADMSG);
        UI_BAD(200, "{\"sub\":17}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"\"}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":{\"id\":\"t\"}}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[\"t\"]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[{\"name\":\"no id\"}]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[{\"id\":42}]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[{\"id\":\"../admin\"}]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[{\"id\":\"a b\"}]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"tenants\":[{\"id\":\"t\",\"name\":[]}]}", -EBADMSG);
        UI_BAD(200, "{\"sub\":\"u\",\"name\":\"line\\nbreak\"}", -EBADMSG);
        UI_BAD(401, "", -EACCES);
        UI_BAD(403, "{\"message\":\"forbidden\"}", -EACCES);
        UI_BAD(200, "<!DOCTYPE html><html></html>", -EBADMSG);

        /* Tenant count limit: 256 accepted, 257 refused. */
        big = malloc(64 * 300);
        CHECK(big);
        if (big) {
                for (int n = 256; n <= 257; n++) {
                        strcpy(big, "{\"sub\":\"u\",\"tenants\":[");
                        for (int i = 0; i < n; i++)
                                sprintf(big + strlen(big), "%s{\"id\":\"t%d\"}", i ? "," : "", i);
                        strcat(big, "]}");
                        r = resp(200, big);
                        CHECK_R(oauth_parse_userinfo_response(&r, &u, NULL), n == 256 ? 0 : -EBADMSG);
                        CHECK(n == 256 ? (u && u->n_tenants == 256) : !u);
                        u = oauth_userinfo_free(u);
                }
                free(big);
        }
}

static void test_revocation(void) {
        oauth_error e = {};
        http_response r;

        r = resp(200, "");
        CHECK_R(oauth_parse_revocation_response(&r, &e), 0);
        r = resp(200, "<html>whatever</html>");
        CHECK_R(oauth_parse_revocation_response(&r, &e), 0);
        r = resp(400, "{\"error\":\"unsupported_token_type\"}");
        CHECK_R(oauth_parse_revocation_response(&r, &e), -EACCES);
        CHECK(oauth_error_code_from_string(e.code) == OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE);
        oauth_error_done(&e);
        r = resp(503, "");
        CHECK_R(oauth_parse_revocation_response(&r, &e), -EIO);
        oauth_error_done(&e);
}

/* ---- discovery ---- */

#define DOC_HEAD "{\"issuer\":\"https://idp.example\","
#define DOC_ENDPOINTS                                                           \
        "\"authorization_endpoint\":\"https://idp.example/connect/authorize\","  \
        "\"token_endpoint\":\"https://idp.example/connect/token\","              \
        "\"device_authorization_endpoint\":\"https://idp.example/connect/deviceauthorization\"," \
        "\"revocation_endpoint\":\"https://idp.example/connect/revocation\","    \
        "\"introspection_endpoint\":\"https://idp.example/connect/introspect\"," \
        "\"userinfo_endpoint\":\"https://idp.example/connect/userinfo\","

static void check_discovery_bad(const char *doc, const char *issuer, const char *what) {
        oidc_endpoints *e = NULL;
        char *msg = NULL;
        int r;

        r = oidc_discovery_parse(doc, strlen(doc), issuer, &e, &msg);
        if (r != -EBADMSG || e || !msg) {
                fprintf(stderr, "discovery parser accepted or misreported: %s (%d)\n", what, r);
                abort();
        }
        oidc_endpoints_free(e);
        free(msg);
}

static void test_discovery(void) {
        static const char doc[] = DOC_HEAD DOC_ENDPOINTS
                "\"code_challenge_methods_supported\":[\"plain\",\"S256\"],"
                "\"grant_types_supported\":[\"authorization_code\"],\"x\":{\"y\":[true,null]}}";
        oidc_endpoints *e = NULL, *d = NULL;
        char *url = NULL, *msg = NULL;

        CHECK_R(oidc_discovery_parse(doc, strlen(doc), "https://idp.example", &e, &msg), 0);
        CHECK(!msg);
        if (e) {
                CHECK_STREQ(e->issuer, "https://idp.example");
                CHECK_STREQ(e->authorization_endpoint, "https://idp.example/connect/authorize");
                CHECK_STREQ(e->token_endpoint, "https://idp.example/connect/token");
                CHECK_STREQ(e->device_authorization_endpoint, "https://idp.example/connect/deviceauthorization");
                CHECK_STREQ(e->revocation_endpoint, "https://idp.example/connect/revocation");
                CHECK_STREQ(e->introspection_endpoint, "https://idp.example/connect/introspect");
                CHECK_STREQ(e->userinfo_endpoint, "https://idp.example/connect/userinfo");
                CHECK(e->pkce_s256);

                CHECK_R(oidc_endpoints_dup(e, &d), 0);
                CHECK(d && d != e && streq(d->token_endpoint, e->token_endpoint) && d->pkce_s256);
                d = oidc_endpoints_free(d);

                conf_account a = {
                        .token_endpoint = (char *) "http://127.0.0.1:9000/token",
                        .revocation_endpoint = (char *) "https://other.example/revoke",
                };
                CHECK_R(oidc_endpoints_apply_overrides(e, &a), 0);
                CHECK_STREQ(e->token_endpoint, "http://127.0.0.1:9000/token");
                CHECK_STREQ(e->revocation_endpoint, "https://other.example/revoke");
                CHECK_STREQ(e->authorization_endpoint, "https://idp.example/connect/authorize");
        }
        e = oidc_endpoints_free(e);

        /* Minimal document; optional members may be null; no PKCE list. */
        static const char minimal[] = "{\"issuer\":\"http://127.0.0.1:8443/realm/\","
                "\"authorization_endpoint\":\"http://127.0.0.1:8443/a\",\"token_endpoint\":\"http://127.0.0.1:8443/t\","
                "\"revocation_endpoint\":null}";
        CHECK_R(oidc_discovery_parse(minimal, strlen(minimal), "http://127.0.0.1:8443/realm/", &e, NULL), 0);
        CHECK(e && !e->device_authorization_endpoint && !e->revocation_endpoint && !e->pkce_s256);
        e = oidc_endpoints_free(e);

        check_discovery_bad(doc, "https://idp.example/", "issuer differs by a trailing slash");
        check_discovery_bad(doc, "https://IDP.example", "issuer differs in case");
        check_discovery_bad(doc, "https://evil.example", "other issuer");
        check_discovery_bad("{" DOC_ENDPOINTS "\"x\":1}", "https://idp.example", "issuer missing");
        check_discovery_bad("{\"issuer\":[\"https://idp.example\"]," DOC_ENDPOINTS "\"x\":1}",
                            "https://idp.example", "issuer not a string");
        check_discovery_bad(DOC_HEAD "\"authorization_endpoint\":\"https://idp.example/a\"}",
                            "https://idp.example", "token_endpoint missing");
        check_discovery_bad(DOC_HEAD "\"token_endpoint\":\"https://idp.example/t\"}",
                            "https://idp.example", "authorization_endpoint missing");
        check_discovery_bad(DOC_HEAD "\"authorization_endpoint\":\"https://idp.example/a\",\"token_endpoint\":5}",
                            "https://idp.example", "token_endpoint a number");
        check_discovery_bad(DOC_HEAD "\"authorization_endpoint\":\"https://idp.example/a\","
                            "\"token_endpoint\":\"http://idp.example/t\"}",
                            "https://idp.example", "plain http endpoint");
        check_discovery_bad(DOC_HEAD "\"authorization_endpoint\":\"https://idp.example/a\","
                            "\"token_endpoint\":\"https://idp.example/t\",\"revocation_endpoint\":\"ftp://idp.example/r\"}",
                            "https://idp.example", "ftp endpoint");
        check_discovery_bad(DOC_HEAD DOC_ENDPOINTS "\"code_challenge_methods_supported\":\"S256\"}",
                            "https://idp.example", "PKCE methods not an array");
        check_discovery_bad(DOC_HEAD DOC_ENDPOINTS "\"code_challenge_methods_supported\":[256]}",
                            "https://idp.example", "PKCE method not a string");
        check_discovery_bad("<html>login</html>", "https://idp.example", "HTML");
        check_discovery_bad("", "https://idp.example", "empty");

        CHECK_R(oidc_discovery_url("https://idp.example", &url), 0);
        CHECK_STREQ(url, "https://idp.example/.well-known/openid-configuration");
        free(url);
        url = NULL;
        CHECK_R(oidc_discovery_url("https://idp.example/realms/x//", &url), 0);
        CHECK_STREQ(url, "https://idp.example/realms/x/.well-known/openid-configuration");
        free(url);
        CHECK_R(oidc_discovery_url("/", &url), -EINVAL);
        CHECK_R(oidc_discovery_url("", &url), -EINVAL);
}

static void test_endpoints_from_config(void) {
        conf_account a = {
                .issuer = (char *) "https://idp.example",
                .authorization_endpoint = (char *) "https://idp.example/a",
                .token_endpoint = (char *) "https://idp.example/t",
                .device_authorization_endpoint = (char *) "https://idp.example/d",
        };
        oidc_endpoints *e = NULL;

        CHECK_R(oidc_endpoints_from_config(&a, &e), 0);
        CHECK(!e);
        a.revocation_endpoint = (char *) "https://idp.example/r";
        CHECK_R(oidc_endpoints_from_config(&a, &e), 1);
        if (e) {
                CHECK_STREQ(e->issuer, "https://idp.example");
                CHECK_STREQ(e->token_endpoint, "https://idp.example/t");
                CHECK_STREQ(e->revocation_endpoint, "https://idp.example/r");
                CHECK(e->pkce_s256);
        }
        oidc_endpoints_free(e);
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_urlencode();
        test_form_growth();
        test_basic_credentials();
        test_client_auth();
        test_token_valid();
        test_token_bad();
        test_token_errors();
        test_device();
        test_userinfo();
        test_revocation();
        test_discovery();
        test_endpoints_from_config();

        printf("test-oauth: all checks passed\n");
        return 0;
}
