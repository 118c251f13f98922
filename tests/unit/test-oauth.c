/* SPDX-License-Identifier: MIT */
/* Pure parts of the OAuth client: form and Basic encodings, client
 * authentication, and the device, userinfo and revocation response parsers
 * on good, bad and hostile input. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp/oauth.h"
#include "oauth-fixture.h"
#include "util/secret.h"
#include "tests.h"

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

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_urlencode();
        test_form_growth();
        test_basic_credentials();
        test_client_auth();
        test_device();
        test_userinfo();
        test_revocation();

        printf("test-oauth: all checks passed\n");
        return 0;
}
