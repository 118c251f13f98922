/* SPDX-License-Identifier: MIT */
#pragma once

/* The client side of the http-fetch tests: one sd-event loop, the
 * loopback server of fetch-server.h on it, a curl_glue, and a callback
 * that records what a fetch returned. */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "fetch-server.h"
#include "glue/curl-glue.h"
#include "idp/http-fetch.h"

extern sd_event *event;
extern server srv;
extern curl_glue *glue;

typedef struct result {
        bool done;
        int error;
        long status;
        char *body;             /* copied, for checks */
        size_t body_size;
        bool has_retry_after;
        uint64_t retry_after;
        char content_type[128];
        bool free_in_callback;
        http_fetch **fetch;     /* freed by the callback when free_in_callback */
        http_fetch **victim;    /* another fetch the callback frees */
        unsigned *counter;
} result;

/* Sets up the loop, the server and the glue; the test talks to its own
 * loopback server only, never through a proxy. */
void fetch_test_init(void);
/* Frees the glue, lets the server see its connections close, stops it. */
void fetch_test_done(void);

/* An http_fetch_callback_t: userdata is a result. */
void on_fetched(http_fetch *f, int error, const char *message,
                const http_response *resp, void *userdata);
void result_done(result *r);
uint64_t now_usec(void);
/* Runs the loop until *flag or the deadline; true when *flag became set. */
bool run_until(const bool *flag, uint64_t max_usec);
void run_for(uint64_t usec);
/* The server's URL for path, in one of 8 rotating static buffers. */
char *url(const char *path);
/* Starts the request and runs the loop until its callback ran. */
void fetch_sync(const http_request *req, result *r);
