/* SPDX-License-Identifier: MIT */

/* libtessera against the fake tesserad (fake-daemon.h): tokens, the
 * daemon's errors and their codes, plain requests, finding the socket. */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-daemon.h"

static void test_token(void) {
        tessera_client *c = new_client();
        tessera_token *t = NULL;

        CHECK_EQ(tessera_get_token(c, NULL, 0, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-abc123") == 0);
                CHECK_EQ(tessera_token_expires_at(t), 1700000000);
                CHECK(strcmp(tessera_token_tenant(t), "12345") == 0);
                CHECK(strcmp(tessera_token_type(t), "Bearer") == 0);
                CHECK(strcmp(tessera_token_scope(t), "openid giponext.agenda") == 0);
        }
        t = tessera_token_free(t);
        CHECK(t == NULL);

        CHECK_EQ(tessera_get_token(c, "default", 60, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-mv60") == 0);
                CHECK(strcmp(tessera_token_tenant(t), "t-1") == 0);
                CHECK(strcmp(tessera_token_type(t), "Bearer") == 0);
                CHECK(tessera_token_scope(t) == NULL);
        }
        t = tessera_token_free(t);

        CHECK_EQ(tessera_get_token(c, "chunked", 0, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-ch") == 0);
                CHECK_EQ(tessera_token_expires_at(t), 42);
                CHECK(strcmp(tessera_token_tenant(t), "t-9") == 0);
        }
        tessera_token_free(t);

        /* NULL-safe accessors and destructors. */
        CHECK(tessera_token_value(NULL) == NULL);
        CHECK(tessera_token_free(NULL) == NULL);
        CHECK(tessera_client_free(NULL) == NULL);
        CHECK(tessera_free(NULL) == NULL);
        tessera_client_free(c);
}

static void test_errors(void) {
        tessera_client *c = new_client();

        CHECK_EQ(token_err(c, "nologin"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(token_err(c, "forbid"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(token_err(c, "tenant"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(token_err(c, "missing"), TESSERA_E_NO_ACCOUNT);
        CHECK_EQ(token_err(c, "idp"), TESSERA_E_IDP_UNAVAILABLE);
        CHECK_EQ(token_err(c, "busy"), TESSERA_E_BUSY);
        CHECK_EQ(token_err(c, "bad"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(c, "oops"), TESSERA_E_FAILED);
        CHECK_EQ(token_err(c, "plain401"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(token_err(c, "garbage"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "notoken"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "noexpiry"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "spacetoken"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "badhttp"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "huge"), TESSERA_E_PROTOCOL);
        /* Fresh connection closed without an answer: no retry, no hang. */
        CHECK_EQ(token_err(c, "dropall"), TESSERA_E_UNAVAILABLE);

        /* Client-side validation: no request is sent. */
        int before = atomic_load(&n_accepted);
        tessera_client *fresh = new_client();
        CHECK_EQ(token_err(fresh, ""), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "a/b"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "../x"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "a b"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "x?y"), TESSERA_E_INVALID);
        char longname[66];
        memset(longname, 'a', 65);
        longname[65] = 0;
        CHECK_EQ(token_err(fresh, longname), TESSERA_E_INVALID);
        longname[64] = 0;
        CHECK(tessera_account_name_is_valid(longname));
        CHECK(tessera_account_name_is_valid("A-z_0.9"));
        CHECK(!tessera_account_name_is_valid(NULL));
        CHECK(!tessera_account_name_is_valid("é"));
        int st = 0;
        char *body = NULL;
        CHECK_EQ(tessera_request(fresh, "get", "/v1/status", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "v1/status", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/v1/a b", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/v1/a\r\nX: y", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/", NULL, 0, NULL, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(NULL, "GET", "/", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_client_set_timeout(fresh, 0), TESSERA_E_INVALID);
        CHECK_EQ(tessera_get_token(NULL, NULL, 0, &(tessera_token *) { NULL }), TESSERA_E_INVALID);
        CHECK_EQ(atomic_load(&n_accepted), before);
        tessera_client_free(fresh);

        tessera_client_free(c);
}

static void test_request(void) {
        tessera_client *c = new_client();
        char *body = NULL;
        int st = 0;

        CHECK_EQ(tessera_request(c, "GET", "/echo/x?y=1", NULL, 0, &st, &body), 0);
        CHECK_EQ(st, 200);
        CHECK(body && strcmp(body, "/echo/x?y=1") == 0);
        body = tessera_free(body);

        CHECK_EQ(tessera_request(c, "POST", "/echo", "{\"flow\":\"device\"}", 0, &st, &body), 0);
        CHECK_EQ(st, 200);
        CHECK(body && strcmp(body, "{\"flow\":\"device\"}") == 0);
        body = tessera_free(body);

        /* Any complete answer is a success of tessera_request itself. */
        CHECK_EQ(tessera_request(c, "GET", "/teapot", NULL, 0, &st, &body), 0);
        CHECK_EQ(st, 418);
        body = tessera_free(body);
        CHECK_EQ(tessera_request(c, "GET", "/teapot", NULL, 0, &st, NULL), 0);

        /* A body with a NUL cannot be handed out as a C string. */
        CHECK_EQ(tessera_request(c, "GET", "/nul", NULL, 0, &st, &body), TESSERA_E_PROTOCOL);
        CHECK(body == NULL);

        tessera_client_free(c);
}

static void test_unavailable(void) {
        tessera_client *c = NULL;
        char path[PATH_MAX + 200];

        snprintf(path, sizeof(path), "%s/nothing-here.sock", tmpdir);
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), path) == 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_UNAVAILABLE);
        c = tessera_client_free(c);

        /* A socket file nobody listens on: ECONNREFUSED. */
        snprintf(path, sizeof(path), "%s/dead.sock", tmpdir);
        int fd = bind_unix(path, false);
        close(fd);
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_UNAVAILABLE);
        unlink(path);
        c = tessera_client_free(c);

        /* A path that does not fit sun_path. */
        memset(path, 'x', 200);
        path[0] = '/';
        path[200] = 0;
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_INVALID);
        c = tessera_client_free(c);

        /* $TESSERA_SOCKET, then the default. */
        setenv("TESSERA_SOCKET", sock_path, 1);
        CHECK_EQ(tessera_client_new(NULL, &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), sock_path) == 0);
        CHECK_EQ(token_err(c, NULL), 0);
        c = tessera_client_free(c);
        unsetenv("TESSERA_SOCKET");
        CHECK_EQ(tessera_client_new("", &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), TESSERA_DEFAULT_SOCKET) == 0);
        tessera_client_free(c);
}

static void test_strerror_and_mapping(void) {
        int codes[] = { TESSERA_E_INVALID, TESSERA_E_LOGIN_REQUIRED, TESSERA_E_FORBIDDEN, TESSERA_E_NO_ACCOUNT,
                        TESSERA_E_UNAVAILABLE, TESSERA_E_IDP_UNAVAILABLE, TESSERA_E_TIMEOUT, TESSERA_E_PROTOCOL,
                        TESSERA_E_NOMEM, TESSERA_E_BUSY, TESSERA_E_FAILED, TESSERA_E_TOO_LARGE };

        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                CHECK(codes[i] < 0);
                CHECK(strcmp(tessera_strerror(codes[i]), tessera_strerror(-12345)) != 0);
                for (size_t j = 0; j < i; j++)
                        CHECK(codes[i] != codes[j]);
        }

        CHECK_EQ(tessera_error_from_http(200, NULL), 0);
        CHECK_EQ(tessera_error_from_http(202, "ignored"), 0);
        CHECK_EQ(tessera_error_from_http(401, "login_required"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(tessera_error_from_http(403, "forbidden"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(tessera_error_from_http(403, "tenant_not_allowed"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(tessera_error_from_http(404, "no_such_account"), TESSERA_E_NO_ACCOUNT);
        CHECK_EQ(tessera_error_from_http(503, "idp_unavailable"), TESSERA_E_IDP_UNAVAILABLE);
        CHECK_EQ(tessera_error_from_http(409, "login_in_progress"), TESSERA_E_BUSY);
        CHECK_EQ(tessera_error_from_http(400, "bad_request"), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(413, "payload_too_large"), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(413, NULL), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(401, NULL), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(tessera_error_from_http(500, NULL), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(302, NULL), TESSERA_E_PROTOCOL);
        /* The gateway's codes: a busy gateway is not an IdP outage. */
        CHECK_EQ(tessera_error_from_http(503, "api_busy"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(502, "api_unavailable"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(429, "rate_limited"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(504, "api_timeout"), TESSERA_E_TIMEOUT);
        CHECK_EQ(tessera_error_from_http(503, NULL), TESSERA_E_IDP_UNAVAILABLE);
}
int main(void) {
        start_server();

        test_token();
        test_errors();
        test_request();
        test_unavailable();
        test_strerror_and_mapping();

        return stop_server("test-libtessera");
}
