/* SPDX-License-Identifier: MIT */
/* A real redirect listener's end of life: freed with a request held, from
 * its own callback or right after answering, and after the login timed out
 * (expired), with and without a request held. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redirect-client.h"
#include "redirect-owner.h"
#include "tests.h"
#include "util/secret.h"

static void test_free_with_suspended_request(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting);
        run_for(e, 100);
        CHECK(!atomic_load(&j.done));   /* held */

        /* The owner gives up (login timeout): the held request is dropped. */
        o.listener = redirect_listener_free(o.listener);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        job_finish(&j);
        CHECK(j.result != CURLE_OK || j.status == 0);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_free_from_handler(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_FREE_NOW, LANDING_GENERIC);

        job_run(e, &j, port, "/callback?code=abc&state=" STATE);
        CHECK(o.calls == 1);
        CHECK(o.listener == NULL);
        /* The browser still gets a page, not a dropped connection. */
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 500);
        job_clear(&j);

        run_for(e, 50);         /* lets the deferred teardown run */
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

static void test_free_right_after_respond(sd_event *e) {
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting);

        /* Resumed but not yet run by MHD when the daemon stops. */
        CHECK(redirect_listener_respond_page(o.listener, LANDING_SUCCESS, NULL) == 0);
        o.listener = redirect_listener_free(o.listener);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        job_finish(&j);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

/* After the login's timeout: the genuine link gets "expired" (never its
 * code to the owner), everything else what it got before. */
static void test_expired(sd_event *e) {
        static const char *const right_state[] = {
                "/callback?code=late-code-value&state=" STATE,
                "/callback?code=late-code-value&state=" STATE "&iss=https%3A%2F%2Fidp.example",
                "/callback?code=late-code-value&state=" STATE,             /* reloaded */
                "/callback?error=access_denied&state=" STATE,
                "/callback?state=" STATE,                                  /* neither code nor error */
                "/callback?code=a&state=" STATE "&iss=https%3A%2F%2Fevil.example",
        };
        static const char *const wrong_state[] = {
                "/callback?code=late-code-value&state=wrong",
                "/callback?code=late-code-value",
                "/callback?code=late-code-value&state=" STATE "&state=" STATE,
        };
        owner o = { .event = e };
        job j = {};
        uint16_t port;

        CHECK(redirect_listener_expire(NULL) == -EINVAL);
        if (new_listener(&o, ISSUER) < 0)
                return;
        port = redirect_listener_port(o.listener);
        CHECK(redirect_listener_set_account(o.listener, "default") == 0);
        CHECK(redirect_listener_expire(o.listener) == 0);
        CHECK(redirect_listener_expire(o.listener) == 0);      /* idempotent */
        /* Nothing is held, so there is nothing to answer. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        for (size_t i = 0; i < ELEMENTSOF(right_state); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, right_state[i]);
                if (j.status != 410)
                        fprintf(stderr, "  right state, case %zu: status %ld\n", i, j.status);
                CHECK(j.result == CURLE_OK);
                CHECK(j.status == 410);
                CHECK(o.calls == 1 && o.outcome == REDIRECT_EXPIRED && !o.awaiting);
                CHECK(!o.code && !o.error);
                CHECK(!atomic_load(&o.responded));
                check_security_headers(&j);
                CHECK(j.body.data && strstr(j.body.data, "<h1>Accesso scaduto</h1>") &&
                      strstr(j.body.data, "Login expired"));
                CHECK(j.body.data && strstr(j.body.data, "<code>tessera login default</code>"));
                CHECK(j.body.data && !strstr(j.body.data, "late-code-value") && !strstr(j.body.data, STATE));
                job_clear(&j);
        }

        for (size_t i = 0; i < ELEMENTSOF(wrong_state); i++) {
                owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
                job_run(e, &j, port, wrong_state[i]);
                if (j.status != 400)
                        fprintf(stderr, "  wrong state, case %zu: status %ld\n", i, j.status);
                CHECK(j.status == 400);
                CHECK(o.calls == 1 && !o.awaiting && !o.code);
                CHECK(o.outcome == (i < 2 ? REDIRECT_BAD_STATE : REDIRECT_MALFORMED));
                CHECK(j.body.data && strstr(j.body.data, "Invalid link"));
                job_clear(&j);
        }

        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j, port, "/favicon.ico");
        CHECK(j.status == 404);
        job_clear(&j);
        j.host_header = "Host: localhost";
        job_run(e, &j, port, "/callback?code=a&state=" STATE);
        CHECK(j.status == 404);
        job_clear(&j);
        CHECK(o.calls == 0);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

/* The timeout strikes while an accepted callback is held for its exchange. */
static void test_expire_held_request(sd_event *e) {
        owner o = { .event = e };
        job j = {}, j2 = {};
        uint16_t port;

        if (new_listener(&o, NULL) < 0)
                return;
        port = redirect_listener_port(o.listener);
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);

        job_start(&j, port, "/callback?code=abc&state=" STATE);
        run_until(e, &o.called, 15000);
        CHECK(o.calls == 1 && o.awaiting && o.outcome == REDIRECT_CODE);
        run_for(e, 100);
        CHECK(!atomic_load(&j.done));   /* held */

        CHECK(redirect_listener_expire(o.listener) == 0);
        run_until(e, &j.done, 15000);
        CHECK(atomic_load(&j.done));
        (void) pthread_join(j.thread, NULL);
        CHECK(j.result == CURLE_OK);
        CHECK(j.status == 410);
        CHECK(j.body.data && strstr(j.body.data, "Login expired"));
        job_clear(&j);
        /* Answered once; the owner has nothing left to respond to. */
        CHECK(redirect_listener_respond(o.listener, "<p>x</p>", 200) == -ENOTCONN);

        /* The same link again: "expired", not "already handled". */
        owner_reset(&o, ACT_RESPOND_NOW, LANDING_SUCCESS);
        job_run(e, &j2, port, "/callback?code=abc&state=" STATE);
        CHECK(j2.status == 410);
        CHECK(o.calls == 1 && o.outcome == REDIRECT_EXPIRED && !o.awaiting && !o.code);
        job_clear(&j2);
        job_run(e, &j2, port, "/callback?code=abc&state=nope");
        CHECK(j2.status == 400);
        job_clear(&j2);

        o.listener = redirect_listener_free(o.listener);
        CHECK(port_refuses(port));
        owner_reset(&o, ACT_NONE, LANDING_GENERIC);
}

int main(void) {
        sd_event *e = redirect_test_init();

        test_free_with_suspended_request(e);
        test_free_from_handler(e);
        test_free_right_after_respond(e);
        test_expired(e);
        test_expire_held_request(e);

        redirect_test_done(e);

        printf("test-redirect-lifetime: all checks passed\n");
        return 0;
}
