/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "api/api-access.h"
#include "api/api-routes.h"
#include "core/manager.h"
#include "tests.h"

static void test_routes(void) {
        api_route r;

        CHECK(api_route_parse("GET", "/v1/status", &r) == 0 && r.kind == API_ROUTE_STATUS);
        CHECK(api_route_parse("POST", "/v1/status", &r) == -EOPNOTSUPP);
        CHECK(api_route_parse("GET", "/v1/status/", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/v2/status", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/v1/metrics", &r) == 0 && r.kind == API_ROUTE_METRICS);
        CHECK(api_route_parse("POST", "/v1/metrics", &r) == -EOPNOTSUPP);
        CHECK(api_route_parse("GET", "/v1/metrics/x", &r) == -ENOENT);
        /* Routes without an account are not found under one. */
        CHECK(api_route_parse("GET", "/v1/accounts/x//v1/metrics", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/v1/accounts/x/metrics", &r) == -ENOENT);

        CHECK(api_route_parse("GET", "/v1/accounts/default/token", &r) == 0);
        CHECK(r.kind == API_ROUTE_TOKEN && streq(r.account, "default"));
        CHECK(api_route_parse("POST", "/v1/accounts/default/token", &r) == -EOPNOTSUPP);
        CHECK(api_route_parse("POST", "/v1/accounts/a.b-c_9/login", &r) == 0);
        CHECK(r.kind == API_ROUTE_LOGIN_START && streq(r.account, "a.b-c_9"));
        CHECK(api_route_parse("GET", "/v1/accounts/x/login", &r) == 0 && r.kind == API_ROUTE_LOGIN_WAIT);
        CHECK(api_route_parse("DELETE", "/v1/accounts/x/login", &r) == -EOPNOTSUPP);
        CHECK(api_route_parse("POST", "/v1/accounts/x/logout", &r) == 0 && r.kind == API_ROUTE_LOGOUT);
        CHECK(api_route_parse("GET", "/v1/accounts/x/logout", &r) == -EOPNOTSUPP);
        CHECK(api_route_parse("GET", "/v1/accounts/x/other", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/v1/accounts/x", &r) == -ENOENT);
        CHECK(api_route_parse("GET", "/v1/accounts/x/token/", &r) == -ENOENT);

        /* Names: the path is matched still escaped, so tricks are 400s. */
        CHECK(api_route_parse("GET", "/v1/accounts//token", &r) == -EINVAL);
        CHECK(api_route_parse("GET", "/v1/accounts/a%2Fb/token", &r) == -EINVAL);
        CHECK(api_route_parse("GET", "/v1/accounts/a%00/token", &r) == -EINVAL);
        CHECK(api_route_parse("GET", "/v1/accounts/a b/token", &r) == -EINVAL);
        CHECK(api_route_parse("GET", "/v1/accounts/\xc3\xa8/token", &r) == -EINVAL);
        CHECK(api_route_parse("GET",
                              "/v1/accounts/0123456789012345678901234567890123456789012345678901234567890123/token",
                              &r) == 0);
        CHECK(api_route_parse("GET",
                              "/v1/accounts/01234567890123456789012345678901234567890123456789012345678901234/token",
                              &r) == -EINVAL);
        /* ".." is a valid name by the pattern; no account can have it. */
        CHECK(api_route_parse("GET", "/v1/accounts/../token", &r) == 0 && streq(r.account, ".."));
}

static void test_policy(void) {
        uid_t uids[] = { 1000 };
        gid_t gids[] = { 2000 };
        uid_t readers[] = { 1004 };
        conf c = { .admins = { .uids = uids, .n_uids = 1 }, .metrics_users = { .uids = readers, .n_uids = 1 } };
        manager m = { .conf = &c };
        conf_account ca = { .name = (char *) "x", .users = { .gids = gids, .n_gids = 1 } };
        gid_t member[] = { 5, 2000 };
        peer root = { .uid = 0, .gid = 0 };
        peer admin = { .uid = 1000, .gid = 1000 };
        peer in_group = { .uid = 1001, .gid = 1001, .groups = member, .n_groups = 2 };
        peer primary = { .uid = 1002, .gid = 2000 };
        peer stranger = { .uid = 1003, .gid = 1003, .groups = member, .n_groups = 1 };
        peer reader = { .uid = 1004, .gid = 1004 };

        CHECK(api_may_use_account(&m, &ca, &root));
        CHECK(api_may_administer(&m, &root));
        CHECK(api_may_administer(&m, &admin));
        CHECK(!api_may_use_account(&m, &ca, &admin));
        CHECK(api_may_use_account(&m, &ca, &in_group));
        CHECK(!api_may_administer(&m, &in_group));
        CHECK(api_may_use_account(&m, &ca, &primary));
        CHECK(!api_may_use_account(&m, &ca, &stranger));
        CHECK(!api_may_administer(&m, &stranger));

        /* The metrics: admins (root among them) and metrics_users=. */
        CHECK(api_may_read_metrics(&m, &root));
        CHECK(api_may_read_metrics(&m, &admin));
        CHECK(api_may_read_metrics(&m, &reader));
        CHECK(!api_may_administer(&m, &reader));
        CHECK(!api_may_read_metrics(&m, &in_group));
        CHECK(!api_may_read_metrics(&m, &stranger));
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_routes();
        test_policy();
        return 0;
}
