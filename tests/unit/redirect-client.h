/* SPDX-License-Identifier: MIT */
#pragma once

/* The "browser" of the redirect listener tests: libcurl's easy interface
 * on a separate thread, so the sd-event loop thread is free to run while
 * the listener holds a request. */

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#define STATE "Zm9vYmFyLXN0YXRlLXZhbHVlLWZvci10ZXN0cy0xMjM"
#define ISSUER "https://idp.example"

typedef struct buffer {
        char *data;
        size_t len;
} buffer;

typedef struct job {
        char url[8192];
        const char *method;             /* NULL: GET */
        const char *host_header;        /* NULL: curl's own */
        pthread_t thread;
        atomic_bool done;
        CURLcode result;
        long status;
        buffer headers, body;
} job;

/* Initialises libsodium and libcurl and returns a new loop ($TEST_DEBUG:
 * debug logging); exits on failure. redirect_test_done() undoes it. */
sd_event *redirect_test_init(void);
void redirect_test_done(sd_event *e);

/* Starts the request on its thread; job_finish() joins it and frees the
 * answer. */
void job_start(job *j, uint16_t port, const char *path);
void job_finish(job *j);
/* Runs the loop until *flag or timeout_ms, or for ms. */
void run_until(sd_event *e, atomic_bool *flag, unsigned timeout_ms);
void run_for(sd_event *e, unsigned ms);
/* Runs the loop until the request is answered, then joins the client. */
void job_run(sd_event *e, job *j, uint16_t port, const char *path);
void job_clear(job *j);
bool has_header(const job *j, const char *line);
/* Every page of the listener carries these. */
void check_security_headers(const job *j);
