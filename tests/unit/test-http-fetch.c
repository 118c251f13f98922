/* SPDX-License-Identifier: MIT */
/* curl-glue and http-fetch against the small HTTP/1.1 server of
 * fetch-server.c, in the same sd-event loop: requests and their headers,
 * connection reuse, many transfers at once, cancelling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fetch-client.h"
#include "tests.h"

static void test_get(void) {
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/json/get"), .bearer_token = "tok.EN-1_~" };

        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.status == 200);
        CHECK(r.body && streq(r.body, "{\"method\":\"GET\",\"path\":\"/json/get\"}"));
        CHECK(streq(r.content_type, "application/json"));
        CHECK(!r.has_retry_after);
        CHECK(strstr(srv.last_head, "GET /json/get HTTP/1.1\r\n") == srv.last_head);
        CHECK(strstr(srv.last_head, "\r\nAuthorization: Bearer tok.EN-1_~\r\n"));
        CHECK(strstr(srv.last_head, "\r\nAccept: application/json\r\n"));
        CHECK(strstr(srv.last_head, "\r\nUser-Agent: tessera/" PACKAGE_VERSION "\r\n"));
        CHECK(!strcasestr(srv.last_head, "\r\nExpect:"));
        CHECK(srv.last_body_len == 0);
        result_done(&r);
}

static void test_post(void) {
        static const char form[] = "grant_type=authorization_code&code=a%2Fb%2Bc&code_verifier=v~v";
        result r = {};
        http_request req = {
                .method = HTTP_METHOD_POST,
                .url = url("/json/token"),
                .form_body = form,
                .basic_credentials = "bXkrYXBwJTNBMTpwJTJCc3M=",
        };

        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.status == 200);
        CHECK(r.body && strstr(r.body, "\"method\":\"POST\""));
        CHECK(strstr(srv.last_head, "POST /json/token HTTP/1.1\r\n") == srv.last_head);
        CHECK(strstr(srv.last_head, "\r\nAuthorization: Basic bXkrYXBwJTNBMTpwJTJCc3M=\r\n"));
        CHECK(strstr(srv.last_head, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
        CHECK(srv.last_body_len == strlen(form) && memcmp(srv.last_body, form, strlen(form)) == 0);
        result_done(&r);

        /* POST without a body still sends Content-Length: 0. */
        req = (http_request) { .method = HTTP_METHOD_POST, .url = url("/json/empty") };
        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(strcasestr(srv.last_head, "\r\nContent-Length: 0\r\n"));
        CHECK(!strstr(srv.last_head, "Authorization"));
        result_done(&r);
}

static void test_bad_requests(void) {
        http_fetch *f = NULL;
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = "ftp://127.0.0.1/x" };

        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.url = "file:///etc/passwd";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.url = url("/json");
        req.bearer_token = "abc\r\nX-Injected: 1";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.bearer_token = "a";
        req.basic_credentials = "b";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req = (http_request) { .method = HTTP_METHOD_GET, .url = url("/json"), .form_body = "a=b" };
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        CHECK(!f);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

static void test_reuse(void) {
        unsigned before = srv.n_accepts;
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/json/seq") };

        /* A fresh glue has an empty connection cache. */
        glue = curl_glue_free(glue);
        CHECK_R(curl_glue_new(event, &glue), 0);

        for (int i = 0; i < 5; i++) {
                fetch_sync(&req, &r);
                CHECK_R(r.error, 0);
                CHECK(r.status == 200);
                result_done(&r);
        }
        CHECK(srv.n_accepts - before == 1);
        CHECK(srv.n_requests >= 5);
}

static void test_concurrent(void) {
        enum { N = 64 };
        http_fetch *f[N] = {};
        result r[N] = {};
        unsigned done = 0;
        bool all = false;
        char paths[N][32];

        for (int i = 0; i < N; i++) {
                http_request req = { .method = i % 2 ? HTTP_METHOD_POST : HTTP_METHOD_GET };

                snprintf(paths[i], sizeof paths[i], "/json/%d", i);
                req.url = url(paths[i]);
                if (i % 2)
                        req.form_body = "a=1";
                r[i].counter = &done;
                CHECK_R(http_fetch_start(glue, &req, on_fetched, &r[i], &f[i]), 0);
        }
        CHECK(curl_glue_n_transfers(glue) == N);

        for (uint64_t end = now_usec() + 20 * USEC_PER_SEC; done < N && now_usec() < end;)
                CHECK(sd_event_run(event, 50 * USEC_PER_MSEC) >= 0);
        all = done == N;
        CHECK(all);
        for (int i = 0; i < N; i++) {
                char expected[64];

                snprintf(expected, sizeof expected, "\"path\":\"/json/%d\"", i);
                CHECK(r[i].done && r[i].error == 0 && r[i].status == 200);
                CHECK(r[i].body && strstr(r[i].body, expected));
                http_fetch_free(f[i]);
                result_done(&r[i]);
        }
        CHECK(curl_glue_n_transfers(glue) == 0);
}

static void test_cancel(void) {
        http_fetch *hang = NULL, *quick = NULL, *self = NULL;
        result rh = {}, rq = {}, rs = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/hang") };
        unsigned before = srv.n_requests;

        /* Cancel while the server holds the request. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        for (uint64_t end = now_usec() + 5 * USEC_PER_SEC; srv.n_requests == before && now_usec() < end;)
                (void) sd_event_run(event, 50 * USEC_PER_MSEC);
        CHECK(srv.n_requests == before + 1);
        hang = http_fetch_free(hang);
        CHECK(curl_glue_n_transfers(glue) == 0);
        run_for(200 * USEC_PER_MSEC);
        CHECK(!rh.done);

        /* Cancel before the loop ever ran it. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        hang = http_fetch_free(hang);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!rh.done);

        /* One completion frees another fetch in flight, and one frees
         * itself from its callback. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        rq.victim = &hang;
        req.url = url("/json/quick");
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rq, &quick), 0);
        rs.free_in_callback = true;
        rs.fetch = &self;
        req.url = url("/json/self");
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rs, &self), 0);

        CHECK(run_until(&rq.done, 10 * USEC_PER_SEC));
        CHECK(run_until(&rs.done, 10 * USEC_PER_SEC));
        CHECK(!hang);
        CHECK(!self);
        CHECK(rq.error == 0 && rs.error == 0);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!rh.done);
        quick = http_fetch_free(quick);
        CHECK(curl_glue_n_transfers(glue) == 0);
        result_done(&rh);
        result_done(&rq);
        result_done(&rs);
}

int main(void) {
        fetch_test_init();

        test_get();
        test_post();
        test_bad_requests();
        test_reuse();
        test_concurrent();
        test_cancel();

        fetch_test_done();
        printf("test-http-fetch: all checks passed\n");
        return 0;
}
