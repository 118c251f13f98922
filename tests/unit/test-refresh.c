/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "core/refresh.h"
#include "util/secret.h"
#include "store/store.h"
#include "tests.h"

static void test_plan(void) {
        /* One hour, 60 s margin: between 10% early and the margin. */
        CHECK(refresh_plan(1000, 4600, 60, 0.0) == 4540);
        CHECK(refresh_plan(1000, 4600, 60, 0.999) >= 4540 - 360);
        CHECK(refresh_plan(1000, 4600, 60, 0.5) == 4540 - 180);
        /* A margin longer than the token: half-life, never "now" forever. */
        CHECK(refresh_plan(1000, 1004, 60, 0.0) == 1002);
        CHECK(refresh_plan(1000, 1030, 60, 0.7) == 1015);
        /* Nonsense or tiny lifetimes: never a loop, at most one refresh a
         * second. */
        CHECK(refresh_plan(1000, 1000, 60, 0.0) == 1001);
        CHECK(refresh_plan(2000, 1000, 60, 0.0) == 2001);
        CHECK(refresh_plan(1000, 1001, 60, 0.5) == 1001);
        CHECK(refresh_plan(1000, 1002, 60, 0.5) == 1001);
}

static void test_backoff(void) {
        uint64_t prev = 0;

        /* Doubles from about 1 s, capped at 5 min, jitter only shortens. */
        for (unsigned n = 1; n < 30; n++) {
                uint64_t lo = refresh_backoff(n, 0.0, 0), hi = refresh_backoff(n, 0.999999, 0);

                CHECK(lo <= hi);
                CHECK(hi <= REFRESH_BACKOFF_MAX_USEC);
                CHECK(lo >= REFRESH_BACKOFF_MIN_USEC / 2);
                CHECK(hi >= prev);
                prev = hi;
        }
        CHECK(refresh_backoff(1, 0.0, 0) == REFRESH_BACKOFF_MIN_USEC / 2);
        CHECK(refresh_backoff(3, 0.0, 0) == 2 * REFRESH_BACKOFF_MIN_USEC);
        CHECK(refresh_backoff(100, 0.0, 0) == REFRESH_BACKOFF_MAX_USEC / 2);
        /* Retry-After wins when longer. */
        CHECK(refresh_backoff(1, 0.0, 42 * USEC_PER_SEC) == 42 * USEC_PER_SEC);
        CHECK(refresh_backoff(UINT32_MAX, 0.5, 0) <= REFRESH_BACKOFF_MAX_USEC);
}

static void test_wanted(void) {
        /* Token from 1000 to 4600 (one hour). */
        CHECK(!refresh_wanted(2000, 1000, 4600, 10));
        CHECK(refresh_wanted(4595, 1000, 4600, 10));
        CHECK(refresh_wanted(5000, 1000, 4600, 0));          /* expired */
        CHECK(!refresh_wanted(2000, 1000, 4600, 2600));
        CHECK(refresh_wanted(2001, 1000, 4600, 2600));
        /* More than the IdP ever grants: clamped to half the lifetime, so
         * a fresh token is served instead of refreshing in a loop. */
        CHECK(!refresh_wanted(1000, 1000, 4600, 7200));
        CHECK(!refresh_wanted(2700, 1000, 4600, 7200));
        CHECK(refresh_wanted(2801, 1000, 4600, 7200));
        CHECK(!refresh_wanted(1000, 1000, 4600, UINT32_MAX));
}

/* ---- an IdP that takes the refresh request and does not answer ----
 *
 * A listening socket that nobody accepts on: the kernel completes the
 * handshake and buffers the request, as for a provider stopped with
 * SIGSTOP. The test plays the provider coming back by accepting and
 * answering the very request the daemon sent. */

static uint64_t mono_usec(void) {
        struct timespec ts;

        CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static bool run_until(sd_event *e, const bool *flag, uint64_t max_usec) {
        uint64_t end = mono_usec() + max_usec;

        while (!*flag && mono_usec() < end)
                CHECK(sd_event_run(e, 50 * USEC_PER_MSEC) >= 0);
        return *flag;
}

static void run_for(sd_event *e, uint64_t usec) {
        bool never = false;

        (void) run_until(e, &never, usec);
}

static int stalled_listener(unsigned *ret_port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof sa;
        int fd;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0);
        CHECK(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        CHECK(listen(fd, 16) == 0);
        CHECK(getsockname(fd, (struct sockaddr *) &sa, &l) == 0);
        *ret_port = ntohs(sa.sin_port);
        return fd;
}

/* Accepts the request waiting in the backlog, checks it is the refresh
 * with expected_rt, answers it with a rotated pair. Returns the
 * connection (closed by the caller once the daemon read the answer). */
static int answer_refresh(int listen_fd, const char *expected_rt, const char *new_at, const char *new_rt) {
        struct timeval tv = { .tv_sec = 5 };
        char req[8192], body[512], resp[1024], expect[256];
        size_t n = 0;
        int fd;

        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        CHECK(fd >= 0);
        CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
        snprintf(expect, sizeof expect, "grant_type=refresh_token&refresh_token=%s", expected_rt);
        /* The whole request was sent long ago: read until the body is in. */
        while (n < sizeof req - 1) {
                ssize_t k = read(fd, req + n, sizeof req - 1 - n);

                CHECK(k > 0);
                n += (size_t) k;
                req[n] = '\0';
                if (strstr(req, "\r\n\r\n") && strstr(req, expect))
                        break;
        }
        CHECK(strncmp(req, "POST /token ", 12) == 0);
        CHECK(strstr(req, expect));
        snprintf(body, sizeof body,
                 "{\"access_token\":\"%s\",\"refresh_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
                 new_at, new_rt);
        snprintf(resp, sizeof resp,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        CHECK(write(fd, resp, strlen(resp)) == (ssize_t) strlen(resp));
        sodium_memzero(req, sizeof req);
        return fd;
}

typedef struct waited {
        bool done;
        uint64_t at;            /* CLOCK_MONOTONIC */
} waited;

static void on_waited(account *a, void *userdata) {
        waited *w = userdata;

        w->done = true;
        w->at = mono_usec();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* A loop, the IdP client, a store, and an IdP that takes requests and
 * answers only when told (stalled_listener()); every endpoint is
 * configured, so a refresh goes straight to /token. */
typedef struct idp_fixture {
        sd_event *event;
        curl_glue *glue;
        discovery_cache *dc;
        store *st;
        int lfd;
        char dir[64], issuer[64], token_url[64], other_url[64];
        conf_account conf;
        account_env env;
} idp_fixture;

static void fixture_init(idp_fixture *f, const char *name) {
        unsigned port;

        unsetenv("NOTIFY_SOCKET");
        unsetenv("http_proxy");
        unsetenv("HTTP_PROXY");
        unsetenv("all_proxy");
        unsetenv("ALL_PROXY");
        *f = (idp_fixture) {};
        f->lfd = stalled_listener(&port);
        snprintf(f->issuer, sizeof f->issuer, "http://127.0.0.1:%u", port);
        snprintf(f->token_url, sizeof f->token_url, "http://127.0.0.1:%u/token", port);
        snprintf(f->other_url, sizeof f->other_url, "http://127.0.0.1:%u/other", port);
        snprintf(f->dir, sizeof f->dir, "/tmp/test-refresh.XXXXXX");

        CHECK(mkdtemp(f->dir));
        CHECK(sd_event_new(&f->event) >= 0);
        CHECK(curl_glue_new(f->event, &f->glue) >= 0);
        CHECK(discovery_cache_new(f->glue, &f->dc) >= 0);
        CHECK(store_open(f->dir, &f->st) >= 0);

        f->conf = (conf_account) {
                .name = (char *) name,
                .issuer = f->issuer,
                .client_id = (char *) "client",
                .client_secret = (char *) "secret",
                .client_auth = CLIENT_AUTH_BASIC,
                .scope = (char *) "openid offline_access",
                .refresh_margin = 60,
                .authorization_endpoint = f->other_url,
                .token_endpoint = f->token_url,
                .device_authorization_endpoint = f->other_url,
                .revocation_endpoint = f->other_url,
        };
        /* core/ needs no manager: the account's environment is enough. */
        f->env = (account_env) { .event = f->event, .store = f->st, .curl = f->glue, .discovery = f->dc };
}

static void fixture_done(idp_fixture *f) {
        curl_glue_free(f->glue);
        discovery_cache_free(f->dc);
        store_free(f->st);
        close(f->lfd);
        sd_event_unref(f->event);
        (void) nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_stalled_idp(void) {
        idp_fixture f;
        account *a = NULL;
        refresh_waiter *w = NULL;
        waited w1 = {}, w2 = {};
        uint64_t t0;
        int cfd;

        fixture_init(&f, "stall");
        sd_event *event = f.event;
        curl_glue *glue = f.glue;
        int lfd = f.lfd;

        CHECK(account_new(NULL, &f.env, &f.conf, &a) >= 0);
        a->session = session_new();
        CHECK(a->session);
        a->session->access_token = secret_strdup("AT-old");
        a->session->refresh_token = secret_strdup("RT-old");
        a->session->refreshed_at = now_realtime() - 3000;
        a->session->expires_at = now_realtime() + 30;   /* still valid, less than wanted */
        a->state = ACCOUNT_VALID;

        /* A caller joins the refresh; the IdP takes the request and stays
         * silent. The caller is answered after REFRESH_ANSWER_WAIT_USEC,
         * not after the HTTP timeout, and the attempt goes on. */
        t0 = mono_usec();
        CHECK(refresh_wait(a, on_waited, &w1, &w) == 0);
        CHECK(!w1.done);
        CHECK(a->state == ACCOUNT_REFRESHING);
        CHECK(run_until(event, &w1.done, REFRESH_ANSWER_WAIT_USEC + 3 * USEC_PER_SEC));
        fprintf(stderr, "caller answered after %.2f s of a silent IdP\n", (double) (w1.at - t0) / 1e6);
        CHECK(w1.at - t0 >= REFRESH_ANSWER_WAIT_USEC - 200 * USEC_PER_MSEC);
        CHECK(a->state == ACCOUNT_DEGRADED);
        CHECK(a->last_error && strstr(a->last_error, "not answering since 20"));
        CHECK(curl_glue_n_transfers(glue) == 1);
        CHECK(secret_streq(a->session->access_token, "AT-old"));

        /* Known not to answer: the next caller does not wait at all. */
        CHECK(refresh_wait(a, on_waited, &w2, &w) == -EAGAIN);
        run_for(event, 300 * USEC_PER_MSEC);
        CHECK(!w2.done);
        CHECK(curl_glue_n_transfers(glue) == 1);

        /* The IdP comes back and answers the request it took: that answer
         * holds the only valid refresh token now, and it is used. */
        cfd = answer_refresh(lfd, "RT-old", "AT-new", "RT-new");
        for (uint64_t end = mono_usec() + 5 * USEC_PER_SEC; a->state != ACCOUNT_VALID && mono_usec() < end;)
                CHECK(sd_event_run(event, 50 * USEC_PER_MSEC) >= 0);
        CHECK(a->state == ACCOUNT_VALID);
        CHECK(secret_streq(a->session->access_token, "AT-new"));
        CHECK(secret_streq(a->session->refresh_token, "RT-new"));
        CHECK(!a->last_error);
        CHECK(curl_glue_n_transfers(glue) == 0);
        CHECK(a->next_refresh_at > now_realtime());
        close(cfd);

        /* An IdP that answers in time: the caller gets the answer, well
         * before the answer wait, and nothing is marked degraded. */
        a->session->expires_at = now_realtime() + 30;
        w1 = (waited) {};
        run_for(event, 1100 * USEC_PER_MSEC);          /* REFRESH_INTERVAL_MIN_SEC */
        t0 = mono_usec();
        CHECK(refresh_wait(a, on_waited, &w1, &w) == 0);
        run_for(event, 300 * USEC_PER_MSEC);
        CHECK(!w1.done);
        cfd = answer_refresh(lfd, "RT-new", "AT-3", "RT-3");
        CHECK(run_until(event, &w1.done, 5 * USEC_PER_SEC));
        CHECK(w1.at - t0 < REFRESH_ANSWER_WAIT_USEC);
        CHECK(a->state == ACCOUNT_VALID);
        CHECK(secret_streq(a->session->access_token, "AT-3"));
        close(cfd);

        /* Leaving while an attempt hangs: cancelled, nothing left behind. */
        a->session->expires_at = now_realtime() + 30;
        run_for(event, 1100 * USEC_PER_MSEC);
        w1 = (waited) {};
        CHECK(refresh_wait(a, on_waited, &w1, &w) == 0);
        run_for(event, 300 * USEC_PER_MSEC);
        CHECK(curl_glue_n_transfers(glue) == 1);
        refresh_account_gone(a);
        CHECK(w1.done);
        CHECK(curl_glue_n_transfers(glue) == 0);
        run_for(event, 200 * USEC_PER_MSEC);

        account_free(a);
        fixture_done(&f);
}

/* Background refreshes due together go to the IdP refresh_max_in_flight
 * at a time; the next in line starts when one ends, but not while the
 * daemon frees its accounts (it hung there once, starting a thousand
 * queued refreshes on its way out). */
static void test_queue(void) {
        idp_fixture f;
        account *a[3] = {};

        fixture_init(&f, "queue");
        sd_event *event = f.event;
        curl_glue *glue = f.glue;
        f.env.refresh_max_in_flight = 1;
        for (size_t i = 0; i < ELEMENTSOF(a); i++) {
                CHECK(account_new(NULL, &f.env, &f.conf, &a[i]) >= 0);
                a[i]->session = session_new();
                CHECK(a[i]->session);
                a[i]->session->access_token = secret_strdup("AT");
                a[i]->session->refresh_token = secret_strdup("RT");
                a[i]->session->refreshed_at = now_realtime() - 3000;
                a[i]->session->expires_at = now_realtime() + 30;       /* due: inside the margin */
                a[i]->state = ACCOUNT_VALID;
                account_session_changed(a[i]);
        }
        run_for(event, 500 * USEC_PER_MSEC);
        CHECK(f.env.refresh_in_flight == 1);
        CHECK(curl_glue_n_transfers(glue) == 1);
        CHECK(f.env.refresh_queue_head && f.env.refresh_queue_head != f.env.refresh_queue_tail);

        /* One ends: the next starts, the last still waits. */
        refresh_account_gone(a[0]);
        CHECK(f.env.refresh_in_flight == 1);
        CHECK(curl_glue_n_transfers(glue) == 1);
        CHECK(f.env.refresh_queue_head && f.env.refresh_queue_head == f.env.refresh_queue_tail);

        /* Teardown: the one in flight (refreshing; the one waiting is
         * still valid) ends, and the one waiting does not start. */
        {
                account *flying = a[1]->state == ACCOUNT_REFRESHING ? a[1] : a[2];
                account *waiting = flying == a[1] ? a[2] : a[1];

                CHECK(flying->state == ACCOUNT_REFRESHING && waiting->state == ACCOUNT_VALID);
                f.env.tearing_down = true;
                refresh_account_gone(flying);
                CHECK(f.env.refresh_in_flight == 0);
                CHECK(curl_glue_n_transfers(glue) == 0);
                CHECK(waiting->state == ACCOUNT_VALID);
                refresh_account_gone(waiting);
                CHECK(!f.env.refresh_queue_head);
        }

        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                account_free(a[i]);
        fixture_done(&f);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_plan();
        test_backoff();
        test_wanted();
        test_stalled_idp();
        test_queue();
        return 0;
}
