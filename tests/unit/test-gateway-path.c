/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway-error.h"
#include "gateway/gateway-path.h"
#include "util/util.h"
#include "tests.h"

static void test_path_is_safe(void) {
        _cleanup_(freep) char *longest = NULL, *too_long = NULL;

        CHECK(gateway_path_is_safe("v2/patients"));
        CHECK(gateway_path_is_safe("v2/patients/123/notes"));
        CHECK(gateway_path_is_safe("a"));
        CHECK(gateway_path_is_safe("v2/name%20with%2Fescapes"));
        CHECK(gateway_path_is_safe("v2/...")); /* three dots is a name */
        CHECK(gateway_path_is_safe("v2/.hidden"));
        CHECK(gateway_path_is_safe("v2/a..b"));
        CHECK(gateway_path_is_safe("v2/x;y=1,z:@!$&'()*+~_-"));

        CHECK(!gateway_path_is_safe(""));
        CHECK(!gateway_path_is_safe("/v2/patients"));
        CHECK(!gateway_path_is_safe("v2/../admin"));
        CHECK(!gateway_path_is_safe(".."));
        CHECK(!gateway_path_is_safe("."));
        CHECK(!gateway_path_is_safe("v2/./x"));
        CHECK(!gateway_path_is_safe("v2/.."));
        CHECK(!gateway_path_is_safe("v2/%2e%2e/admin"));
        CHECK(!gateway_path_is_safe("v2/%2E%2E/admin"));
        CHECK(!gateway_path_is_safe("v2/.%2e/admin"));
        CHECK(!gateway_path_is_safe("v2/%2e"));
        CHECK(!gateway_path_is_safe("v2/%zz"));
        CHECK(!gateway_path_is_safe("v2/%4"));
        CHECK(!gateway_path_is_safe("v2/%"));
        CHECK(!gateway_path_is_safe("v2/a b"));
        CHECK(!gateway_path_is_safe("v2/a?b"));
        CHECK(!gateway_path_is_safe("v2/a#b"));
        CHECK(!gateway_path_is_safe("v2/a\\b"));
        CHECK(!gateway_path_is_safe("v2/\x80"));

        longest = malloc(GATEWAY_PATH_MAX + 1);
        too_long = malloc(GATEWAY_PATH_MAX + 2);
        CHECK(longest && too_long);
        memset(longest, 'a', GATEWAY_PATH_MAX);
        longest[GATEWAY_PATH_MAX] = '\0';
        memset(too_long, 'a', GATEWAY_PATH_MAX + 1);
        too_long[GATEWAY_PATH_MAX + 1] = '\0';
        CHECK(gateway_path_is_safe(longest));
        CHECK(!gateway_path_is_safe(too_long));
}

static void test_query_is_safe(void) {
        _cleanup_(freep) char *too_long = NULL;

        CHECK(gateway_query_is_safe(""));
        CHECK(gateway_query_is_safe("limit=10&offset=20"));
        CHECK(gateway_query_is_safe("q=a%20b&x?y"));
        CHECK(!gateway_query_is_safe("q=a b"));
        CHECK(!gateway_query_is_safe("q=a#b"));
        CHECK(!gateway_query_is_safe("q=\r\n"));

        too_long = malloc(GATEWAY_PATH_MAX + 2);
        CHECK(too_long);
        memset(too_long, 'q', GATEWAY_PATH_MAX + 1);
        too_long[GATEWAY_PATH_MAX + 1] = '\0';
        CHECK(!gateway_query_is_safe(too_long));
}

static void check_url(const char *base, const char *tenant, const char *rest, const char *query, const char *want) {
        _cleanup_(freep) char *url = NULL;

        CHECK_R(gateway_build_url(base, tenant, rest, query, &url), 0);
        CHECK_STREQ(url, want);
}

static void test_build_url(void) {
        check_url("https://api.example", NULL, "v2/patients", NULL, "https://api.example/v2/patients");
        check_url("https://api.example/", NULL, "v2/patients", "", "https://api.example/v2/patients");
        check_url("https://api.example///", NULL, "v2/patients", "limit=5", "https://api.example/v2/patients?limit=5");
        check_url("https://api.example", "t-100", "patients", "a=1&b=2",
                  "https://api.example/v2/tenants/t-100/patients?a=1&b=2");
        /* The audit path: no base, no query. */
        check_url("", "t-100", "patients", NULL, "/v2/tenants/t-100/patients");
        check_url("", NULL, "v2/x", NULL, "/v2/x");
}

static void test_retry_after(void) {
        CHECK(gateway_retry_after(NULL, 0) == GATEWAY_PAUSE_DEFAULT_SEC);
        CHECK(gateway_retry_after("", 0) == GATEWAY_PAUSE_DEFAULT_SEC);
        CHECK(gateway_retry_after("soon", 0) == GATEWAY_PAUSE_DEFAULT_SEC);
        CHECK(gateway_retry_after("-5", 0) == GATEWAY_PAUSE_DEFAULT_SEC);
        CHECK(gateway_retry_after("12", 0) == 12);
        CHECK(gateway_retry_after("0", 0) == 1);
        CHECK(gateway_retry_after("999999", 0) == GATEWAY_PAUSE_MAX_SEC);
        CHECK(gateway_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 60) == 60);
        CHECK(gateway_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 60) == 1);
}

typedef struct fake_headers {
        const char *const *pairs;       /* name, value, ..., NULL */
} fake_headers;

static const char *lookup(const char *name, void *userdata) {
        const fake_headers *h = userdata;

        for (const char *const *p = h->pairs; *p; p += 2)
                if (strcasecmp(p[0], name) == 0)
                        return p[1];
        return NULL;
}

static size_t strv_len(char **l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

static void test_forwarded_headers(void) {
        static const char *const sent[] = {
                "Authorization", "Bearer stolen",
                "Accept-Language", "de-CH",
                "X-Request-Id", "abc\r\nInjected: 1",
                "If-None-Match", "\"etag\"",
                "Cookie", "c=1",
                NULL,
        };
        static const char *const typed[] = { "Content-Type", "text/csv", NULL };
        static const char *const none[] = { NULL };
        fake_headers h = { sent };
        char **l = NULL;

        CHECK_R(gateway_forwarded_headers(lookup, &h, false, &l), 0);
        CHECK(strv_len(l) == 2);
        CHECK_STREQ(l[0], "Accept-Language: de-CH");
        CHECK_STREQ(l[1], "If-None-Match: \"etag\"");
        strv_free(l);

        /* A body without a type is JSON. */
        CHECK_R(gateway_forwarded_headers(lookup, &h, true, &l), 0);
        CHECK(strv_len(l) == 3);
        CHECK_STREQ(l[2], "Content-Type: application/json");
        strv_free(l);

        h.pairs = typed;
        CHECK_R(gateway_forwarded_headers(lookup, &h, true, &l), 0);
        CHECK(strv_len(l) == 1);
        CHECK_STREQ(l[0], "Content-Type: text/csv");
        strv_free(l);

        h.pairs = none;
        CHECK_R(gateway_forwarded_headers(lookup, &h, false, &l), 0);
        CHECK(strv_len(l) == 0);
        strv_free(l);
}

static void test_error_kinds(void) {
        for (int k = 0; k < _GATEWAY_ERROR_KIND_MAX; k++) {
                const char *s = gateway_error_kind_to_string(k);

                CHECK(s);
                CHECK(gateway_error_kind_from_string(s) == k);
        }
        CHECK_STREQ(gateway_error_kind_to_string(GATEWAY_ERROR_RATE_LIMITED), "rate_limited");
        CHECK(!gateway_error_kind_to_string(_GATEWAY_ERROR_KIND_MAX));
        CHECK(gateway_error_kind_from_string("nonsense") == -EINVAL);
        CHECK(gateway_error_kind_from_string(NULL) == -EINVAL);
}

int main(void) {
        test_path_is_safe();
        test_query_is_safe();
        test_build_url();
        test_retry_after();
        test_forwarded_headers();
        test_error_kinds();
        return 0;
}
