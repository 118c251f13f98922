/* SPDX-License-Identifier: MIT */

/* The fake tesserad's canned answers: token calls by account name, the
 * gateway (LIBTESSERA_1.1) by path, echoes of what arrived. */

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fake-daemon-routes.h"
#include "fake-daemon.h"

static void send_str(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t) k;
        }
}

static void answer(int fd, int status, const char *body) {
        char head[256];
        int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                         "Connection: keep-alive\r\nContent-Length: %zu\r\n\r\n", status, strlen(body));
        send_str(fd, head, (size_t) n);
        send_str(fd, body, strlen(body));
}

static void wait_for_close(int fd) {
        char b[256];
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return;
                ssize_t k = recv(fd, b, sizeof(b), 0);
                if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
                        return;
        }
}

/* ---- the gateway (LIBTESSERA_1.1) ---- */

uint8_t pattern(size_t i) {
        return (uint8_t) (i * 31 + i / 65536);
}

static void send_head(int fd, int status, const char *extra, size_t length) {
        char *head = NULL;
        int n = asprintf(&head, "HTTP/1.1 %d Status %d\r\n%sContent-Length: %zu\r\n\r\n",
                         status, status, extra, length);
        if (n < 0)
                abort();
        send_str(fd, head, (size_t) n);
        free(head);
}

/* Streams n bytes of pattern(), chunked or with a length. */
static void send_big(int fd, size_t n, bool chunked) {
        uint8_t block[65536];   /* per thread: an abandoned stream may still be running */
        char line[64];

        if (chunked)
                send_str(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 47);
        else
                send_head(fd, 200, "Content-Type: application/octet-stream\r\n", n);
        for (size_t off = 0; off < n;) {
                size_t k = n - off < sizeof(block) ? n - off : sizeof(block);
                for (size_t j = 0; j < k; j++)
                        block[j] = pattern(off + j);
                if (chunked) {
                        int l = snprintf(line, sizeof(line), "%zx\r\n", k);
                        send_str(fd, line, (size_t) l);
                }
                send_str(fd, (const char *) block, k);
                if (chunked)
                        send_str(fd, "\r\n", 2);
                off += k;
        }
        if (chunked)
                send_str(fd, "0\r\n\r\n", 5);
}

/* Paths under /v1/accounts/NAME/api/ and .../tenant/. Returns false when
 * the connection must be closed. */
static bool route_gateway(int fd, const req *q, const char *rest) {
        char extra[20000];
        size_t n;

        if (strncmp(rest, "v2/", 3) == 0)
                rest += 3;
        if (strcmp(q->method, "POST") == 0 && strstr(rest, "count"))
                atomic_fetch_add(&n_posts, 1);

        if (sscanf(rest, "status/%zu", &n) == 1) {
                char body[64];
                int l = snprintf(body, sizeof(body), "upstream %zu", n);
                send_head(fd, (int) n, "Content-Type: text/plain\r\nRetry-After: 7\r\nETag: \"v1\"\r\n"
                          "Link: <https://api.example/next>; rel=\"next\"\r\n", n == 204 || n == 304 ? 0 : (size_t) l);
                if (n != 204 && n != 304)
                        send_str(fd, body, (size_t) l);
        } else if (sscanf(rest, "bigchunked/%zu", &n) == 1)
                send_big(fd, n, true);
        else if (sscanf(rest, "biglen/%zu", &n) == 1)
                send_big(fd, n, false);
        else if (strcmp(rest, "chunked") == 0) {
                const char *r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "5\r\n[1,2,\r\n" "3;ext=1\r\n3,4\r\n" "1\r\n]\r\n" "0\r\nX-Trailer: t\r\n\r\n";
                send_str(fd, r, strlen(r));
        } else if (strcmp(rest, "ratelimited") == 0) {
                const char *b = "{\"error\":\"rate_limited\",\"message\":\"slow down\"}";
                send_head(fd, 429, "Content-Type: application/json\r\nRetry-After: 3\r\n", strlen(b));
                send_str(fd, b, strlen(b));
        } else if (strncmp(rest, "retry/", 6) == 0) {
                /* retry/+S or retry/-S: an HTTP date S seconds away; retry/X: X as is. */
                char value[64];
                long d;
                if (sscanf(rest + 6, "%ld", &d) == 1 && (rest[6] == '+' || rest[6] == '-')) {
                        time_t t = time(NULL) + d;
                        struct tm tm;
                        gmtime_r(&t, &tm);
                        strftime(value, sizeof(value), "%a, %d %b %Y %H:%M:%S GMT", &tm);
                } else
                        snprintf(value, sizeof(value), "%s", rest + 6);
                for (char *p = value; *p; p++)
                        if (*p == '_')
                                *p = ' ';
                snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", value);
                send_head(fd, 503, extra, 0);
        } else if (strcmp(rest, "slow") == 0) {
                wait_for_close(fd);
                return false;
        } else {
                /* Echo: what arrived comes back in headers, the body as the body. */
                snprintf(extra, sizeof(extra), "X-Seen-Method: %s\r\nX-Seen-Path: %s\r\nX-Seen-Type: %s\r\n"
                         "X-Seen-Wait: %s\r\nX-Seen-Length: %s\r\nx-lower: yes\r\n",
                         q->method, q->path, q->content_type, q->wait, q->length);
                send_head(fd, 200, extra, q->body_len);
                send_str(fd, q->body, q->body_len);
        }
        return true;
}

/* Returns false when the connection must be closed. */
bool route(int fd, const req *q, unsigned served) {
        const char *tok_prefix = "/v1/accounts/", *method = q->method, *path = q->path, *body = q->body;
        char account[80] = "";
        /* Read before answering: once the answer is out, the test may
         * already have changed it for the next request. */
        bool keep = !atomic_load(&close_after_answer);

        if (served >= 2 && atomic_exchange(&drop_reused, 0))
                return false;

        if (strncmp(path, tok_prefix, strlen(tok_prefix)) == 0) {
                const char *a = path + strlen(tok_prefix), *slash = strchr(a, '/');
                if (slash && (size_t) (slash - a) < sizeof(account))
                        memcpy(account, a, (size_t) (slash - a));
                if (slash && strncmp(slash, "/api/", 5) == 0)
                        return route_gateway(fd, q, slash + 5) && keep;
                if (slash && strncmp(slash, "/tenant/", 8) == 0)
                        return route_gateway(fd, q, slash + 8) && keep;
        }

        if (strcmp(path, "/v1/accounts/default/token") == 0)
                answer(fd, 200, "{\"access_token\":\"tok-abc123\",\"token_type\":\"Bearer\",\"expires_at\":1700000000,"
                       "\"expires_in\":3600,\"scope\":\"openid giponext.agenda\",\"tenant_id\":12345,\"new_field\":[1]}");
        else if (strcmp(path, "/v1/accounts/default/token?min_valid=60") == 0)
                answer(fd, 200, "{\"access_token\":\"tok-mv60\",\"expires_at\":1700000060,\"tenant_id\":\"t-1\"}");
        else if (strcmp(account, "chunked") == 0) {
                const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "10\r\n{\"access_token\":\r\n"
                                "1a\r\n\"tok-ch\",\"expires_at\":42,\"\r\n"
                                "14\r\ntenant_id\":\"t-9\"}   \r\n0\r\n\r\n";
                send_str(fd, r, strlen(r));
        } else if (strcmp(account, "nologin") == 0)
                answer(fd, 401, "{\"error\":\"login_required\",\"message\":\"log in first\"}");
        else if (strcmp(account, "forbid") == 0)
                answer(fd, 403, "{\"error\":\"forbidden\",\"message\":\"no\"}");
        else if (strcmp(account, "tenant") == 0)
                answer(fd, 403, "{\"error\":\"tenant_not_allowed\",\"message\":\"no\"}");
        else if (strcmp(account, "missing") == 0)
                answer(fd, 404, "{\"error\":\"no_such_account\",\"message\":\"no\"}");
        else if (strcmp(account, "idp") == 0)
                answer(fd, 503, "{\"error\":\"idp_unavailable\",\"message\":\"down\"}");
        else if (strcmp(account, "busy") == 0)
                answer(fd, 409, "{\"error\":\"login_in_progress\"}");
        else if (strcmp(account, "bad") == 0)
                answer(fd, 400, "{\"error\":\"bad_request\"}");
        else if (strcmp(account, "oops") == 0)
                answer(fd, 500, "{\"error\":\"internal\"}");
        else if (strcmp(account, "plain401") == 0)
                answer(fd, 401, "not json at all");
        else if (strcmp(account, "garbage") == 0)
                answer(fd, 200, "<html>hello</html>");
        else if (strcmp(account, "notoken") == 0)
                answer(fd, 200, "{\"expires_at\":1}");
        else if (strcmp(account, "noexpiry") == 0)
                answer(fd, 200, "{\"access_token\":\"x\"}");
        else if (strcmp(account, "spacetoken") == 0)
                answer(fd, 200, "{\"access_token\":\"a b\",\"expires_at\":1}");
        else if (strcmp(account, "badhttp") == 0)
                send_str(fd, "HTTP/9 nonsense\r\n\r\n", 19);
        else if (strcmp(account, "huge") == 0) {
                const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n";
                send_str(fd, h, strlen(h));
        } else if (strcmp(account, "dropall") == 0)
                return false;
        else if (strcmp(account, "slow") == 0) {
                wait_for_close(fd);
                return false;
        } else if (strcmp(account, "half") == 0) {
                const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"acc";
                send_str(fd, h, strlen(h));
                wait_for_close(fd);
                return false;
        } else if (strcmp(path, "/nul") == 0)
                send_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\0b", 41);
        else if (strcmp(path, "/teapot") == 0)
                answer(fd, 418, "{\"error\":\"teapot\"}");
        else if (strncmp(path, "/echo", 5) == 0) {
                /* The body (POST) or the path (GET) comes back, to detect cross-talk between threads. */
                answer(fd, 200, strcmp(method, "POST") == 0 ? body : path);
        } else
                answer(fd, 404, "{\"error\":\"not_found\"}");

        return keep;
}

/* The server answers 413 at once, before the body, and keeps the
 * connection open without reading (or, with close, closes it). */
void refuse_early(int fd, bool close_it) {
        const char *b = "{\"error\":\"payload_too_large\",\"message\":\"too big\"}";
        send_head(fd, 413, "Content-Type: application/json\r\nConnection: close\r\n", strlen(b));
        send_str(fd, b, strlen(b));
        if (!close_it) {
                struct pollfd p = { .fd = fd, .events = POLLRDHUP };
                (void) poll(&p, 1, 10000);
        }
}
