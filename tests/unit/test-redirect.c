/* SPDX-License-Identifier: MIT */
/* Drives a real redirect listener on a real sd-event loop, the "browser"
 * on a thread of its own (redirect-client.c): bad arguments, the code
 * flow, bad state and issuer, the identity provider's error, and what is
 * not the callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redirect-client.h"
#include "redirect-owner.h"
#include "tests.h"
#include "util/secret.h"

static void test_bad_arguments(sd_event *e) {
        redirect_listener *l = NULL;
        char long_state[REDIRECT_STATE_MAX + 2];

        CHECK(redirect_listener_new(NULL, STATE, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, NULL, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, "", NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, STATE, "", on_redirect, NULL, &l) == -EINVAL);
        CHECK(redirect_listener_new(e, STATE, NULL, NULL, NULL, &l) == -EINVAL);
        memset(long_state, 's', sizeof long_state - 1);
        long_state[sizeof long_state - 1] = '\0';
        CHECK(redirect_listener_new(e, long_state, NULL, on_redirect, NULL, &l) == -EINVAL);
        CHECK(l == NULL);
        CHECK(redirect_listener_free(NULL) == NULL);
        CHECK(redirect_listener_port(NULL) == 0);
        CHECK(redirect_listener_respond(NULL, "x", 200) == -EINVAL);
        CHECK(strcmp(redirect_outcome_to_string(REDIRECT_BAD_ISSUER), "bad-issuer") == 0);
        CHECK(strcmp(redirect_outcome_to_string(REDIRECT_EXPIRED), "expired") == 0);
        CHECK(redirect_outcome_to_string(_REDIRECT_OUTCOME_MAX) == NULL);
}

static void test_code_flow(sd_event *e) {
        owner o = { .event = e };
        job j = {}, j2 = {};
        _cleanup_(freep) char *uri = NULL;
        char expected_uri[64];
        uint16_t port;

        if (new_listener(&o, ISSUER) < 0)
                return;
        port = redirect_listener_port(o.listener);
        check_bound_to_loopback(port);

        CHECK(redirect_listener_uri(o.listener, &uri) == 0);
        snprintf(expected_uri, sizeof expected_uri, "http://127.0.0.1:%u/callback", (unsigned) port);
        CHECK(uri && strcmp(uri, expected_uri) == 0);

        /* Nothing to answer yet. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        owner_reset(&o, ACT_RESPOND_LATER, LANDING_SUCCESS);
        o.watch = &j;
        job_run(e, &j, port,
                "/callback?code=SplxlOBeZQQYbYS6WxSbIA%2B%2F&state=" STATE
                "&iss=https%3A%2F%2Fidp.example&session_state=abc.def&scope=openid");
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 200);
        CHECK(o.calls == 1);
        CHECK(o.outcome == REDIRECT_CODE);
        CHECK(o.awaiting);
        CHECK(o.code && strcmp(o.code, "SplxlOBeZQQYbYS6WxSbIA+/") == 0);
        CHECK(!o.error);
        CHECK(atomic_load(&o.responded));
        CHECK(o.held_until_respond);
        check_security_headers(&j);
        CHECK(j.body.data && strstr(j.body.data, "Accesso completato") && strstr(j.body.data, "Login complete"));
        CHECK(j.body.data && strstr(j.body.data, "Anna &lt;Bianchi&gt;"));
        CHECK(j.body.data && !strstr(j.body.data, "SplxlOBeZQQYbYS6WxSbIA"));
        job_clear(&j);

        /* The login is over: a second callback, even a valid one, is not
         * delivered. */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j2, port, "/callback?code=another&state=" STATE);
        CHECK(j2.result == CURLE_OK);
        CHECK(j2.status == 409);
        CHECK(o.calls == 0);
        check_security_headers(&j2);
        CHECK(j2.body.data && strstr(j2.body.data, "Login already handled"));
        job_clear(&j2);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_bad_state_does_not_end_login(sd_event *e) {
        static const char *const bad[] = {
                "/callback?code=abc&state=wrong",
                "/callback?code=abc&state=" STATE "x",
                "/callback?code=abc",
                "/callback?error=access_denied",
                "/callback?code=abc&state=" STATE "&state=" STATE,        /* duplicate */
                "/callback?code=abc&code=abc&state=" STATE,                 /* duplicate */
                "/callback?code=&state=" STATE,                             /* empty */
                "/callback?code&state=" STATE,                              /* no value */
                "/callback?code=a%20b&state=" STATE,                        /* space in code */
                "/callback?code=a%00b&state=" STATE,                        /* NUL in code */
                "/callback?code=abc&state=" STATE "&error=bad%22quote",     /* charset of error */
        };
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, bad[i]);
                if (j.status != 400 || o.calls != 1 || o.awaiting)
                        fprintf(stderr, "  case %zu\n", i);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 400);
                CHECK(o.calls == 1);
                CHECK(!o.awaiting);
                CHECK(i < 4 ? o.outcome == REDIRECT_BAD_STATE : o.outcome == REDIRECT_MALFORMED);
                CHECK(!o.code);
                check_security_headers(&j);
                CHECK(j.body.data && strstr(j.body.data, "Invalid link"));
                job_clear(&j);
        }

        /* An over-long code is refused before anything else. */
        {
                char path[REDIRECT_CODE_MAX + 200];
                int n = snprintf(path, sizeof path, "/callback?state=%s&code=", STATE);
                memset(path + n, 'c', REDIRECT_CODE_MAX + 1);
                path[n + REDIRECT_CODE_MAX + 1] = '\0';
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, path);
                CHECK(j.status == 400);
                CHECK(o.calls == 1 && o.outcome == REDIRECT_MALFORMED && !o.awaiting);
                job_clear(&j);
        }

        /* The genuine callback still gets through, answered synchronously
         * from inside the handler; iss is not checked without an issuer. */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, port, "/callback?code=good&state=" STATE "&iss=https%3A%2F%2Fanything");
        CHECK(j.status == 200);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_CODE && o.awaiting);
        CHECK(o.code && strcmp(o.code, "good") == 0);
        check_security_headers(&j);
        job_clear(&j);

        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_issuer(sd_event *e) {
        owner o = { .event = e };
        job j = {};

        /* Mismatch: the state is right, so this ends the login. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_LATER, LANDING_GENERIC);
        job_run(e, &j, redirect_listener_port(o.listener),
                "/callback?code=abc&state=" STATE "&iss=https%3A%2F%2Fevil.example");
        CHECK(o.calls == 1 && o.outcome == REDIRECT_BAD_ISSUER && o.awaiting);
        CHECK(j.status == 500);
        CHECK(j.body.data && strstr(j.body.data, "Login failed"));
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);

        /* Absent iss is accepted. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, redirect_listener_port(o.listener), "/callback?code=abc&state=" STATE);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_CODE);
        CHECK(j.status == 200);
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_idp_error(sd_event *e) {
        owner o = { .event = e };
        job j = {};

        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_LATER, LANDING_ACCESS_DENIED);
        job_run(e, &j, redirect_listener_port(o.listener),
                "/callback?error=access_denied&error_description=The%20user%20said%20no&state=" STATE
                "&iss=https%3A%2F%2Fidp.example");
        CHECK(o.calls == 1 && o.outcome == REDIRECT_ERROR && o.awaiting);
        CHECK(o.error && strcmp(o.error, "access_denied") == 0);
        CHECK(o.error_description && strcmp(o.error_description, "The user said no") == 0);
        CHECK(!o.code);
        CHECK(j.status == 403);
        CHECK(j.body.data && strstr(j.body.data, "Access denied"));
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);

        /* Both code and error, with the right state: verified but malformed. */
        if (new_listener(&o, ISSUER) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_GENERIC);
        job_run(e, &j, redirect_listener_port(o.listener), "/callback?code=a&error=b&state=" STATE);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_MALFORMED && o.awaiting);
        CHECK(j.status == 500);
        job_clear(&j);
        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_not_found(sd_event *e) {
        static const struct {
                const char *path, *method, *host;
        } cases[] = {
                { "/", NULL, NULL },
                { "/favicon.ico", NULL, NULL },
                { "/callback/", NULL, NULL },
                { "/callbackx?code=a&state=" STATE, NULL, NULL },
                { "/callback?code=a&state=" STATE, "POST", NULL },
                { "/callback?code=a&state=" STATE, "PUT", NULL },
                { "/callback?code=a&state=" STATE, "HEAD", NULL },
                { "/callback?code=a&state=" STATE, NULL, "Host: attacker.example" },
                { "/callback?code=a&state=" STATE, NULL, "Host: localhost" },
        };
        owner o = { .event = e };
        job j = {};

        if (new_listener(&o, NULL) < 0)
                return;
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                j.method = cases[i].method;
                j.host_header = cases[i].host;
                job_run(e, &j, redirect_listener_port(o.listener), cases[i].path);
                if (j.status != 404)
                        fprintf(stderr, "  case %zu: status %ld\n", i, j.status);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 404);
                check_security_headers(&j);
                if (!cases[i].method || strcmp(cases[i].method, "HEAD") != 0)
                        CHECK(j.body.data && strstr(j.body.data, "Page not found"));
                job_clear(&j);
        }
        CHECK(o.calls == 0);

        o.listener = redirect_listener_free(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

int main(void) {
        sd_event *e = redirect_test_init();

        test_bad_arguments(e);
        test_code_flow(e);
        test_bad_state_does_not_end_login(e);
        test_issuer(e);
        test_idp_error(e);
        test_not_found(e);

        redirect_test_done(e);

        printf("test-redirect: all checks passed\n");
        return 0;
}
