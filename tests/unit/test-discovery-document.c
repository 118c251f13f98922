/* SPDX-License-Identifier: MIT */
/* The discovery document: parsing it on good, bad and hostile input, its
 * URL, and endpoints taken from the configuration alone. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp/discovery-document.h"
#include "tests.h"

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

        test_discovery();
        test_endpoints_from_config();

        printf("test-discovery-document: all checks passed\n");
        return 0;
}
