/* SPDX-License-Identifier: MIT */

/* The gateway calls (LIBTESSERA_1.1) against the fake tesserad
 * (fake-daemon.h): how a call maps to the daemon's paths, what is refused
 * before sending, what the responses hand out. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-daemon.h"

static tessera_response *call(tessera_client *c, const char *account, const char *method, const char *path,
                              const char *body, size_t body_len, const char *type, unsigned wait_s) {
        tessera_response *r = NULL;
        int k = tessera_api_call(c, account, method, path, body, body_len, type, wait_s, 0, &r);
        if (k != 0) {
                fprintf(stderr, "tessera_api_call(%s %s): %s\n", method, path, tessera_strerror(k));
                failures++;
        }
        return r;
}

static bool header_is(const tessera_response *r, const char *name, const char *want) {
        const char *v = tessera_response_header(r, name);
        if (v && strcmp(v, want) == 0)
                return true;
        fprintf(stderr, "header %s: \"%s\", expected \"%s\"\n", name, v ? v : "(none)", want);
        return false;
}

static void test_api_mapping(void) {
        tessera_client *c = new_client();
        tessera_response *r;

        /* "/..." is an API path, anything else is below the tenant. */
        r = call(c, NULL, "GET", "/v2/userinfo", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 200);
                CHECK(header_is(r, "X-Seen-Method", "GET"));
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/api/v2/userinfo"));
                CHECK(header_is(r, "X-Seen-Type", "-"));
                CHECK(header_is(r, "X-Seen-Wait", "-"));
                CHECK(header_is(r, "X-Seen-Length", "-"));
        }
        tessera_response_free(r);

        r = call(c, "lab", "GET", "patients?limit=10&q=a%20b", NULL, 0, NULL, 0);
        if (r)
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/lab/tenant/patients?limit=10&q=a%20b"));
        tessera_response_free(r);

        /* Dots are fine inside names and in the query. */
        r = call(c, "default", "GET", "/v2/files/a..b/.x?next=../y", NULL, 0, NULL, 0);
        if (r)
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/api/v2/files/a..b/.x?next=../y"));
        tessera_response_free(r);

        /* Method, body, Content-Type and Tessera-Wait arrive as sent. */
        const char json[] = "{\"name\":\"Rossi\"}";
        r = call(c, NULL, "POST", "patients", json, strlen(json), NULL, 5);
        if (r) {
                size_t len = 0;
                const char *b = tessera_response_body(r, &len);
                CHECK(header_is(r, "X-Seen-Method", "POST"));
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/tenant/patients"));
                CHECK(header_is(r, "X-Seen-Type", "application/json"));
                CHECK(header_is(r, "X-Seen-Wait", "5"));
                CHECK(header_is(r, "X-Seen-Length", "16"));
                CHECK(len == strlen(json) && memcmp(b, json, len) == 0 && b[len] == '\0');
        }
        tessera_response_free(r);

        /* Any bytes, NULs included, both ways; another type; any token method. */
        char bin[70000];
        for (size_t i = 0; i < sizeof(bin); i++)
                bin[i] = (char) (i % 7 == 0 ? 0 : i);
        r = call(c, NULL, "PATCH", "/v2/blob", bin, sizeof(bin), "application/octet-stream", 0);
        if (r) {
                size_t len = 0;
                const char *b = tessera_response_body(r, &len);
                CHECK(header_is(r, "X-Seen-Method", "PATCH"));
                CHECK(header_is(r, "X-Seen-Type", "application/octet-stream"));
                CHECK(len == sizeof(bin) && memcmp(b, bin, len) == 0);
        }
        tessera_response_free(r);

        r = call(c, NULL, "PROPFIND", "/v2/x", "a", 1, "text/plain; charset=utf-8", 300);
        if (r) {
                CHECK(header_is(r, "X-Seen-Method", "PROPFIND"));
                CHECK(header_is(r, "X-Seen-Type", "text/plain; charset=utf-8"));
                CHECK(header_is(r, "X-Seen-Wait", "300"));
        }
        tessera_response_free(r);

        /* No body: no Content-Length on GET, 0 on DELETE; an empty body is a body. */
        r = call(c, NULL, "DELETE", "patients/7", NULL, 0, NULL, 0);
        if (r) {
                CHECK(header_is(r, "X-Seen-Length", "0"));
                CHECK(header_is(r, "X-Seen-Type", "-"));
        }
        tessera_response_free(r);
        r = call(c, NULL, "PUT", "patients/7", "", 0, NULL, 0);
        if (r) {
                CHECK(header_is(r, "X-Seen-Length", "0"));
                CHECK(header_is(r, "X-Seen-Type", "application/json"));
        }
        tessera_response_free(r);

        /* The simple call: status and body. */
        int st = 0;
        char *body = NULL;
        size_t blen = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "POST", "/v2/echo", "hello", 5, "text/plain", 0, 0, &st, &body, &blen), 0);
        CHECK_EQ(st, 200);
        CHECK(body && blen == 5 && strcmp(body, "hello") == 0);
        body = tessera_free(body);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/echo", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);

        /* A path of exactly the maximum length goes through. */
        char *longpath = malloc(TESSERA_API_MAX_PATH + 2);
        memset(longpath, 'a', TESSERA_API_MAX_PATH + 1);
        longpath[0] = '/';
        longpath[TESSERA_API_MAX_PATH] = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "GET", longpath, NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);
        longpath[TESSERA_API_MAX_PATH] = 'a';
        longpath[TESSERA_API_MAX_PATH + 1] = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "GET", longpath, NULL, 0, NULL, 0, 0, &st, NULL, NULL), TESSERA_E_INVALID);
        free(longpath);

        tessera_client_free(c);
}

static void test_api_validation(void) {
        static const char *bad_paths[] = {
                "", "?x", "/a b", "/a\r\nX: y", "/a\tb", "/a#frag", "/a/../b", "/..", "/a/.", "..", "./x",
                "x/%2e%2E/y", "/%2e", "/a%2", "/a%zz", "/a%", "/\xc3\xa9", "/a\"b", "/a<b>", "/a\\b", "/a{b}",
                "/a|b", "/a^b", "/a`b", "/a[0]", "/", "//x", "/?x",
        };
        tessera_client *c = new_client();
        int before = atomic_load(&n_accepted), st = 0;
        tessera_response *r = NULL;
        char *body = NULL;

        for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
                int k = tessera_api_call(c, NULL, "GET", bad_paths[i], NULL, 0, NULL, 0, 0, &r);
                if (k != TESSERA_E_INVALID) {
                        fprintf(stderr, "path \"%s\": %d, expected TESSERA_E_INVALID\n", bad_paths[i], k);
                        failures++;
                }
                CHECK(r == NULL);
        }
        CHECK_EQ(tessera_api_call(c, NULL, "G T", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET\r\n", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, NULL, "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", NULL, NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, "a/b", "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, "", "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", "/x", NULL, 0, NULL, TESSERA_API_MAX_WAIT + 1, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", NULL, 5, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", "a", 1, "text/plain\r\nX: y", 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", "a", 1, "", 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, NULL), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(NULL, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, NULL, &body, NULL), TESSERA_E_INVALID);
        CHECK(r == NULL && body == NULL);

        /* Over the request limit: refused before anything is sent (the
         * buffer is never read, so it need not be initialised). */
        char *huge = malloc((size_t) TESSERA_API_MAX_REQUEST + 1);
        CHECK(huge != NULL);
        CHECK_EQ(tessera_api_request(c, NULL, "POST", "/x", huge, (size_t) TESSERA_API_MAX_REQUEST + 1, NULL, 0, 0,
                                     &st, NULL, NULL), TESSERA_E_TOO_LARGE);
        free(huge);

        CHECK_EQ(tessera_client_set_max_response(c, (size_t) TESSERA_API_MAX_RESPONSE_LIMIT + 1), TESSERA_E_INVALID);
        CHECK_EQ(tessera_client_set_max_response(NULL, 10), TESSERA_E_INVALID);
        CHECK_EQ(atomic_load(&n_accepted), before);

        /* NULL-safe accessors. */
        CHECK(tessera_response_free(NULL) == NULL);
        CHECK(tessera_response_body(NULL, NULL) == NULL);
        CHECK(tessera_response_header(NULL, "x") == NULL);
        CHECK(tessera_response_head(NULL) == NULL);
        CHECK_EQ(tessera_response_status(NULL), 0);
        CHECK_EQ(tessera_response_retry_after(NULL), -1);
        CHECK(strcmp(tessera_strerror(TESSERA_E_TOO_LARGE), tessera_strerror(-12345)) != 0);
        tessera_client_free(c);
}

static void test_api_responses(void) {
        tessera_client *c = new_client();
        tessera_response *r;
        size_t len = 0;

        /* Upstream statuses and headers pass through as they are. */
        int statuses[] = { 201, 204, 304, 400, 403, 404, 409, 422, 500, 502, 503 };
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
                char path[64], want[64];
                snprintf(path, sizeof(path), "/v2/status/%d", statuses[i]);
                r = call(c, NULL, "GET", path, NULL, 0, NULL, 0);
                if (!r)
                        continue;
                CHECK_EQ(tessera_response_status(r), statuses[i]);
                const char *b = tessera_response_body(r, &len);
                if (statuses[i] == 204 || statuses[i] == 304)
                        CHECK(len == 0 && b && b[0] == '\0');
                else {
                        snprintf(want, sizeof(want), "upstream %d", statuses[i]);
                        CHECK(strcmp(b, want) == 0);
                }
                CHECK(header_is(r, "etag", "\"v1\""));
                CHECK(header_is(r, "LINK", "<https://api.example/next>; rel=\"next\""));
                CHECK(header_is(r, "Content-Type", "text/plain"));
                CHECK_EQ(tessera_response_retry_after(r), 7);
                CHECK(tessera_response_header(r, "X-Absent") == NULL);
                snprintf(want, sizeof(want), "HTTP/1.1 %d Status %d\r\n", statuses[i], statuses[i]);
                CHECK(strncmp(tessera_response_head(r), want, strlen(want)) == 0);
                CHECK(strstr(tessera_response_head(r), "\r\nETag: \"v1\"\r\n") != NULL);
                CHECK(strstr(tessera_response_head(r), "\r\n\r\n") == NULL);
                tessera_response_free(r);
        }

        /* The daemon's own 429. */
        r = call(c, NULL, "GET", "/v2/ratelimited", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 429);
                CHECK_EQ(tessera_response_retry_after(r), 3);
                CHECK(strstr(tessera_response_body(r, NULL), "rate_limited") != NULL);
        }
        tessera_response_free(r);

        /* Retry-After as an HTTP date, in the past, and unreadable. */
        static const struct {
                const char *path;
                int64_t lo, hi;
        } retries[] = {
                { "/v2/retry/+100", 95, 100 },
                { "/v2/retry/-100", 0, 0 },
                { "/v2/retry/120", 120, 120 },
                { "/v2/retry/soon", -1, -1 },
                { "/v2/retry/12a", -1, -1 },
                { "/v2/retry/Sun,_06_Foo_1994_08:49:37_GMT", -1, -1 },
                { "/v2/retry/Sun,_06_Nov_1994_08:49:37_GMT", 0, 0 },
                { "/v2/retry/99999999999999999999", 366 * 86400, INT64_MAX },
        };
        for (size_t i = 0; i < sizeof(retries) / sizeof(retries[0]); i++) {
                r = call(c, NULL, "GET", retries[i].path, NULL, 0, NULL, 0);
                int64_t v = tessera_response_retry_after(r);
                if (v < retries[i].lo || v > retries[i].hi) {
                        fprintf(stderr, "%s: Retry-After %lld\n", retries[i].path, (long long) v);
                        failures++;
                }
                tessera_response_free(r);
        }

        /* Chunked, with an extension and a trailer. */
        r = call(c, NULL, "GET", "/v2/chunked", NULL, 0, NULL, 0);
        if (r) {
                const char *b = tessera_response_body(r, &len);
                CHECK(len == 9 && strcmp(b, "[1,2,3,4]") == 0);
                CHECK(header_is(r, "Content-Type", "application/json"));
        }
        tessera_response_free(r);

        /* HEAD: no body even though a length is announced. */
        r = call(c, NULL, "HEAD", "/v2/echo", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 200);
                (void) tessera_response_body(r, &len);
                CHECK_EQ(len, 0);
        }
        tessera_response_free(r);

        /* The connection stays kept alive across gateway calls. */
        int before = atomic_load(&n_accepted);
        for (int i = 0; i < 20; i++)
                tessera_response_free(call(c, NULL, "GET", "/v2/chunked", NULL, 0, NULL, 0));
        CHECK(atomic_load(&n_accepted) - before <= 1);

        tessera_client_free(c);
}
int main(void) {
        start_server();

        test_api_mapping();
        test_api_validation();
        test_api_responses();

        return stop_server("test-libtessera-api");
}
