/* SPDX-License-Identifier: MIT */
/* The redirect tests' browser, curl on a thread, and their loop
 * (redirect-client.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "login/landing.h"
#include "redirect-client.h"
#include "tests.h"
#include "util/log.h"
#include "util/util.h"

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
        buffer *b = userdata;
        size_t n = size * nmemb;
        char *p;

        p = realloc(b->data, b->len + n + 1);
        if (!p)
                return 0;
        memcpy(p + b->len, ptr, n);
        b->len += n;
        p[b->len] = '\0';
        b->data = p;
        return n;
}

static void *job_thread(void *userdata) {
        job *j = userdata;
        struct curl_slist *hdrs = NULL;
        CURL *c;

        c = curl_easy_init();
        if (!c) {
                j->result = CURLE_FAILED_INIT;
                atomic_store(&j->done, true);
                return NULL;
        }
        (void) curl_easy_setopt(c, CURLOPT_URL, j->url);
        (void) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, &j->body);
        (void) curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
        (void) curl_easy_setopt(c, CURLOPT_HEADERDATA, &j->headers);
        if (j->method && strcmp(j->method, "POST") == 0)
                (void) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "code=x&state=" STATE);
        else if (j->method && strcmp(j->method, "HEAD") == 0)
                (void) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (j->method)
                (void) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
        if (j->host_header) {
                hdrs = curl_slist_append(NULL, j->host_header);
                (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        }

        j->result = curl_easy_perform(c);
        (void) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &j->status);
        curl_easy_cleanup(c);
        curl_slist_free_all(hdrs);
        atomic_store(&j->done, true);
        return NULL;
}

void job_start(job *j, uint16_t port, const char *path) {
        snprintf(j->url, sizeof j->url, "http://127.0.0.1:%u%s", (unsigned) port, path);
        atomic_store(&j->done, false);
        if (pthread_create(&j->thread, NULL, job_thread, j) != 0) {
                fprintf(stderr, "pthread_create() failed\n");
                exit(1);
        }
}

void job_finish(job *j) {
        (void) pthread_join(j->thread, NULL);
        free(j->headers.data);
        free(j->body.data);
        j->headers = j->body = (buffer) {};
}

static uint64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void run_until(sd_event *e, atomic_bool *flag, unsigned timeout_ms) {
        uint64_t deadline = now_ms() + timeout_ms;

        while (!atomic_load(flag) && now_ms() < deadline)
                (void) sd_event_run(e, 20 * USEC_PER_MSEC);
}

void run_for(sd_event *e, unsigned ms) {
        uint64_t deadline = now_ms() + ms;

        while (now_ms() < deadline)
                (void) sd_event_run(e, 10 * USEC_PER_MSEC);
}

void job_run(sd_event *e, job *j, uint16_t port, const char *path) {
        job_start(j, port, path);
        run_until(e, &j->done, 15000);
        CHECK(atomic_load(&j->done));
        (void) pthread_join(j->thread, NULL);
        j->thread = 0;
}

void job_clear(job *j) {
        free(j->headers.data);
        free(j->body.data);
        *j = (job) {};
}

bool has_header(const job *j, const char *line) {
        /* curl hands header lines over verbatim, CRLF included. */
        char needle[1024];

        snprintf(needle, sizeof needle, "\r\n%s\r\n", line);
        return j->headers.data && strcasestr(j->headers.data, needle);
}

void check_security_headers(const job *j) {
        _cleanup_(freep) char *csp = NULL;
        char line[512];

        CHECK(has_header(j, "Content-Type: text/html; charset=utf-8"));
        CHECK(has_header(j, "Cache-Control: no-store"));
        CHECK(has_header(j, "Referrer-Policy: no-referrer"));
        CHECK(has_header(j, "X-Content-Type-Options: nosniff"));
        CHECK(has_header(j, "X-Frame-Options: DENY"));
        CHECK(landing_csp(&csp) == 0);
        snprintf(line, sizeof line, "Content-Security-Policy: %s", csp ? csp : "?");
        CHECK(has_header(j, line));
}

sd_event *redirect_test_init(void) {
        sd_event *e = NULL;

        if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "library initialisation failed\n");
                exit(EXIT_FAILURE);
        }
        if (getenv("TEST_DEBUG"))
                log_set_max_level(LOG_DEBUG);
        if (sd_event_new(&e) < 0) {
                fprintf(stderr, "sd_event_new() failed\n");
                exit(EXIT_FAILURE);
        }
        return e;
}

void redirect_test_done(sd_event *e) {
        sd_event_unref(e);
        curl_global_cleanup();
}
