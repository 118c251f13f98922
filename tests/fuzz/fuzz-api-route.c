/* SPDX-License-Identifier: MIT */

/* api_route_parse() and parse_seconds(): the parts of an API request
 * tesserad interprets itself. Input: METHOD '\n' PATH ['\n' QUERY-VALUE
 * ['\n' MAX]], as libmicrohttpd would hand them over (NUL-terminated, so
 * a NUL in the input ends that string early). */

#include <limits.h>

#include "api/api-routes.h"
#include "util/parse-seconds.h"
#include "fuzz.h"
#include "login/login.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

static void check_route(const char *method, const char *path) {
        static const char *const suffix[_API_ROUTE_MAX] = {
                [API_ROUTE_TOKEN] = "token",
                [API_ROUTE_LOGIN_START] = "login",
                [API_ROUTE_LOGIN_WAIT] = "login",
                [API_ROUTE_LOGOUT] = "logout",
                /* API_ROUTE_GATEWAY: checked on its own */
        };
        api_route route = { .kind = _API_ROUTE_MAX };
        char *expect = NULL;
        int r;

        r = api_route_parse(method, path, &route);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL || r == -ENOENT || r == -EOPNOTSUPP, "api_route_parse(): %d", r);
                FUZZ_CHECK(route.kind == _API_ROUTE_MAX, "route set on failure");
                return;
        }
        FUZZ_CHECK(r == 0, "api_route_parse(): %d", r);
        FUZZ_CHECK(route.kind < _API_ROUTE_MAX, "kind %d", (int) route.kind);

        /* A match names exactly the path it came from: nothing before,
         * after or inside the account name was skipped or decoded. */
        if (route.kind == API_ROUTE_STATUS) {
                FUZZ_CHECK(strcmp(path, "/v1/status") == 0, "status route for another path");
                FUZZ_CHECK(strcmp(method, "GET") == 0, "status with method %s", method);
                return;
        }
        if (route.kind == API_ROUTE_METRICS) {
                FUZZ_CHECK(strcmp(path, "/v1/metrics") == 0, "metrics route for another path");
                FUZZ_CHECK(strcmp(method, "GET") == 0, "metrics with method %s", method);
                return;
        }
        FUZZ_CHECK(memchr(route.account, '\0', sizeof route.account), "account not terminated");
        FUZZ_CHECK(account_name_is_valid(route.account), "invalid account name routed");
        if (route.kind == API_ROUTE_GATEWAY) {
                /* The upstream path is the tail of the request path
                 * itself, after .../api/ or .../tenant/. */
                FUZZ_CHECK(route.rest && route.rest > path && route.rest <= path + strlen(path),
                           "gateway rest outside the path");
                FUZZ_OOM_IF(asprintf(&expect, "/v1/accounts/%s/%s/%s", route.account,
                                     route.tenant ? "tenant" : "api", route.rest) < 0);
                FUZZ_CHECK(strcmp(expect, path) == 0, "gateway route does not spell the path");
                free(expect);
                FUZZ_CHECK(strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
                           strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                           strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0,
                           "gateway with method %s", method);
                return;
        }
        FUZZ_OOM_IF(asprintf(&expect, "/v1/accounts/%s/%s", route.account, suffix[route.kind]) < 0);
        FUZZ_CHECK(strcmp(expect, path) == 0, "route does not spell the path");
        free(expect);
        FUZZ_CHECK(strcmp(method, route.kind == API_ROUTE_LOGIN_START || route.kind == API_ROUTE_LOGOUT ?
                                  "POST" : "GET") == 0, "route kind %d with method %s", (int) route.kind, method);
}

static void check_seconds(const char *s, unsigned max) {
        unsigned long long ref = 0;
        unsigned v = UINT_MAX;
        bool digits = *s != '\0';
        int r;

        for (const char *p = s; *p; p++)
                if (*p < '0' || *p > '9')
                        digits = false;
        if (digits && strlen(s) <= 10)
                ref = strtoull(s, NULL, 10);

        r = parse_seconds(s, max, &v);
        if (!digits || strlen(s) > 10) {
                /* Which of the two is not specified (both answer 400):
                 * a prefix already over max may stop the scan first. */
                FUZZ_CHECK(r == -EINVAL || r == -ERANGE, "\"%s\" accepted (%d)", s, r);
        } else if (ref > max) {
                FUZZ_CHECK(r == -ERANGE, "\"%s\" > %u accepted (%d, %u)", s, max, r, v);
        } else {
                FUZZ_CHECK(r == 0 && v == ref, "\"%s\" <= %u: %d, %u", s, max, r, v);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_text(data, size), *method = text, *path, *query = NULL, *max_text = NULL;

        path = strchr(method, '\n');
        if (!path) {
                free(text);
                return 0;
        }
        *path++ = '\0';
        query = strchr(path, '\n');
        if (query) {
                *query++ = '\0';
                max_text = strchr(query, '\n');
                if (max_text)
                        *max_text++ = '\0';
        }

        check_route(method, path);

        if (query) {
                /* The limits the daemon uses (login wait, token
                 * min_valid), the largest possible, and one from the
                 * input. parse_seconds() assumes max >= 9
                 * (fuzz-findings: api-parse-seconds-small-max). */
                check_seconds(query, LOGIN_WAIT_MAX_SEC);
                check_seconds(query, 24U * 3600U);
                check_seconds(query, UINT_MAX);
                if (max_text)
                        check_seconds(query, 9U + (unsigned) (strtoul(max_text, NULL, 10) % (UINT_MAX - 8U)));
        }

        free(text);
        return 0;
}
