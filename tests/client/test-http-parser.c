/* SPDX-License-Identifier: MIT */

/* Unit test of libtessera's private HTTP response parser. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "http-parser.h"

int failures;

typedef struct result {
        int r;                  /* final feed/eof result */
        int status;
        bool keep_alive;
        size_t consumed;
        char *body;
        size_t body_len;
        bool too_big;           /* p->body_too_big at the end */
} result;

/* Feeds s in pieces of `step` bytes (0: all at once); at the end of input
 * calls eof if `eof` is set. */
static result run(const char *s, size_t n, size_t step, bool eof, size_t max_body, bool head) {
        http_parser *p = malloc(sizeof(*p));
        result res = {};
        size_t off = 0;

        if (!p)
                abort();
        http_parser_init(p, max_body, head);
        if (step == 0)
                step = n ? n : 1;

        res.r = 0;
        while (off < n) {
                size_t k = n - off < step ? n - off : step, used = 0;
                res.r = http_parser_feed(p, s + off, k, &used);
                if (res.r != 0) {
                        res.consumed = off + used;
                        break;
                }
                off += k;
        }
        if (res.r == 0 && eof) {
                res.r = http_parser_eof(p);
                res.consumed = n;
        }
        if (res.r == 1) {
                res.status = p->status;
                res.keep_alive = p->keep_alive;
                if (http_parser_take_body(p, &res.body, &res.body_len) < 0)
                        res.r = -1000;
        }
        res.too_big = p->body_too_big;
        http_parser_done(p);
        free(p);
        return res;
}

static result run_str(const char *s, size_t step, bool eof) {
        return run(s, strlen(s), step, eof, 0, false);
}

static void check_ok(const char *s, int status, bool keep_alive, const char *body, bool eof) {
        /* Whole, byte by byte and in odd pieces: same answer. */
        size_t steps[] = { 0, 1, 3, 7 };

        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                result res = run_str(s, steps[i], eof);
                if (res.r != 1 || res.status != status || res.keep_alive != keep_alive ||
                    !res.body || strcmp(res.body, body) != 0 || res.body_len != strlen(body)) {
                        fprintf(stderr, "step %zu: r=%d status=%d keep_alive=%d body=%s for:\n%s\n",
                                steps[i], res.r, res.status, res.keep_alive, res.body ? res.body : "(null)", s);
                        failures++;
                }
                free(res.body);
        }
}

static void check_fail(const char *s, int expect, bool eof) {
        result res = run_str(s, 0, eof);
        if (res.r != expect) {
                fprintf(stderr, "expected %d, got %d for:\n%s\n", expect, res.r, s);
                failures++;
        }
        free(res.body);
        res = run_str(s, 1, eof);
        if (res.r != expect) {
                fprintf(stderr, "byte-wise: expected %d, got %d for:\n%s\n", expect, res.r, s);
                failures++;
        }
        free(res.body);
}

static void test_valid(void) {
        check_ok("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n{\"state\":\"x\"}",
                 200, true, "{\"state\":\"x\"}", false);
        check_ok("HTTP/1.1 401 Unauthorized\r\nconnection: Close\r\ncontent-length: 2\r\n\r\n{}",
                 401, false, "{}", false);
        check_ok("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, false, "x", false);
        check_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 200, true, "x", false);
        check_ok("HTTP/1.1 204 No Content\r\n\r\n", 204, true, "", false);
        check_ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, true, "", false);
        check_ok("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nab", 200, true, "ab", false);
        check_ok("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Spaces:   a b  \r\nContent-Length: 2\r\n\r\nab", 200, true, "ab", false);
        /* Same Content-Length twice is tolerated. */
        check_ok("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", 200, true, "ab", false);
        /* Chunked, with extensions and trailers. */
        check_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n7;ext=1\r\n, world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n",
                 200, true, "hello, world0123456789", false);
        check_ok("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n0\r\n\r\n", 200, true, "", false);
        /* Body delimited by close. */
        check_ok("HTTP/1.1 200 OK\r\n\r\nuntil the end", 200, false, "until the end", true);
        /* Interim 100 Continue before the real answer. */
        check_ok("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", 200, true, "z", false);
        /* Connection list with several tokens. */
        check_ok("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 1\r\n\r\nz", 200, false, "z", false);

        /* HEAD: no body even with a length. */
        const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        result res = run(head, strlen(head), 0, false, 0, true);
        CHECK(res.r == 1 && res.body_len == 0);
        free(res.body);

        /* Bytes after the response are reported as not consumed. */
        const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1";
        res = run_str(two, 0, false);
        CHECK(res.r == 1 && res.consumed == strlen(two) - 8);
        free(res.body);
}

static void test_invalid(void) {
        check_fail("HTTP/2 200 OK\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 20 OK\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 2000 OK\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 099 X\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 abc OK\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.2 200 OK\r\n\r\n", -EBADMSG, false);
        check_fail("http/1.1 200 OK\r\n\r\n", -EBADMSG, false);
        check_fail("garbage\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 101 Switching\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nX: a\nContent-Length: 5\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", -E2BIG, false);
        check_fail("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", -E2BIG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\nab", -EBADMSG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n", -E2BIG, false);
        check_fail("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n", -E2BIG, false);

        /* Truncated responses: the peer closing early is -EPIPE. */
        const char *full = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
        for (size_t l = 0; l < strlen(full); l++) {
                result res = run(full, l, 0, true, 0, false);
                if (res.r != -EPIPE) {
                        fprintf(stderr, "truncated at %zu: %d\n", l, res.r);
                        failures++;
                }
                free(res.body);
        }
        const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        for (size_t l = 0; l < strlen(chunked); l++) {
                result res = run(chunked, l, 0, true, 0, false);
                if (res.r != -EPIPE) {
                        fprintf(stderr, "chunked truncated at %zu: %d\n", l, res.r);
                        failures++;
                }
                free(res.body);
        }
}

static void test_limits(void) {
        /* Head larger than HTTP_MAX_HEAD. */
        size_t n = HTTP_MAX_HEAD + 100;
        char *big = malloc(n + 1);
        if (!big)
                abort();
        memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
        memset(big + 20, 'a', n - 20);
        big[n] = 0;
        check_fail(big, -E2BIG, false);

        /* Too many headers. */
        char *many = malloc(HTTP_MAX_HEADERS * 10 + 100);
        if (!many)
                abort();
        strcpy(many, "HTTP/1.1 200 OK\r\n");
        for (unsigned i = 0; i <= HTTP_MAX_HEADERS; i++)
                strcat(many, "X: y\r\n");
        strcat(many, "\r\n");
        check_fail(many, -E2BIG, false);

        /* Exactly the maximum number of headers is fine. */
        strcpy(many, "HTTP/1.1 200 OK\r\n");
        for (unsigned i = 0; i < HTTP_MAX_HEADERS - 1; i++)
                strcat(many, "X: y\r\n");
        strcat(many, "Content-Length: 0\r\n\r\n");
        check_ok(many, 200, true, "", false);

        /* Body over the parser's limit (small limit for the test), told
         * apart from the other limits by body_too_big. */
        const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789";
        result res = run(s, strlen(s), 0, false, 10, false);
        CHECK(res.r == -E2BIG && res.too_big);
        free(res.body);
        s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n";
        res = run(s, strlen(s), 0, false, 10, false);
        CHECK(res.r == -E2BIG && res.too_big);
        free(res.body);
        s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n";
        res = run(s, strlen(s), 0, false, 10, false);
        CHECK(res.r == -E2BIG && res.too_big);
        free(res.body);
        s = "HTTP/1.1 200 OK\r\n\r\n01234567890123456789";
        res = run(s, strlen(s), 0, true, 10, false);
        CHECK(res.r == -E2BIG && res.too_big);
        free(res.body);
        /* Exactly at the limit, both framings. */
        s = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
        res = run(s, strlen(s), 0, false, 10, false);
        CHECK(res.r == 1 && res.body_len == 10 && !res.too_big);
        free(res.body);
        s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n";
        res = run(s, strlen(s), 1, false, 10, false);
        CHECK(res.r == 1 && res.body_len == 10 && !res.too_big);
        free(res.body);
        /* Limits of the head, chunk lines and trailers are not the body's. */
        res = run(many, strlen(many), 0, false, 10, false);
        CHECK(res.r == 1 && !res.too_big);
        free(res.body);
        res = run(big, strlen(big), 0, false, 10, false);
        CHECK(res.r == -E2BIG && !res.too_big);
        free(res.body);
        char line[HTTP_MAX_LINE + 80];
        int ll = snprintf(line, sizeof(line), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
        memset(line + ll, 'x', HTTP_MAX_LINE);
        line[ll + HTTP_MAX_LINE] = 0;
        res = run(line, strlen(line), 0, false, 0, false);
        CHECK(res.r == -E2BIG && !res.too_big);
        free(res.body);

        /* A full 1 MiB body at the default limit. */
        size_t bl = HTTP_MAX_BODY;
        char *resp = malloc(bl + 100);
        if (!resp)
                abort();
        int hl = sprintf(resp, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", bl);
        memset(resp + hl, 'b', bl);
        res = run(resp, (size_t) hl + bl, 4096, false, 0, false);
        CHECK(res.r == 1 && res.body_len == bl);
        free(res.body);

        /* Endless trailers. */
        char *tr = malloc(HTTP_MAX_TRAILERS * 2);
        if (!tr)
                abort();
        strcpy(tr, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
        while (strlen(tr) < HTTP_MAX_TRAILERS + 100)
                strcat(tr, "X: yyyyyyyyyyyyy\r\n");
        check_fail(tr, -E2BIG, false);
        res = run(tr, strlen(tr), 0, false, 0, false);
        CHECK(res.r == -E2BIG && !res.too_big);
        free(res.body);

        free(tr);
        free(resp);
        free(many);
        free(big);
}

static void test_garbage(void) {
        unsigned state = 4242;
        char buf[512];

        for (int iter = 0; iter < 100000; iter++) {
                size_t n;

                state = state * 1103515245U + 12345U;
                n = (state >> 8) % sizeof(buf);
                if (iter % 2) {
                        for (size_t i = 0; i < n; i++) {
                                state = state * 1103515245U + 12345U;
                                buf[i] = (char) (state >> 16);
                        }
                } else {
                        const char *seed = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                                           "3\r\nabc\r\n0\r\n\r\n";
                        n = strlen(seed);
                        memcpy(buf, seed, n);
                        for (int m = 0; m < 4; m++) {
                                state = state * 1103515245U + 12345U;
                                buf[(state >> 8) % n] = "\r\n: 0123456789abcdefxHTP/"[(state >> 20) % 25];
                        }
                }
                result res = run(buf, n, (state >> 4) % 5, iter % 3 == 0, 0, false);
                if (res.r == 1 && !res.body) {
                        fprintf(stderr, "complete response without a body buffer\n");
                        failures++;
                }
                free(res.body);
        }
}

int main(void) {
        test_valid();
        test_invalid();
        test_limits();
        test_garbage();

        if (failures) {
                fprintf(stderr, "test-http-parser: %d check(s) failed\n", failures);
                return 1;
        }
        printf("test-http-parser: ok\n");
        return 0;
}
