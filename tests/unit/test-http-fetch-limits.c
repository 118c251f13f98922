/* SPDX-License-Identifier: MIT */
/* http-fetch's limits against the server of fetch-server.c: the body cap,
 * the timeout, a refused connection, and Retry-After. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch-client.h"
#include "tests.h"

static void test_body_cap(void) {
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .max_body = 1000 };

        req.url = url("/big/1000");
        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.body_size == 1000);
        result_done(&r);

        /* Announced by Content-Length. */
        req.url = url("/big/1001");
        fetch_sync(&req, &r);
        CHECK_R(r.error, -EFBIG);
        result_done(&r);

        /* Not announced: the write callback stops it. */
        req.url = url("/stream/5000");
        fetch_sync(&req, &r);
        CHECK_R(r.error, -EFBIG);
        result_done(&r);

        /* The default cap of 1 MiB, and bodies big enough to grow the
         * secret buffer several times. */
        req.max_body = 0;
        req.url = url("/big/1048576");
        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.body_size == HTTP_FETCH_DEFAULT_MAX_BODY);
        CHECK(r.body && r.body[0] == 'x' && r.body[r.body_size - 1] == 'x');
        result_done(&r);

        req.url = url("/stream/3000000");
        fetch_sync(&req, &r);
        CHECK_R(r.error, -EFBIG);
        result_done(&r);
}

static void test_timeout(void) {
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/hang"), .timeout_usec = 1 * USEC_PER_SEC };
        uint64_t start = now_usec(), elapsed;

        fetch_sync(&req, &r);
        elapsed = now_usec() - start;
        CHECK_R(r.error, -ETIMEDOUT);
        CHECK(elapsed >= 900 * USEC_PER_MSEC);
        CHECK(elapsed < 3 * USEC_PER_SEC);
        result_done(&r);
}

static void test_refused(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof sa;
        char u[128];
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = u };
        int fd;

        /* A port that was just free: bound, never listened on, closed. */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0);
        CHECK(bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        CHECK(getsockname(fd, (struct sockaddr *) &sa, &l) == 0);
        close(fd);
        snprintf(u, sizeof u, "http://127.0.0.1:%u/json", ntohs(sa.sin_port));

        fetch_sync(&req, &r);
        CHECK_R(r.error, -ECONNREFUSED);
        result_done(&r);
}

static void test_retry_after(void) {
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET };
        uint64_t s;

        req.url = url("/retry-seconds");
        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.status == 429);
        CHECK(r.has_retry_after && r.retry_after == 120);
        result_done(&r);

        req.url = url("/retry-date");
        fetch_sync(&req, &r);
        CHECK(r.status == 503);
        CHECK(r.has_retry_after && r.retry_after >= 295 && r.retry_after <= 301);
        CHECK(r.body && streq(r.body, "<html>busy</html>"));
        result_done(&r);

        req.url = url("/retry-huge");
        fetch_sync(&req, &r);
        CHECK(r.has_retry_after && r.retry_after == HTTP_FETCH_MAX_RETRY_AFTER_SEC);
        result_done(&r);

        req.url = url("/no-retry");
        fetch_sync(&req, &r);
        CHECK(r.status == 404 && !r.has_retry_after);
        result_done(&r);

        /* The parser alone. */
        CHECK_R(http_parse_retry_after("120", 0, &s), 0);
        CHECK(s == 120);
        CHECK_R(http_parse_retry_after("  7\t", 0, &s), 0);
        CHECK(s == 7);
        CHECK_R(http_parse_retry_after("0", 0, &s), 0);
        CHECK(s == 0);
        CHECK_R(http_parse_retry_after("184467440737095516160000", 0, &s), 0);
        CHECK(s == HTTP_FETCH_MAX_RETRY_AFTER_SEC);
        /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110's example). */
        CHECK_R(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 60, &s), 0);
        CHECK(s == 60);
        CHECK_R(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 60, &s), 0);
        CHECK(s == 0);
        CHECK_R(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 0, &s), 0);
        CHECK(s == HTTP_FETCH_MAX_RETRY_AFTER_SEC);
        CHECK_R(http_parse_retry_after("-5", 0, &s), -EINVAL);
        CHECK_R(http_parse_retry_after("", 0, &s), -EINVAL);
        CHECK_R(http_parse_retry_after("soon", 0, &s), -EINVAL);
        CHECK_R(http_parse_retry_after(NULL, 0, &s), -EINVAL);
}

int main(void) {
        fetch_test_init();

        test_body_cap();
        test_timeout();
        test_refused();
        test_retry_after();

        fetch_test_done();
        printf("test-http-fetch-limits: all checks passed\n");
        return 0;
}
