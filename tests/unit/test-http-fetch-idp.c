/* SPDX-License-Identifier: MIT */
/* The discovery cache and the OAuth operations over http-fetch, against
 * the identity provider endpoints of fetch-server.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch-client.h"
#include "idp/discovery.h"
#include "idp/oauth.h"
#include "tests.h"
#include "util/secret.h"

typedef struct waited {
        bool done;
        int error;
        oidc_endpoints *e;
        discovery_waiter **self;
} waited;

static void on_discovered(discovery_waiter *w, int error, const char *message,
                          oidc_endpoints *endpoints, void *userdata) {
        waited *x = userdata;

        CHECK(!x->done);
        x->done = true;
        x->error = error;
        x->e = endpoints;
        CHECK(error < 0 ? (message && !endpoints) : !!endpoints);
        if (x->self)
                *x->self = discovery_waiter_free(*x->self);
}

static void test_discovery_cache(void) {
        char issuer[128], bad_issuer[128];
        conf_account a = { .issuer = issuer }, b = { .issuer = issuer };
        conf_account down = { .issuer = bad_issuer };
        discovery_cache *c = NULL;
        discovery_waiter *wa = NULL, *wb = NULL, *wc = NULL, *wd = NULL;
        oidc_endpoints *e = NULL;
        waited xa = {}, xb = {}, xc = {}, xd = {};
        unsigned before = srv.n_discovery;

        snprintf(issuer, sizeof issuer, "http://127.0.0.1:%u/idp", srv.port);
        snprintf(bad_issuer, sizeof bad_issuer, "http://127.0.0.1:%u/down/", srv.port);
        b.token_endpoint = (char *) "http://127.0.0.1:1/override";

        CHECK_R(discovery_cache_new(glue, &c), 0);

        /* Two accounts, one issuer: one fetch, two answers. */
        xa.self = &wa;
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xa, &e, &wa), 0);
        CHECK_R(discovery_cache_get(c, &b, on_discovered, &xb, &e, &wb), 0);
        /* A third waiter that gives up before the answer. */
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 0);
        wc = discovery_waiter_free(wc);
        CHECK(!e);
        CHECK(run_until(&xa.done, 10 * USEC_PER_SEC));
        CHECK(run_until(&xb.done, 10 * USEC_PER_SEC));
        CHECK(!xc.done);
        CHECK(srv.n_discovery - before == 1);
        CHECK(!wa);
        CHECK(xa.error == 0 && xb.error == 0);
        if (xa.e && xb.e) {
                char expected[160];

                snprintf(expected, sizeof expected, "http://127.0.0.1:%u/idp/token", srv.port);
                CHECK(streq(xa.e->token_endpoint, expected));
                CHECK(streq(xb.e->token_endpoint, "http://127.0.0.1:1/override"));
                CHECK(streq(xa.e->issuer, issuer));
                CHECK(xa.e->pkce_s256);
        }
        wb = discovery_waiter_free(wb);
        oidc_endpoints_free(xb.e);

        /* Now cached: answered at once, no callback, no request. */
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 1);
        CHECK(e && !wc && !xc.done);
        CHECK(srv.n_discovery - before == 1);
        e = oidc_endpoints_free(e);

        /* Failures are reported to every waiter and not cached. */
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        CHECK(run_until(&xd.done, 10 * USEC_PER_SEC));
        CHECK_R(xd.error, -EIO);
        wd = discovery_waiter_free(wd);
        xd = (waited) {};
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        CHECK(run_until(&xd.done, 10 * USEC_PER_SEC));
        CHECK(srv.n_discovery - before == 3);
        wd = discovery_waiter_free(wd);

        /* After invalidation (a reload) the next request fetches again. */
        discovery_cache_invalidate_all(c);
        xc = (waited) {};
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 0);
        CHECK(run_until(&xc.done, 10 * USEC_PER_SEC));
        CHECK(srv.n_discovery - before == 4);
        wc = discovery_waiter_free(wc);
        oidc_endpoints_free(xc.e);

        /* Freeing the cache with a fetch in flight. */
        xd = (waited) {};
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        c = discovery_cache_free(c);
        wd = discovery_waiter_free(wd);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!xd.done);

        /* Keep xa.e for the OAuth tests. */
        oidc_endpoints_free(xa.e);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

typedef struct op_result {
        bool done;
        int error;
        char code[64];
        long status;
        oauth_token *token;
        oauth_device_auth *device;
        oauth_userinfo *userinfo;
} op_result;

static void op_record_error(op_result *x, const oauth_error *error) {
        CHECK(!x->done);
        x->done = true;
        x->error = error ? error->error : 0;
        if (error) {
                CHECK(error->error < 0 && error->description);
                snprintf(x->code, sizeof x->code, "%s", strempty(error->code));
                x->status = error->http_status;
        }
}

static void on_token(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        op_record_error(userdata, error);
        CHECK(!error == !!token);
        ((op_result *) userdata)->token = token;
}

static void on_device(oauth_op *op, const oauth_error *error, oauth_device_auth *d, void *userdata) {
        op_record_error(userdata, error);
        ((op_result *) userdata)->device = d;
}

static void on_userinfo(oauth_op *op, const oauth_error *error, oauth_userinfo *u, void *userdata) {
        op_record_error(userdata, error);
        ((op_result *) userdata)->userinfo = u;
}

static void on_revoked(oauth_op *op, const oauth_error *error, void *userdata) {
        op_record_error(userdata, error);
}

static void test_oauth_ops(void) {
        char issuer[128], token_url[160], device_url[160], revoke_url[160], userinfo_url[160];
        char secret[] = "s e:c%ret";
        conf_account a = {
                .issuer = issuer,
                .client_id = (char *) "tessera app",
                .client_secret = secret,
                .client_auth = CLIENT_AUTH_BASIC,
                .scope = (char *) "openid offline_access",
        };
        oidc_endpoints e = {
                .issuer = issuer,
                .token_endpoint = token_url,
                .device_authorization_endpoint = device_url,
                .revocation_endpoint = revoke_url,
        };
        _cleanup_(secret_freep) char *basic = NULL;
        char expected_auth[256];
        oauth_op *op = NULL;
        op_result x = {};

        snprintf(issuer, sizeof issuer, "http://127.0.0.1:%u/idp", srv.port);
        snprintf(token_url, sizeof token_url, "http://127.0.0.1:%u/idp/token", srv.port);
        snprintf(device_url, sizeof device_url, "http://127.0.0.1:%u/idp/device", srv.port);
        snprintf(revoke_url, sizeof revoke_url, "http://127.0.0.1:%u/idp/revoke", srv.port);
        snprintf(userinfo_url, sizeof userinfo_url, "http://127.0.0.1:%u/api/userinfo", srv.port);
        CHECK_R(oauth_basic_credentials(a.client_id, a.client_secret, &basic), 0);
        snprintf(expected_auth, sizeof expected_auth, "\r\nAuthorization: Basic %s\r\n", basic);

        /* Code exchange with client_secret_basic. */
        CHECK_R(oauth_exchange_code(glue, &a, &e, "c/ode", "http://127.0.0.1:5555/callback", "verifier~1",
                                      on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, 0);
        CHECK(x.token && streq(x.token->access_token, "AT-new") && streq(x.token->refresh_token, "RT-new"));
        CHECK(x.token && x.token->expires_in == 60 && streq(x.token->scope, "openid"));
        CHECK(strstr(srv.last_head, expected_auth));
        CHECK(streq(srv.last_body, "grant_type=authorization_code&code=c%2Fode"
                                   "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback&code_verifier=verifier~1"));
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Refresh with client_secret_post; a rejected refresh token. */
        a.client_auth = CLIENT_AUTH_POST;
        CHECK_R(oauth_refresh(glue, &a, &e, "RT-bad", "openid", on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, -EACCES);
        CHECK(streq(x.code, "invalid_grant") && x.status == 400 && !x.token);
        CHECK(streq(srv.last_body, "grant_type=refresh_token&refresh_token=RT-bad"
                                   "&client_id=tessera+app&client_secret=s+e%3Ac%25ret"));
        CHECK(!strstr(srv.last_head, "Authorization:"));
        x = (op_result) {};

        CHECK_R(oauth_refresh(glue, &a, &e, "RT-good", NULL, on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.token);
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Device authorization and one poll. */
        a.client_auth = CLIENT_AUTH_BASIC;
        CHECK_R(oauth_device_authorize(glue, &a, &e, on_device, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.device && streq(x.device->user_code, "ABCD-EFGH") && x.device->interval == 5);
        CHECK(streq(srv.last_body, "client_id=tessera+app&scope=openid+offline_access"));
        CHECK(strstr(srv.last_head, expected_auth));
        x.device = oauth_device_auth_free(x.device);
        x = (op_result) {};

        CHECK_R(oauth_device_poll(glue, &a, &e, "DC", on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.token);
        CHECK(streq(srv.last_body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC"));
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Revocation. */
        CHECK_R(oauth_revoke(glue, &a, &e, "RT-new", "refresh_token", on_revoked, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, 0);
        CHECK(streq(srv.last_body, "token=RT-new&token_type_hint=refresh_token"));
        x = (op_result) {};

        /* Userinfo with the right and a wrong bearer token. */
        CHECK_R(oauth_fetch_userinfo(glue, userinfo_url, "AT-new", on_userinfo, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.userinfo && x.userinfo->n_tenants == 1 && streq(x.userinfo->tenants[0].id, "t1"));
        x.userinfo = oauth_userinfo_free(x.userinfo);
        x = (op_result) {};

        CHECK_R(oauth_fetch_userinfo(glue, userinfo_url, "AT-old", on_userinfo, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == -EACCES && x.status == 401 && !x.userinfo);
        x = (op_result) {};

        /* Missing endpoints, and cancelling an operation in flight. */
        e.device_authorization_endpoint = NULL;
        e.revocation_endpoint = NULL;
        CHECK_R(oauth_device_authorize(glue, &a, &e, on_device, &x, &op), -EOPNOTSUPP);
        CHECK_R(oauth_revoke(glue, &a, &e, "t", NULL, on_revoked, &x, &op), -EOPNOTSUPP);
        CHECK_R(oauth_exchange_code(glue, &a, &e, "c", "http://127.0.0.1/cb", "v", on_token, &x, &op), 0);
        op = oauth_op_free(op);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!x.done);

        /* A transport failure reaches the callback as an oauth_error. */
        e.token_endpoint = (char *) "http://127.0.0.1:1/token";
        CHECK_R(oauth_refresh(glue, &a, &e, "RT", NULL, on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == -ECONNREFUSED && x.status == 0 && !x.token);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

int main(void) {
        fetch_test_init();

        test_discovery_cache();
        test_oauth_ops();

        fetch_test_done();
        printf("test-http-fetch-idp: all checks passed\n");
        return 0;
}
