/* SPDX-License-Identifier: MIT */

/* libtessera's connections against the fake tesserad (fake-daemon.h):
 * keep-alive, the replay of a request on a stale pooled connection,
 * timeouts, one client shared by many threads. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-daemon.h"

static void test_keepalive(void) {
        tessera_client *c = new_client();
        int before = atomic_load(&n_accepted), ok = 0;

        for (int i = 0; i < 200; i++) {
                tessera_token *t = NULL;
                if (tessera_get_token(c, "default", 0, &t) == 0)
                        ok++;
                tessera_token_free(t);
        }
        CHECK_EQ(ok, 200);
        /* Error answers keep the connection too. */
        CHECK_EQ(token_err(c, "nologin"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(atomic_load(&n_accepted) - before, 1);
        tessera_client_free(c);
}

static void test_stale_retry(void) {
        tessera_client *c = new_client();
        int before = atomic_load(&n_accepted);

        CHECK_EQ(token_err(c, "default"), 0);
        CHECK_EQ(atomic_load(&n_accepted) - before, 1);

        /* The server drops the pooled connection when the next request
         * arrives, before answering: the library replays it once on a new
         * connection and the caller never notices. */
        atomic_store(&drop_reused, 1);
        CHECK_EQ(token_err(c, "default"), 0);
        CHECK_EQ(atomic_load(&drop_reused), 0);
        CHECK_EQ(atomic_load(&n_accepted) - before, 2);

        /* And the new connection is pooled again. */
        CHECK_EQ(token_err(c, "default"), 0);
        CHECK_EQ(atomic_load(&n_accepted) - before, 2);

        /* Server closing idle connections after each answer: every call
         * still succeeds, each on a new connection. */
        atomic_store(&close_after_answer, 1);
        for (int i = 0; i < 5; i++) {
                CHECK_EQ(token_err(c, "default"), 0);
                if (i == 2)
                        usleep(20000);  /* let the close arrive before the next take */
        }
        atomic_store(&close_after_answer, 0);
        CHECK_EQ(atomic_load(&n_accepted) - before, 2 + 4);

        tessera_client_free(c);
}

static void test_timeout(void) {
        tessera_client *c = new_client();
        int64_t t0, dt;

        CHECK_EQ(tessera_client_set_timeout(c, 300), 0);
        t0 = now_ms();
        CHECK_EQ(token_err(c, "slow"), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 290 && dt < 3000);

        /* Partial answer, then silence. */
        t0 = now_ms();
        CHECK_EQ(token_err(c, "half"), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 290 && dt < 3000);

        /* Per-call timeout overrides the client's. */
        tessera_token *t = NULL;
        t0 = now_ms();
        CHECK_EQ(tessera_get_token_timeout(c, "slow", 0, 100, &t), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 95 && dt < 250);
        CHECK(t == NULL);

        int st = 0;
        char *body = NULL;
        t0 = now_ms();
        CHECK_EQ(tessera_request(c, "GET", "/v1/accounts/slow/login?wait=25", NULL, 150, &st, &body), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 145 && dt < 1000);

        /* The client is still fine afterwards. */
        CHECK_EQ(token_err(c, "default"), 0);
        tessera_client_free(c);
}

#define N_THREADS 8
#define N_CALLS 300

static tessera_client *shared;
static atomic_int thread_failures;

static void *worker(void *arg) {
        int id = (int) (intptr_t) arg;

        for (int i = 0; i < N_CALLS; i++) {
                char path[64], *body = NULL;
                int st = 0;
                tessera_token *t = NULL;

                snprintf(path, sizeof(path), "/echo/%d/%d", id, i);
                if (tessera_request(shared, "GET", path, NULL, 0, &st, &body) != 0 || st != 200 ||
                    strcmp(body, path) != 0)
                        atomic_fetch_add(&thread_failures, 1);
                tessera_free(body);
                body = NULL;

                /* Gateway calls of all threads on the same client. */
                size_t blen = 0;
                const char *m = i % 2 ? "POST" : "PUT";
                if (tessera_api_request(shared, NULL, m, "/v2/echo", path, strlen(path), "text/plain", 0, 0,
                                        &st, &body, &blen) != 0 || st != 200 || blen != strlen(path) ||
                    strcmp(body, path) != 0)
                        atomic_fetch_add(&thread_failures, 1);
                tessera_free(body);

                if (i % 3 == 0) {
                        if (tessera_get_token(shared, "nologin", 0, &t) != TESSERA_E_LOGIN_REQUIRED)
                                atomic_fetch_add(&thread_failures, 1);
                } else if (tessera_get_token(shared, "default", 0, &t) != 0 ||
                           strcmp(tessera_token_value(t), "tok-abc123") != 0)
                        atomic_fetch_add(&thread_failures, 1);
                tessera_token_free(t);
        }
        return NULL;
}

static void test_threads(void) {
        pthread_t th[N_THREADS];
        int before = atomic_load(&n_accepted);

        shared = new_client();
        for (int i = 0; i < N_THREADS; i++)
                if (pthread_create(&th[i], NULL, worker, (void *) (intptr_t) i) != 0)
                        abort();
        for (int i = 0; i < N_THREADS; i++)
                pthread_join(th[i], NULL);
        CHECK_EQ(atomic_load(&thread_failures), 0);
        /* Connections are reused: far fewer than calls. */
        int conns = atomic_load(&n_accepted) - before;
        CHECK(conns >= 1 && conns < N_THREADS * N_CALLS);
        shared = tessera_client_free(shared);
}
int main(void) {
        start_server();

        test_keepalive();
        test_stale_retry();
        test_timeout();
        test_threads();

        return stop_server("test-libtessera-pool");
}
