/* SPDX-License-Identifier: MIT */
/* The http-fetch tests' loop, glue and result recording (fetch-client.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch-client.h"
#include "tests.h"

sd_event *event;
server srv;
curl_glue *glue;

void on_fetched(http_fetch *f, int error, const char *message,
                const http_response *resp, void *userdata) {
        result *r = userdata;

        CHECK(!r->done);
        r->done = true;
        r->error = error;
        CHECK(error == 0 ? (resp && !message) : (!resp && message && *message));
        if (resp) {
                r->status = resp->status;
                r->body = malloc(resp->body_size + 1);
                if (r->body) {
                        memcpy(r->body, resp->body, resp->body_size);
                        r->body[resp->body_size] = '\0';
                }
                r->body_size = resp->body_size;
                CHECK(resp->body[resp->body_size] == '\0');
                r->has_retry_after = resp->has_retry_after;
                r->retry_after = resp->retry_after_sec;
                snprintf(r->content_type, sizeof r->content_type, "%s", strempty(resp->content_type));
        }
        if (r->counter)
                (*r->counter)++;
        if (r->victim)
                *r->victim = http_fetch_free(*r->victim);
        if (r->free_in_callback && r->fetch)
                *r->fetch = http_fetch_free(*r->fetch);
}

void result_done(result *r) {
        free(r->body);
        *r = (result) {};
}

uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop until *flag or the deadline; true when *flag became set. */
bool run_until(const bool *flag, uint64_t max_usec) {
        uint64_t end = now_usec() + max_usec;

        while (!*flag) {
                if (now_usec() > end)
                        return false;
                if (sd_event_run(event, 50 * USEC_PER_MSEC) < 0)
                        return false;
        }
        return true;
}

void run_for(uint64_t usec) {
        bool never = false;
        (void) run_until(&never, usec);
}

char *url(const char *path) {
        static char buf[8][256];
        static unsigned i;
        char *b = buf[i++ % 8];

        snprintf(b, 256, "http://127.0.0.1:%u%s", srv.port, path);
        return b;
}

void fetch_sync(const http_request *req, result *r) {
        http_fetch *f = NULL;

        CHECK_R(http_fetch_start(glue, req, on_fetched, r, &f), 0);
        CHECK(run_until(&r->done, 20 * USEC_PER_SEC));
        http_fetch_free(f);
}

void fetch_test_init(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                exit(EXIT_FAILURE);
        }
        /* The test talks to its own loopback server only. */
        unsetenv("http_proxy");
        unsetenv("HTTP_PROXY");
        unsetenv("https_proxy");
        unsetenv("HTTPS_PROXY");
        unsetenv("all_proxy");
        unsetenv("ALL_PROXY");

        CHECK_R(sd_event_new(&event), 0);
        server_start(&srv, event);
        CHECK_R(curl_glue_new(event, &glue), 0);
}

void fetch_test_done(void) {
        glue = curl_glue_free(glue);
        /* Let the server see the cached connections close. */
        run_for(100 * USEC_PER_MSEC);
        server_stop(&srv);
        sd_event_unref(event);
}
