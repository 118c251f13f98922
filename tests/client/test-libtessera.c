/* SPDX-License-Identifier: MIT */

/* libtessera against a fake tesserad: a listener thread in this process
 * answers canned HTTP responses on a Unix socket in a temporary directory
 * and counts the connections it accepts. */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <tessera/tessera.h>

static int failures;

#define CHECK(cond)                                                             \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #cond);                     \
                        failures++;                                             \
                }                                                               \
        } while (0)

#define CHECK_EQ(a, b)                                                          \
        do {                                                                    \
                long long _a = (a), _b = (b);                                   \
                if (_a != _b) {                                                 \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",   \
                                __FILE__, __LINE__, #a, _a, _b);                \
                        failures++;                                             \
                }                                                               \
        } while (0)

static char tmpdir[PATH_MAX];
static char sock_path[PATH_MAX + 16];
static atomic_int n_accepted;
static atomic_int drop_reused;         /* one shot: close a reused connection without answering */
static atomic_int close_after_answer;  /* claim keep-alive, then close anyway */

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

typedef struct req {
        char method[40];
        char path[16384];
        char content_type[320];
        char wait[32];
        char length[32];
        const char *body;
        size_t body_len;
} req;

static atomic_int n_posts;

static uint8_t pattern(size_t i) {
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
static bool route(int fd, const req *q, unsigned served) {
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

#define SERVER_MAX_REQUEST (4U * 1024U * 1024U)

static void header_value(const char *head, const char *end, const char *name, char *dst, size_t n) {
        size_t l = strlen(name);

        snprintf(dst, n, "-");
        for (const char *p = strstr(head, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
                if (strncasecmp(p + 2, name, l) == 0 && p[2 + l] == ':') {
                        const char *v = p + 3 + l, *e = strstr(v, "\r\n");
                        while (*v == ' ')
                                v++;
                        snprintf(dst, n, "%.*s", (int) (e - v), v);
                        return;
                }
}

/* The server answers 413 at once, before the body, and keeps the
 * connection open without reading (or, with close, closes it). */
static void refuse_early(int fd, bool close_it) {
        const char *b = "{\"error\":\"payload_too_large\",\"message\":\"too big\"}";
        send_head(fd, 413, "Content-Type: application/json\r\nConnection: close\r\n", strlen(b));
        send_str(fd, b, strlen(b));
        if (!close_it) {
                struct pollfd p = { .fd = fd, .events = POLLRDHUP };
                (void) poll(&p, 1, 10000);
        }
}

static void *conn_thread(void *arg) {
        int fd = (int) (intptr_t) arg;
        char *buf = malloc(SERVER_MAX_REQUEST + 1);
        size_t len = 0;
        unsigned served = 0;
        req *q = malloc(sizeof(req));

        if (!buf || !q)
                abort();

        for (;;) {
                char *end;
                ssize_t k;

                buf[len] = 0;
                end = strstr(buf, "\r\n\r\n");
                if (!end) {
                        if (len >= SERVER_MAX_REQUEST)
                                break;
                        k = recv(fd, buf + len, SERVER_MAX_REQUEST - len, 0);
                        if (k <= 0)
                                break;
                        len += (size_t) k;
                        continue;
                }

                size_t head_len = (size_t) (end - buf) + 4, body_len = 0;
                memset(q, 0, sizeof(*q));
                if (sscanf(buf, "%39s %16383s", q->method, q->path) != 2)
                        break;
                header_value(buf, end, "Content-Type", q->content_type, sizeof(q->content_type));
                header_value(buf, end, "Tessera-Wait", q->wait, sizeof(q->wait));
                header_value(buf, end, "Content-Length", q->length, sizeof(q->length));
                if (strcmp(q->length, "-") != 0)
                        body_len = strtoul(q->length, NULL, 10);

                if (strstr(q->path, "/early413")) {
                        refuse_early(fd, strstr(q->path, "close") != NULL);
                        break;
                }
                if (head_len + body_len > SERVER_MAX_REQUEST)
                        break;
                while (len < head_len + body_len) {
                        k = recv(fd, buf + len, SERVER_MAX_REQUEST - len, 0);
                        if (k <= 0)
                                goto out;
                        len += (size_t) k;
                }

                char *body = malloc(body_len + 1);
                if (!body)
                        abort();
                memcpy(body, buf + head_len, body_len);
                body[body_len] = 0;
                q->body = body;
                q->body_len = body_len;

                memmove(buf, buf + head_len + body_len, len - head_len - body_len);
                len -= head_len + body_len;

                bool keep = route(fd, q, ++served);
                free(body);
                if (!keep)
                        break;
        }
out:
        free(buf);
        free(q);
        close(fd);
        return NULL;
}

static void *listener(void *arg) {
        int lfd = (int) (intptr_t) arg;

        for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                pthread_t t;
                pthread_attr_t attr;

                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        return NULL;
                }
                atomic_fetch_add(&n_accepted, 1);
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&t, &attr, conn_thread, (void *) (intptr_t) fd) != 0)
                        close(fd);
                pthread_attr_destroy(&attr);
        }
}

static int bind_unix(const char *path, bool do_listen) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
                abort();
        strcpy(sa.sun_path, path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                abort();
        if (do_listen && listen(fd, 128) < 0)
                abort();
        return fd;
}

static void start_server(void) {
        pthread_t t;

        snprintf(tmpdir, sizeof(tmpdir), "%s/test-libtessera-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmpdir))
                abort();
        snprintf(sock_path, sizeof(sock_path), "%s/api.sock", tmpdir);
        int lfd = bind_unix(sock_path, true);
        if (pthread_create(&t, NULL, listener, (void *) (intptr_t) lfd) != 0)
                abort();
        pthread_detach(t);
}

static tessera_client *new_client(void) {
        tessera_client *c = NULL;
        if (tessera_client_new(sock_path, &c) < 0 || !c)
                abort();
        return c;
}

static int token_err(tessera_client *c, const char *account) {
        tessera_token *t = NULL;
        int r = tessera_get_token(c, account, 0, &t);
        CHECK(r < 0 ? t == NULL : t != NULL);
        tessera_token_free(t);
        return r;
}

static void test_token(void) {
        tessera_client *c = new_client();
        tessera_token *t = NULL;

        CHECK_EQ(tessera_get_token(c, NULL, 0, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-abc123") == 0);
                CHECK_EQ(tessera_token_expires_at(t), 1700000000);
                CHECK(strcmp(tessera_token_tenant(t), "12345") == 0);
                CHECK(strcmp(tessera_token_type(t), "Bearer") == 0);
                CHECK(strcmp(tessera_token_scope(t), "openid giponext.agenda") == 0);
        }
        t = tessera_token_free(t);
        CHECK(t == NULL);

        CHECK_EQ(tessera_get_token(c, "default", 60, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-mv60") == 0);
                CHECK(strcmp(tessera_token_tenant(t), "t-1") == 0);
                CHECK(strcmp(tessera_token_type(t), "Bearer") == 0);
                CHECK(tessera_token_scope(t) == NULL);
        }
        t = tessera_token_free(t);

        CHECK_EQ(tessera_get_token(c, "chunked", 0, &t), 0);
        if (t) {
                CHECK(strcmp(tessera_token_value(t), "tok-ch") == 0);
                CHECK_EQ(tessera_token_expires_at(t), 42);
                CHECK(strcmp(tessera_token_tenant(t), "t-9") == 0);
        }
        tessera_token_free(t);

        /* NULL-safe accessors and destructors. */
        CHECK(tessera_token_value(NULL) == NULL);
        CHECK(tessera_token_free(NULL) == NULL);
        CHECK(tessera_client_free(NULL) == NULL);
        CHECK(tessera_free(NULL) == NULL);
        tessera_client_free(c);
}

static void test_errors(void) {
        tessera_client *c = new_client();

        CHECK_EQ(token_err(c, "nologin"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(token_err(c, "forbid"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(token_err(c, "tenant"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(token_err(c, "missing"), TESSERA_E_NO_ACCOUNT);
        CHECK_EQ(token_err(c, "idp"), TESSERA_E_IDP_UNAVAILABLE);
        CHECK_EQ(token_err(c, "busy"), TESSERA_E_BUSY);
        CHECK_EQ(token_err(c, "bad"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(c, "oops"), TESSERA_E_FAILED);
        CHECK_EQ(token_err(c, "plain401"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(token_err(c, "garbage"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "notoken"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "noexpiry"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "spacetoken"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "badhttp"), TESSERA_E_PROTOCOL);
        CHECK_EQ(token_err(c, "huge"), TESSERA_E_PROTOCOL);
        /* Fresh connection closed without an answer: no retry, no hang. */
        CHECK_EQ(token_err(c, "dropall"), TESSERA_E_UNAVAILABLE);

        /* Client-side validation: no request is sent. */
        int before = atomic_load(&n_accepted);
        tessera_client *fresh = new_client();
        CHECK_EQ(token_err(fresh, ""), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "a/b"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "../x"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "a b"), TESSERA_E_INVALID);
        CHECK_EQ(token_err(fresh, "x?y"), TESSERA_E_INVALID);
        char longname[66];
        memset(longname, 'a', 65);
        longname[65] = 0;
        CHECK_EQ(token_err(fresh, longname), TESSERA_E_INVALID);
        longname[64] = 0;
        CHECK(tessera_account_name_is_valid(longname));
        CHECK(tessera_account_name_is_valid("A-z_0.9"));
        CHECK(!tessera_account_name_is_valid(NULL));
        CHECK(!tessera_account_name_is_valid("é"));
        int st = 0;
        char *body = NULL;
        CHECK_EQ(tessera_request(fresh, "get", "/v1/status", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "v1/status", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/v1/a b", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/v1/a\r\nX: y", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(fresh, "GET", "/", NULL, 0, NULL, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_request(NULL, "GET", "/", NULL, 0, &st, &body), TESSERA_E_INVALID);
        CHECK_EQ(tessera_client_set_timeout(fresh, 0), TESSERA_E_INVALID);
        CHECK_EQ(tessera_get_token(NULL, NULL, 0, &(tessera_token *) { NULL }), TESSERA_E_INVALID);
        CHECK_EQ(atomic_load(&n_accepted), before);
        tessera_client_free(fresh);

        tessera_client_free(c);
}

static void test_request(void) {
        tessera_client *c = new_client();
        char *body = NULL;
        int st = 0;

        CHECK_EQ(tessera_request(c, "GET", "/echo/x?y=1", NULL, 0, &st, &body), 0);
        CHECK_EQ(st, 200);
        CHECK(body && strcmp(body, "/echo/x?y=1") == 0);
        body = tessera_free(body);

        CHECK_EQ(tessera_request(c, "POST", "/echo", "{\"flow\":\"device\"}", 0, &st, &body), 0);
        CHECK_EQ(st, 200);
        CHECK(body && strcmp(body, "{\"flow\":\"device\"}") == 0);
        body = tessera_free(body);

        /* Any complete answer is a success of tessera_request itself. */
        CHECK_EQ(tessera_request(c, "GET", "/teapot", NULL, 0, &st, &body), 0);
        CHECK_EQ(st, 418);
        body = tessera_free(body);
        CHECK_EQ(tessera_request(c, "GET", "/teapot", NULL, 0, &st, NULL), 0);

        /* A body with a NUL cannot be handed out as a C string. */
        CHECK_EQ(tessera_request(c, "GET", "/nul", NULL, 0, &st, &body), TESSERA_E_PROTOCOL);
        CHECK(body == NULL);

        tessera_client_free(c);
}

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

static void test_unavailable(void) {
        tessera_client *c = NULL;
        char path[PATH_MAX + 200];

        snprintf(path, sizeof(path), "%s/nothing-here.sock", tmpdir);
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), path) == 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_UNAVAILABLE);
        c = tessera_client_free(c);

        /* A socket file nobody listens on: ECONNREFUSED. */
        snprintf(path, sizeof(path), "%s/dead.sock", tmpdir);
        int fd = bind_unix(path, false);
        close(fd);
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_UNAVAILABLE);
        unlink(path);
        c = tessera_client_free(c);

        /* A path that does not fit sun_path. */
        memset(path, 'x', 200);
        path[0] = '/';
        path[200] = 0;
        CHECK_EQ(tessera_client_new(path, &c), 0);
        CHECK_EQ(token_err(c, NULL), TESSERA_E_INVALID);
        c = tessera_client_free(c);

        /* $TESSERA_SOCKET, then the default. */
        setenv("TESSERA_SOCKET", sock_path, 1);
        CHECK_EQ(tessera_client_new(NULL, &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), sock_path) == 0);
        CHECK_EQ(token_err(c, NULL), 0);
        c = tessera_client_free(c);
        unsetenv("TESSERA_SOCKET");
        CHECK_EQ(tessera_client_new("", &c), 0);
        CHECK(strcmp(tessera_client_get_socket_path(c), TESSERA_DEFAULT_SOCKET) == 0);
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

static void test_strerror_and_mapping(void) {
        int codes[] = { TESSERA_E_INVALID, TESSERA_E_LOGIN_REQUIRED, TESSERA_E_FORBIDDEN, TESSERA_E_NO_ACCOUNT,
                        TESSERA_E_UNAVAILABLE, TESSERA_E_IDP_UNAVAILABLE, TESSERA_E_TIMEOUT, TESSERA_E_PROTOCOL,
                        TESSERA_E_NOMEM, TESSERA_E_BUSY, TESSERA_E_FAILED, TESSERA_E_TOO_LARGE };

        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
                CHECK(codes[i] < 0);
                CHECK(strcmp(tessera_strerror(codes[i]), tessera_strerror(-12345)) != 0);
                for (size_t j = 0; j < i; j++)
                        CHECK(codes[i] != codes[j]);
        }

        CHECK_EQ(tessera_error_from_http(200, NULL), 0);
        CHECK_EQ(tessera_error_from_http(202, "ignored"), 0);
        CHECK_EQ(tessera_error_from_http(401, "login_required"), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(tessera_error_from_http(403, "forbidden"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(tessera_error_from_http(403, "tenant_not_allowed"), TESSERA_E_FORBIDDEN);
        CHECK_EQ(tessera_error_from_http(404, "no_such_account"), TESSERA_E_NO_ACCOUNT);
        CHECK_EQ(tessera_error_from_http(503, "idp_unavailable"), TESSERA_E_IDP_UNAVAILABLE);
        CHECK_EQ(tessera_error_from_http(409, "login_in_progress"), TESSERA_E_BUSY);
        CHECK_EQ(tessera_error_from_http(400, "bad_request"), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(413, "payload_too_large"), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(413, NULL), TESSERA_E_INVALID);
        CHECK_EQ(tessera_error_from_http(401, NULL), TESSERA_E_LOGIN_REQUIRED);
        CHECK_EQ(tessera_error_from_http(500, NULL), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(302, NULL), TESSERA_E_PROTOCOL);
        /* The gateway's codes: a busy gateway is not an IdP outage. */
        CHECK_EQ(tessera_error_from_http(503, "api_busy"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(502, "api_unavailable"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(429, "rate_limited"), TESSERA_E_FAILED);
        CHECK_EQ(tessera_error_from_http(504, "api_timeout"), TESSERA_E_TIMEOUT);
        CHECK_EQ(tessera_error_from_http(503, NULL), TESSERA_E_IDP_UNAVAILABLE);
}

/* ---- gateway ---- */

static tessera_response *call(tessera_client *c, const char *account, const char *method, const char *path,
                              const char *body, size_t body_len, const char *type, unsigned wait_s) {
        tessera_response *r = NULL;
        int k = tessera_api_call(c, account, method, path, body, body_len, type, wait_s, 0, &r);
        if (k != 0) {
                fprintf(stderr, "tessera_api_call(%s %s): %s\n", method, path, tessera_strerror(k));
                failures++;
        }
        return r;
}

static bool header_is(const tessera_response *r, const char *name, const char *want) {
        const char *v = tessera_response_header(r, name);
        if (v && strcmp(v, want) == 0)
                return true;
        fprintf(stderr, "header %s: \"%s\", expected \"%s\"\n", name, v ? v : "(none)", want);
        return false;
}

static void test_api_mapping(void) {
        tessera_client *c = new_client();
        tessera_response *r;

        /* "/..." is an API path, anything else is below the tenant. */
        r = call(c, NULL, "GET", "/v2/userinfo", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 200);
                CHECK(header_is(r, "X-Seen-Method", "GET"));
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/api/v2/userinfo"));
                CHECK(header_is(r, "X-Seen-Type", "-"));
                CHECK(header_is(r, "X-Seen-Wait", "-"));
                CHECK(header_is(r, "X-Seen-Length", "-"));
        }
        tessera_response_free(r);

        r = call(c, "lab", "GET", "patients?limit=10&q=a%20b", NULL, 0, NULL, 0);
        if (r)
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/lab/tenant/patients?limit=10&q=a%20b"));
        tessera_response_free(r);

        /* Dots are fine inside names and in the query. */
        r = call(c, "default", "GET", "/v2/files/a..b/.x?next=../y", NULL, 0, NULL, 0);
        if (r)
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/api/v2/files/a..b/.x?next=../y"));
        tessera_response_free(r);

        /* Method, body, Content-Type and Tessera-Wait arrive as sent. */
        const char json[] = "{\"name\":\"Rossi\"}";
        r = call(c, NULL, "POST", "patients", json, strlen(json), NULL, 5);
        if (r) {
                size_t len = 0;
                const char *b = tessera_response_body(r, &len);
                CHECK(header_is(r, "X-Seen-Method", "POST"));
                CHECK(header_is(r, "X-Seen-Path", "/v1/accounts/default/tenant/patients"));
                CHECK(header_is(r, "X-Seen-Type", "application/json"));
                CHECK(header_is(r, "X-Seen-Wait", "5"));
                CHECK(header_is(r, "X-Seen-Length", "16"));
                CHECK(len == strlen(json) && memcmp(b, json, len) == 0 && b[len] == '\0');
        }
        tessera_response_free(r);

        /* Any bytes, NULs included, both ways; another type; any token method. */
        char bin[70000];
        for (size_t i = 0; i < sizeof(bin); i++)
                bin[i] = (char) (i % 7 == 0 ? 0 : i);
        r = call(c, NULL, "PATCH", "/v2/blob", bin, sizeof(bin), "application/octet-stream", 0);
        if (r) {
                size_t len = 0;
                const char *b = tessera_response_body(r, &len);
                CHECK(header_is(r, "X-Seen-Method", "PATCH"));
                CHECK(header_is(r, "X-Seen-Type", "application/octet-stream"));
                CHECK(len == sizeof(bin) && memcmp(b, bin, len) == 0);
        }
        tessera_response_free(r);

        r = call(c, NULL, "PROPFIND", "/v2/x", "a", 1, "text/plain; charset=utf-8", 300);
        if (r) {
                CHECK(header_is(r, "X-Seen-Method", "PROPFIND"));
                CHECK(header_is(r, "X-Seen-Type", "text/plain; charset=utf-8"));
                CHECK(header_is(r, "X-Seen-Wait", "300"));
        }
        tessera_response_free(r);

        /* No body: no Content-Length on GET, 0 on DELETE; an empty body is a body. */
        r = call(c, NULL, "DELETE", "patients/7", NULL, 0, NULL, 0);
        if (r) {
                CHECK(header_is(r, "X-Seen-Length", "0"));
                CHECK(header_is(r, "X-Seen-Type", "-"));
        }
        tessera_response_free(r);
        r = call(c, NULL, "PUT", "patients/7", "", 0, NULL, 0);
        if (r) {
                CHECK(header_is(r, "X-Seen-Length", "0"));
                CHECK(header_is(r, "X-Seen-Type", "application/json"));
        }
        tessera_response_free(r);

        /* The simple call: status and body. */
        int st = 0;
        char *body = NULL;
        size_t blen = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "POST", "/v2/echo", "hello", 5, "text/plain", 0, 0, &st, &body, &blen), 0);
        CHECK_EQ(st, 200);
        CHECK(body && blen == 5 && strcmp(body, "hello") == 0);
        body = tessera_free(body);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/v2/echo", NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);

        /* A path of exactly the maximum length goes through. */
        char *longpath = malloc(TESSERA_API_MAX_PATH + 2);
        memset(longpath, 'a', TESSERA_API_MAX_PATH + 1);
        longpath[0] = '/';
        longpath[TESSERA_API_MAX_PATH] = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "GET", longpath, NULL, 0, NULL, 0, 0, &st, NULL, NULL), 0);
        CHECK_EQ(st, 200);
        longpath[TESSERA_API_MAX_PATH] = 'a';
        longpath[TESSERA_API_MAX_PATH + 1] = 0;
        CHECK_EQ(tessera_api_request(c, NULL, "GET", longpath, NULL, 0, NULL, 0, 0, &st, NULL, NULL), TESSERA_E_INVALID);
        free(longpath);

        tessera_client_free(c);
}

static void test_api_validation(void) {
        static const char *bad_paths[] = {
                "", "?x", "/a b", "/a\r\nX: y", "/a\tb", "/a#frag", "/a/../b", "/..", "/a/.", "..", "./x",
                "x/%2e%2E/y", "/%2e", "/a%2", "/a%zz", "/a%", "/\xc3\xa9", "/a\"b", "/a<b>", "/a\\b", "/a{b}",
                "/a|b", "/a^b", "/a`b", "/a[0]", "/", "//x", "/?x",
        };
        tessera_client *c = new_client();
        int before = atomic_load(&n_accepted), st = 0;
        tessera_response *r = NULL;
        char *body = NULL;

        for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
                int k = tessera_api_call(c, NULL, "GET", bad_paths[i], NULL, 0, NULL, 0, 0, &r);
                if (k != TESSERA_E_INVALID) {
                        fprintf(stderr, "path \"%s\": %d, expected TESSERA_E_INVALID\n", bad_paths[i], k);
                        failures++;
                }
                CHECK(r == NULL);
        }
        CHECK_EQ(tessera_api_call(c, NULL, "G T", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET\r\n", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, NULL, "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", NULL, NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, "a/b", "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, "", "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", "/x", NULL, 0, NULL, TESSERA_API_MAX_WAIT + 1, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", NULL, 5, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", "a", 1, "text/plain\r\nX: y", 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "POST", "/x", "a", 1, "", 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(c, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, NULL), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_call(NULL, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, &r), TESSERA_E_INVALID);
        CHECK_EQ(tessera_api_request(c, NULL, "GET", "/x", NULL, 0, NULL, 0, 0, NULL, &body, NULL), TESSERA_E_INVALID);
        CHECK(r == NULL && body == NULL);

        /* Over the request limit: refused before anything is sent (the
         * buffer is never read, so it need not be initialised). */
        char *huge = malloc((size_t) TESSERA_API_MAX_REQUEST + 1);
        CHECK(huge != NULL);
        CHECK_EQ(tessera_api_request(c, NULL, "POST", "/x", huge, (size_t) TESSERA_API_MAX_REQUEST + 1, NULL, 0, 0,
                                     &st, NULL, NULL), TESSERA_E_TOO_LARGE);
        free(huge);

        CHECK_EQ(tessera_client_set_max_response(c, (size_t) TESSERA_API_MAX_RESPONSE_LIMIT + 1), TESSERA_E_INVALID);
        CHECK_EQ(tessera_client_set_max_response(NULL, 10), TESSERA_E_INVALID);
        CHECK_EQ(atomic_load(&n_accepted), before);

        /* NULL-safe accessors. */
        CHECK(tessera_response_free(NULL) == NULL);
        CHECK(tessera_response_body(NULL, NULL) == NULL);
        CHECK(tessera_response_header(NULL, "x") == NULL);
        CHECK(tessera_response_head(NULL) == NULL);
        CHECK_EQ(tessera_response_status(NULL), 0);
        CHECK_EQ(tessera_response_retry_after(NULL), -1);
        CHECK(strcmp(tessera_strerror(TESSERA_E_TOO_LARGE), tessera_strerror(-12345)) != 0);
        tessera_client_free(c);
}

static void test_api_responses(void) {
        tessera_client *c = new_client();
        tessera_response *r;
        size_t len = 0;

        /* Upstream statuses and headers pass through as they are. */
        int statuses[] = { 201, 204, 304, 400, 403, 404, 409, 422, 500, 502, 503 };
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
                char path[64], want[64];
                snprintf(path, sizeof(path), "/v2/status/%d", statuses[i]);
                r = call(c, NULL, "GET", path, NULL, 0, NULL, 0);
                if (!r)
                        continue;
                CHECK_EQ(tessera_response_status(r), statuses[i]);
                const char *b = tessera_response_body(r, &len);
                if (statuses[i] == 204 || statuses[i] == 304)
                        CHECK(len == 0 && b && b[0] == '\0');
                else {
                        snprintf(want, sizeof(want), "upstream %d", statuses[i]);
                        CHECK(strcmp(b, want) == 0);
                }
                CHECK(header_is(r, "etag", "\"v1\""));
                CHECK(header_is(r, "LINK", "<https://api.example/next>; rel=\"next\""));
                CHECK(header_is(r, "Content-Type", "text/plain"));
                CHECK_EQ(tessera_response_retry_after(r), 7);
                CHECK(tessera_response_header(r, "X-Absent") == NULL);
                snprintf(want, sizeof(want), "HTTP/1.1 %d Status %d\r\n", statuses[i], statuses[i]);
                CHECK(strncmp(tessera_response_head(r), want, strlen(want)) == 0);
                CHECK(strstr(tessera_response_head(r), "\r\nETag: \"v1\"\r\n") != NULL);
                CHECK(strstr(tessera_response_head(r), "\r\n\r\n") == NULL);
                tessera_response_free(r);
        }

        /* The daemon's own 429. */
        r = call(c, NULL, "GET", "/v2/ratelimited", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 429);
                CHECK_EQ(tessera_response_retry_after(r), 3);
                CHECK(strstr(tessera_response_body(r, NULL), "rate_limited") != NULL);
        }
        tessera_response_free(r);

        /* Retry-After as an HTTP date, in the past, and unreadable. */
        static const struct {
                const char *path;
                int64_t lo, hi;
        } retries[] = {
                { "/v2/retry/+100", 95, 100 },
                { "/v2/retry/-100", 0, 0 },
                { "/v2/retry/120", 120, 120 },
                { "/v2/retry/soon", -1, -1 },
                { "/v2/retry/12a", -1, -1 },
                { "/v2/retry/Sun,_06_Foo_1994_08:49:37_GMT", -1, -1 },
                { "/v2/retry/Sun,_06_Nov_1994_08:49:37_GMT", 0, 0 },
                { "/v2/retry/99999999999999999999", 366 * 86400, INT64_MAX },
        };
        for (size_t i = 0; i < sizeof(retries) / sizeof(retries[0]); i++) {
                r = call(c, NULL, "GET", retries[i].path, NULL, 0, NULL, 0);
                int64_t v = tessera_response_retry_after(r);
                if (v < retries[i].lo || v > retries[i].hi) {
                        fprintf(stderr, "%s: Retry-After %lld\n", retries[i].path, (long long) v);
                        failures++;
                }
                tessera_response_free(r);
        }

        /* Chunked, with an extension and a trailer. */
        r = call(c, NULL, "GET", "/v2/chunked", NULL, 0, NULL, 0);
        if (r) {
                const char *b = tessera_response_body(r, &len);
                CHECK(len == 9 && strcmp(b, "[1,2,3,4]") == 0);
                CHECK(header_is(r, "Content-Type", "application/json"));
        }
        tessera_response_free(r);

        /* HEAD: no body even though a length is announced. */
        r = call(c, NULL, "HEAD", "/v2/echo", NULL, 0, NULL, 0);
        if (r) {
                CHECK_EQ(tessera_response_status(r), 200);
                (void) tessera_response_body(r, &len);
                CHECK_EQ(len, 0);
        }
        tessera_response_free(r);

        /* The connection stays kept alive across gateway calls. */
        int before = atomic_load(&n_accepted);
        for (int i = 0; i < 20; i++)
                tessera_response_free(call(c, NULL, "GET", "/v2/chunked", NULL, 0, NULL, 0));
        CHECK(atomic_load(&n_accepted) - before <= 1);

        tessera_client_free(c);
}

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

        test_token();
        test_errors();
        test_request();
        test_keepalive();
        test_stale_retry();
        test_timeout();
        test_unavailable();
        test_threads();
        test_strerror_and_mapping();
        test_api_mapping();
        test_api_validation();
        test_api_responses();
        test_api_large();
        test_api_replay_and_timeout();

        unlink(sock_path);
        rmdir(tmpdir);

        if (failures) {
                fprintf(stderr, "test-libtessera: %d check(s) failed\n", failures);
                return 1;
        }
        printf("test-libtessera: ok\n");
        return 0;
}
