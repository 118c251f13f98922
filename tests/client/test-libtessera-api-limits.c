/* SPDX-License-Identifier: MIT */

/* The gateway calls (LIBTESSERA_1.1) against the fake tesserad
 * (fake-daemon.h) at their limits: large bodies both ways, an early 413,
 * which requests are replayed, timeouts stretched by Tessera-Wait. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-daemon.h"

static bool pattern_ok(const char *b, size_t len) {
        for (size_t i = 0; i < len; i++)
                if ((uint8_t) b[i] != pattern(i))
                        return false;
        return true;
}

static void test_api_large(void) {
        tessera_client *c = new_client();
        const size_t cap = TESSERA_API_DEFAULT_MAX_RESPONSE;
        char path[64], *body = NULL;
        size_t len = 0;
        int st = 0;

        /* Up to the default limit, chunked and with a length. */
        snprintf(path, sizeof(path), "/v2/bigchunked/%zu", cap);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", path, NULL, 0, NULL, 0, 0, &st, &body, &len), 0);
        CHECK_EQ(st, 200);
        CHECK_EQ(len, cap);
        CHECK(body && pattern_ok(body, len) && body[len] == '\0');
        free(body);
        body = NULL;
        snprintf(path, sizeof(path), "/v2/biglen/%zu", cap);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", path, NULL, 0, NULL, 0, 0, &st, &body, &len), 0);
        CHECK(body && len == cap && pattern_ok(body, len));
        free(body);
        body = NULL;

        /* One byte more is refused, whichever way it is framed. */
        snprintf(path, sizeof(path), "/v2/bigchunked/%zu", cap + 1);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", path, NULL, 0, NULL, 0, 0, &st, &body, &len), TESSERA_E_TOO_LARGE);
        snprintf(path, sizeof(path), "/v2/biglen/%zu", cap + 1);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", path, NULL, 0, NULL, 0, 0, &st, &body, &len), TESSERA_E_TOO_LARGE);
        CHECK(body == NULL);

        /* A limit of one's own. */
        CHECK_EQ(tessera_client_set_max_response(c, 100000), 0);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/bigchunked/100000", NULL, 0, NULL, 0, 0, &st, &body, &len), 0);
        CHECK(body && len == 100000 && pattern_ok(body, len));
        free(body);
        body = NULL;
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/bigchunked/100001", NULL, 0, NULL, 0, 0, &st, NULL, NULL),
                 TESSERA_E_TOO_LARGE);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/biglen/100001", NULL, 0, NULL, 0, 0, &st, NULL, NULL),
                 TESSERA_E_TOO_LARGE);

        /* Token calls keep their own 1 MiB limit and error, whatever the
         * gateway's limit. */
        CHECK_EQ(tessera_client_set_max_response(c, 0), 0);
        CHECK_EQ(token_err(c, "huge"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "default"), 0);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/bigchunked/200000", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);

        /* A large request body arrives whole. */
        size_t n = 3U * 1024U * 1024U;
        char *big = malloc(n);
        for (size_t i = 0; i < n; i++)
                big[i] = (char) pattern(i);
        CHECK_EQ(tessera_api_request(c, NULL, "PUT", "/v2/echo", big, n, "application/octet-stream", 0, 0,
                                     &st, &body, &len), 0);
        CHECK(body && len == n && memcmp(body, big, n) == 0);
        free(body);
        body = NULL;

        /* The server answers 413 without reading a large body: the answer
         * arrives, rather than a timeout or a broken pipe. */
        n = 32U * 1024U * 1024U;
        big = realloc(big, n);
        memset(big, 'x', n);
        CHECK_EQ(tessera_client_set_timeout(c, 5000), 0);
        for (int close_it = 0; close_it < 2; close_it++) {
                int64_t t0 = now_ms();
                CHECK_EQ(tessera_api_request(c, NULL, "POST", close_it ? "/v2/early413close" : "/v2/early413",
                                             big, n, NULL, 0, 0, &st, &body, &len), 0);
                CHECK(now_ms() - t0 < 4000);
                CHECK_EQ(st, 413);
                CHECK(body && strstr(body, "payload_too_large"));
                body = tessera_free(body);
        }
        free(big);

        /* The client is still fine afterwards. */
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/echo", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);
        tessera_client_free(c);
}

static void test_api_replay_and_timeout(void) {
        tessera_client *c = new_client();
        int before = atomic_load(&n_accepted), st = 0;
        int64_t t0, dt;

        /* A pooled connection exists... */
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/echo", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(atomic_load(&n_accepted) - before, 1);

        /* ...but a POST takes a new connection, so the server's drop of a
         * reused one does not hit it, and it is sent exactly once. */
        atomic_store(&n_posts, 0);
        atomic_store(&drop_reused, 1);
        CHECK_EQ(tessera_api_request(c, NULL, "POST", "/v2/count", "{}", 2, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);
        CHECK_EQ(atomic_load(&n_posts), 1);
        CHECK_EQ(atomic_load(&n_accepted) - before, 2);
        CHECK_EQ(atomic_load(&drop_reused), 1);

        /* A GET on the pooled connection is dropped and replayed. */
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/echo", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);
        CHECK_EQ(atomic_load(&drop_reused), 0);

        /* A POST on a connection that is closed before answering fails
         * instead of being sent again. */
        atomic_store(&n_posts, 0);
        atomic_store(&close_after_answer, 0);
        CHECK_EQ(tessera_api_request(c, "dropall", "POST", "/v2/count", "{}", 2, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(atomic_load(&n_posts), 1);

        /* Tessera-Wait lengthens the default timeout by the wait. */
        CHECK_EQ(tessera_client_set_timeout(c, 200), 0);
        t0 = now_ms();
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/slow", NULL, 0, NULL, 0, 0, &st, NULL, NULL), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 190 && dt < 900);
        t0 = now_ms();
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/slow", NULL, 0, NULL, 1, 0, &st, NULL, NULL), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 1190 && dt < 2500);
        /* An explicit timeout is taken as it is. */
        t0 = now_ms();
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/slow", NULL, 0, NULL, 1, 150, &st, NULL, NULL), TESSERA_E_TIMEOUT);
        dt = now_ms() - t0;
        CHECK(dt >= 145 && dt < 900);

        tessera_client_free(c);
}

int main(void) {
        start_server();

        test_api_large();
        test_api_replay_and_timeout();

        return stop_server("test-libtessera-api-limits");
}
