/* SPDX-License-Identifier: MIT */
/* curl-glue and http-fetch against a small HTTP/1.1 server that lives in
 * the same sd-event loop, on 127.0.0.1 with an ephemeral port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "idp/http-fetch.h"
#include "idp/oauth.h"
#include "util/secret.h"
#include "tests.h"

/* ---- the server ---- */

#define MAX_CONNS 256
#define IN_MAX 65536

typedef struct server server;

typedef struct conn {
        server *srv;
        int fd;
        sd_event_source *io;
        char in[IN_MAX];
        size_t in_len;
        char *out;
        size_t out_len, out_off;
        bool close_after_write;
} conn;

struct server {
        sd_event *event;
        int fd;
        sd_event_source *io;
        uint16_t port;
        unsigned n_accepts;
        unsigned n_requests;
        unsigned n_open;
        unsigned n_discovery;
        char last_head[8192];
        char last_body[8192];
        size_t last_body_len;
        conn *conns[MAX_CONNS];
};

static void conn_free(conn *c) {
        server *s = c->srv;

        for (size_t i = 0; i < MAX_CONNS; i++)
                if (s->conns[i] == c)
                        s->conns[i] = NULL;
        sd_event_source_disable_unref(c->io);
        close(c->fd);
        free(c->out);
        free(c);
        s->n_open--;
}

static int conn_flush(conn *c) {
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN)
                                return sd_event_source_set_io_events(c->io, EPOLLIN | EPOLLOUT);
                        return -errno;
                }
                c->out_off += (size_t) n;
        }
        free(c->out);
        c->out = NULL;
        c->out_len = c->out_off = 0;
        if (c->close_after_write)
                return -ECONNRESET;     /* tells the caller to close */
        return sd_event_source_set_io_events(c->io, EPOLLIN);
}

static void conn_queue(conn *c, const char *data, size_t n) {
        char *p = realloc(c->out, c->out_len + n);

        if (!p)
                abort();
        memcpy(p + c->out_len, data, n);
        c->out = p;
        c->out_len += n;
}

static void respond(conn *c, const char *status, const char *extra_headers, const char *body, size_t body_len) {
        char head[1024];

        snprintf(head, sizeof head,
                 "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                 status, body_len, extra_headers ?: "");
        conn_queue(c, head, strlen(head));
        conn_queue(c, body, body_len);
}

static void respond_big(conn *c, size_t n, bool with_length) {
        char head[256];
        char *body = malloc(n ?: 1);

        if (!body)
                abort();
        memset(body, 'x', n);
        if (with_length)
                snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
        else {
                /* Length unknown up front: only the write callback's cap
                 * can stop it. */
                snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                c->close_after_write = true;
        }
        conn_queue(c, head, strlen(head));
        conn_queue(c, body, n);
        free(body);
}

/* Returns false to keep the connection silent (never answered). */
static bool handle_request(conn *c, const char *head, const char *body, size_t body_len) {
        server *s = c->srv;
        char method[16], path[512];
        char date[64], extra[128];
        time_t t;

        s->n_requests++;
        snprintf(s->last_head, sizeof s->last_head, "%s", head);
        s->last_body_len = MIN(body_len, sizeof s->last_body - 1);
        memcpy(s->last_body, body, s->last_body_len);
        s->last_body[s->last_body_len] = '\0';

        if (sscanf(head, "%15s %511s", method, path) != 2) {
                respond(c, "400 Bad Request", NULL, "", 0);
                return true;
        }

        if (startswith(path, "/json")) {
                char b[600];
                snprintf(b, sizeof b, "{\"method\":\"%s\",\"path\":\"%s\"}", method, path);
                respond(c, "200 OK", NULL, b, strlen(b));
        } else if (startswith(path, "/big/"))
                respond_big(c, strtoul(path + 5, NULL, 10), true);
        else if (startswith(path, "/stream/"))
                respond_big(c, strtoul(path + 8, NULL, 10), false);
        else if (streq(path, "/retry-seconds"))
                respond(c, "429 Too Many Requests", "Retry-After: 120\r\n", "{}", 2);
        else if (streq(path, "/retry-huge"))
                respond(c, "503 Service Unavailable", "Retry-After: 99999999999999999999\r\n", "", 0);
        else if (streq(path, "/retry-date")) {
                struct tm tm;

                t = time(NULL) + 300;
                gmtime_r(&t, &tm);
                strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
                snprintf(extra, sizeof extra, "Retry-After: %s\r\n", date);
                respond(c, "503 Service Unavailable", extra, "<html>busy</html>", 17);
        } else if (streq(path, "/idp/.well-known/openid-configuration")) {
                char b[2048];

                s->n_discovery++;
                snprintf(b, sizeof b,
                         "{\"issuer\":\"http://127.0.0.1:%1$u/idp\","
                         "\"authorization_endpoint\":\"http://127.0.0.1:%1$u/idp/authorize\","
                         "\"token_endpoint\":\"http://127.0.0.1:%1$u/idp/token\","
                         "\"device_authorization_endpoint\":\"http://127.0.0.1:%1$u/idp/device\","
                         "\"revocation_endpoint\":\"http://127.0.0.1:%1$u/idp/revoke\","
                         "\"code_challenge_methods_supported\":[\"S256\"],\"claims_supported\":[\"sub\"]}",
                         s->port);
                respond(c, "200 OK", NULL, b, strlen(b));
        } else if (streq(path, "/down/.well-known/openid-configuration")) {
                s->n_discovery++;
                respond(c, "500 Internal Server Error", NULL, "", 0);
        } else if (streq(path, "/idp/token")) {
                static const char ok[] = "{\"access_token\":\"AT-new\",\"token_type\":\"Bearer\","
                        "\"expires_in\":60,\"refresh_token\":\"RT-new\",\"scope\":\"openid\"}";
                static const char bad[] = "{\"error\":\"invalid_grant\",\"error_description\":\"expired\"}";

                if (strstr(s->last_body, "refresh_token=RT-bad"))
                        respond(c, "400 Bad Request", NULL, bad, strlen(bad));
                else
                        respond(c, "200 OK", NULL, ok, strlen(ok));
        } else if (streq(path, "/idp/device")) {
                char b[512];

                snprintf(b, sizeof b, "{\"device_code\":\"DC\",\"user_code\":\"ABCD-EFGH\","
                         "\"verification_uri\":\"http://127.0.0.1:%u/idp/activate\",\"expires_in\":300}", s->port);
                respond(c, "200 OK", NULL, b, strlen(b));
        } else if (streq(path, "/idp/revoke"))
                respond(c, "200 OK", NULL, "", 0);
        else if (streq(path, "/api/userinfo")) {
                static const char ui[] = "{\"sub\":\"u1\",\"name\":\"Alice\",\"tenants\":[{\"id\":\"t1\",\"name\":\"Clinic\"}]}";

                if (strstr(head, "\r\nAuthorization: Bearer AT-new\r\n"))
                        respond(c, "200 OK", NULL, ui, strlen(ui));
                else
                        respond(c, "401 Unauthorized", "WWW-Authenticate: Bearer\r\n", "", 0);
        } else if (streq(path, "/no-retry"))
                respond(c, "404 Not Found", NULL, "", 0);
        else if (streq(path, "/hang"))
                return false;
        else
                respond(c, "404 Not Found", NULL, "", 0);
        return true;
}

/* Parses as many complete requests as the buffer holds. */
static void conn_process(conn *c) {
        for (;;) {
                char *end, *cl, head[8192];
                size_t head_len, body_len = 0;

                if (c->in_len == 0)
                        return;
                c->in[MIN(c->in_len, IN_MAX - 1)] = '\0';
                end = strstr(c->in, "\r\n\r\n");
                if (!end)
                        return;
                head_len = (size_t) (end - c->in) + 4;
                if (head_len >= sizeof head)
                        abort();
                memcpy(head, c->in, head_len);
                head[head_len] = '\0';
                cl = strcasestr(head, "\r\nContent-Length:");
                if (cl)
                        body_len = strtoul(cl + 17, NULL, 10);
                if (c->in_len < head_len + body_len)
                        return;

                if (!handle_request(c, head, c->in + head_len, body_len)) {
                        c->in_len = 0;  /* silent: swallow, never answer */
                        return;
                }
                memmove(c->in, c->in + head_len + body_len, c->in_len - head_len - body_len);
                c->in_len -= head_len + body_len;
        }
}

static int on_conn_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        conn *c = userdata;

        if (revents & EPOLLIN) {
                ssize_t n = recv(fd, c->in + c->in_len, IN_MAX - 1 - c->in_len, 0);
                if (n <= 0) {
                        if (n < 0 && errno == EAGAIN)
                                return 0;
                        conn_free(c);
                        return 0;
                }
                c->in_len += (size_t) n;
                conn_process(c);
        }
        if (c->out_len > 0 && conn_flush(c) < 0)
                conn_free(c);
        return 0;
}

static int on_accept(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        server *s = userdata;
        conn *c;
        int cfd;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
                return 0;
        s->n_accepts++;
        c = calloc(1, sizeof *c);
        if (!c)
                abort();
        c->srv = s;
        c->fd = cfd;
        if (sd_event_add_io(s->event, &c->io, cfd, EPOLLIN, on_conn_io, c) < 0)
                abort();
        for (size_t i = 0; i < MAX_CONNS; i++)
                if (!s->conns[i]) {
                        s->conns[i] = c;
                        break;
                }
        s->n_open++;
        return 0;
}

static void server_start(server *s, sd_event *e) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t l = sizeof sa;

        *s = (server) { .event = e };
        s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->fd < 0 || bind(s->fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            listen(s->fd, 128) < 0 || getsockname(s->fd, (struct sockaddr *) &sa, &l) < 0 ||
            sd_event_add_io(e, &s->io, s->fd, EPOLLIN, on_accept, s) < 0) {
                perror("server");
                exit(1);
        }
        s->port = ntohs(sa.sin_port);
}

static void server_stop(server *s) {
        for (size_t i = 0; i < MAX_CONNS; i++)
                if (s->conns[i])
                        conn_free(s->conns[i]);
        sd_event_source_disable_unref(s->io);
        close(s->fd);
}

/* ---- client side helpers ---- */

static sd_event *event;
static server srv;
static curl_glue *glue;

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

static void on_fetched(http_fetch *f, int error, const char *message,
                       const http_response *resp, void *userdata) {
        result *r = userdata;

        CHECK(!r->done);
        r->done = true;
        r->error = error;
        CHECK(error == 0 ? (resp && !message) : (!resp && message && *message));
        if (resp) {
                r->status = resp->status;
                r->body = malloc(resp->body_size + 1);
                if (r->body) {
                        memcpy(r->body, resp->body, resp->body_size);
                        r->body[resp->body_size] = '\0';
                }
                r->body_size = resp->body_size;
                CHECK(resp->body[resp->body_size] == '\0');
                r->has_retry_after = resp->has_retry_after;
                r->retry_after = resp->retry_after_sec;
                snprintf(r->content_type, sizeof r->content_type, "%s", strempty(resp->content_type));
        }
        if (r->counter)
                (*r->counter)++;
        if (r->victim)
                *r->victim = http_fetch_free(*r->victim);
        if (r->free_in_callback && r->fetch)
                *r->fetch = http_fetch_free(*r->fetch);
}

static void result_done(result *r) {
        free(r->body);
        *r = (result) {};
}

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Runs the loop until *flag or the deadline; true when *flag became set. */
static bool run_until(const bool *flag, uint64_t max_usec) {
        uint64_t end = now_usec() + max_usec;

        while (!*flag) {
                if (now_usec() > end)
                        return false;
                if (sd_event_run(event, 50 * USEC_PER_MSEC) < 0)
                        return false;
        }
        return true;
}

static void run_for(uint64_t usec) {
        bool never = false;
        (void) run_until(&never, usec);
}

static char *url(const char *path) {
        static char buf[8][256];
        static unsigned i;
        char *b = buf[i++ % 8];

        snprintf(b, 256, "http://127.0.0.1:%u%s", srv.port, path);
        return b;
}

static void fetch_sync(const http_request *req, result *r) {
        http_fetch *f = NULL;

        CHECK_R(http_fetch_start(glue, req, on_fetched, r, &f), 0);
        CHECK(run_until(&r->done, 20 * USEC_PER_SEC));
        http_fetch_free(f);
}

/* ---- tests ---- */

static void test_get(void) {
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/json/get"), .bearer_token = "tok.EN-1_~" };

        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.status == 200);
        CHECK(r.body && streq(r.body, "{\"method\":\"GET\",\"path\":\"/json/get\"}"));
        CHECK(streq(r.content_type, "application/json"));
        CHECK(!r.has_retry_after);
        CHECK(strstr(srv.last_head, "GET /json/get HTTP/1.1\r\n") == srv.last_head);
        CHECK(strstr(srv.last_head, "\r\nAuthorization: Bearer tok.EN-1_~\r\n"));
        CHECK(strstr(srv.last_head, "\r\nAccept: application/json\r\n"));
        CHECK(strstr(srv.last_head, "\r\nUser-Agent: tessera/" PACKAGE_VERSION "\r\n"));
        CHECK(!strcasestr(srv.last_head, "\r\nExpect:"));
        CHECK(srv.last_body_len == 0);
        result_done(&r);
}

static void test_post(void) {
        static const char form[] = "grant_type=authorization_code&code=a%2Fb%2Bc&code_verifier=v~v";
        result r = {};
        http_request req = {
                .method = HTTP_METHOD_POST,
                .url = url("/json/token"),
                .form_body = form,
                .basic_credentials = "bXkrYXBwJTNBMTpwJTJCc3M=",
        };

        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(r.status == 200);
        CHECK(r.body && strstr(r.body, "\"method\":\"POST\""));
        CHECK(strstr(srv.last_head, "POST /json/token HTTP/1.1\r\n") == srv.last_head);
        CHECK(strstr(srv.last_head, "\r\nAuthorization: Basic bXkrYXBwJTNBMTpwJTJCc3M=\r\n"));
        CHECK(strstr(srv.last_head, "\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
        CHECK(srv.last_body_len == strlen(form) && memcmp(srv.last_body, form, strlen(form)) == 0);
        result_done(&r);

        /* POST without a body still sends Content-Length: 0. */
        req = (http_request) { .method = HTTP_METHOD_POST, .url = url("/json/empty") };
        fetch_sync(&req, &r);
        CHECK_R(r.error, 0);
        CHECK(strcasestr(srv.last_head, "\r\nContent-Length: 0\r\n"));
        CHECK(!strstr(srv.last_head, "Authorization"));
        result_done(&r);
}

static void test_bad_requests(void) {
        http_fetch *f = NULL;
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = "ftp://127.0.0.1/x" };

        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.url = "file:///etc/passwd";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.url = url("/json");
        req.bearer_token = "abc\r\nX-Injected: 1";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req.bearer_token = "a";
        req.basic_credentials = "b";
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        req = (http_request) { .method = HTTP_METHOD_GET, .url = url("/json"), .form_body = "a=b" };
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &r, &f), -EINVAL);
        CHECK(!f);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

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

static void test_reuse(void) {
        unsigned before = srv.n_accepts;
        result r = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/json/seq") };

        /* A fresh glue has an empty connection cache. */
        glue = curl_glue_free(glue);
        CHECK_R(curl_glue_new(event, &glue), 0);

        for (int i = 0; i < 5; i++) {
                fetch_sync(&req, &r);
                CHECK_R(r.error, 0);
                CHECK(r.status == 200);
                result_done(&r);
        }
        CHECK(srv.n_accepts - before == 1);
        CHECK(srv.n_requests >= 5);
}

static void test_concurrent(void) {
        enum { N = 64 };
        http_fetch *f[N] = {};
        result r[N] = {};
        unsigned done = 0;
        bool all = false;
        char paths[N][32];

        for (int i = 0; i < N; i++) {
                http_request req = { .method = i % 2 ? HTTP_METHOD_POST : HTTP_METHOD_GET };

                snprintf(paths[i], sizeof paths[i], "/json/%d", i);
                req.url = url(paths[i]);
                if (i % 2)
                        req.form_body = "a=1";
                r[i].counter = &done;
                CHECK_R(http_fetch_start(glue, &req, on_fetched, &r[i], &f[i]), 0);
        }
        CHECK(curl_glue_n_transfers(glue) == N);

        for (uint64_t end = now_usec() + 20 * USEC_PER_SEC; done < N && now_usec() < end;)
                CHECK(sd_event_run(event, 50 * USEC_PER_MSEC) >= 0);
        all = done == N;
        CHECK(all);
        for (int i = 0; i < N; i++) {
                char expected[64];

                snprintf(expected, sizeof expected, "\"path\":\"/json/%d\"", i);
                CHECK(r[i].done && r[i].error == 0 && r[i].status == 200);
                CHECK(r[i].body && strstr(r[i].body, expected));
                http_fetch_free(f[i]);
                result_done(&r[i]);
        }
        CHECK(curl_glue_n_transfers(glue) == 0);
}

static void test_cancel(void) {
        http_fetch *hang = NULL, *quick = NULL, *self = NULL;
        result rh = {}, rq = {}, rs = {};
        http_request req = { .method = HTTP_METHOD_GET, .url = url("/hang") };
        unsigned before = srv.n_requests;

        /* Cancel while the server holds the request. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        for (uint64_t end = now_usec() + 5 * USEC_PER_SEC; srv.n_requests == before && now_usec() < end;)
                (void) sd_event_run(event, 50 * USEC_PER_MSEC);
        CHECK(srv.n_requests == before + 1);
        hang = http_fetch_free(hang);
        CHECK(curl_glue_n_transfers(glue) == 0);
        run_for(200 * USEC_PER_MSEC);
        CHECK(!rh.done);

        /* Cancel before the loop ever ran it. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        hang = http_fetch_free(hang);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!rh.done);

        /* One completion frees another fetch in flight, and one frees
         * itself from its callback. */
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rh, &hang), 0);
        rq.victim = &hang;
        req.url = url("/json/quick");
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rq, &quick), 0);
        rs.free_in_callback = true;
        rs.fetch = &self;
        req.url = url("/json/self");
        CHECK_R(http_fetch_start(glue, &req, on_fetched, &rs, &self), 0);

        CHECK(run_until(&rq.done, 10 * USEC_PER_SEC));
        CHECK(run_until(&rs.done, 10 * USEC_PER_SEC));
        CHECK(!hang);
        CHECK(!self);
        CHECK(rq.error == 0 && rs.error == 0);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!rh.done);
        quick = http_fetch_free(quick);
        CHECK(curl_glue_n_transfers(glue) == 0);
        result_done(&rh);
        result_done(&rq);
        result_done(&rs);
}

/* ---- discovery cache and OAuth operations over the same loop ---- */

typedef struct waited {
        bool done;
        int error;
        oidc_endpoints *e;
        discovery_waiter **self;
} waited;

static void on_discovered(discovery_waiter *w, int error, const char *message,
                          oidc_endpoints *endpoints, void *userdata) {
        waited *x = userdata;

        CHECK(!x->done);
        x->done = true;
        x->error = error;
        x->e = endpoints;
        CHECK(error < 0 ? (message && !endpoints) : !!endpoints);
        if (x->self)
                *x->self = discovery_waiter_free(*x->self);
}

static void test_discovery_cache(void) {
        char issuer[128], bad_issuer[128];
        conf_account a = { .issuer = issuer }, b = { .issuer = issuer };
        conf_account down = { .issuer = bad_issuer };
        discovery_cache *c = NULL;
        discovery_waiter *wa = NULL, *wb = NULL, *wc = NULL, *wd = NULL;
        oidc_endpoints *e = NULL;
        waited xa = {}, xb = {}, xc = {}, xd = {};
        unsigned before = srv.n_discovery;

        snprintf(issuer, sizeof issuer, "http://127.0.0.1:%u/idp", srv.port);
        snprintf(bad_issuer, sizeof bad_issuer, "http://127.0.0.1:%u/down/", srv.port);
        b.token_endpoint = (char *) "http://127.0.0.1:1/override";

        CHECK_R(discovery_cache_new(glue, &c), 0);

        /* Two accounts, one issuer: one fetch, two answers. */
        xa.self = &wa;
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xa, &e, &wa), 0);
        CHECK_R(discovery_cache_get(c, &b, on_discovered, &xb, &e, &wb), 0);
        /* A third waiter that gives up before the answer. */
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 0);
        wc = discovery_waiter_free(wc);
        CHECK(!e);
        CHECK(run_until(&xa.done, 10 * USEC_PER_SEC));
        CHECK(run_until(&xb.done, 10 * USEC_PER_SEC));
        CHECK(!xc.done);
        CHECK(srv.n_discovery - before == 1);
        CHECK(!wa);
        CHECK(xa.error == 0 && xb.error == 0);
        if (xa.e && xb.e) {
                char expected[160];

                snprintf(expected, sizeof expected, "http://127.0.0.1:%u/idp/token", srv.port);
                CHECK(streq(xa.e->token_endpoint, expected));
                CHECK(streq(xb.e->token_endpoint, "http://127.0.0.1:1/override"));
                CHECK(streq(xa.e->issuer, issuer));
                CHECK(xa.e->pkce_s256);
        }
        wb = discovery_waiter_free(wb);
        oidc_endpoints_free(xb.e);

        /* Now cached: answered at once, no callback, no request. */
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 1);
        CHECK(e && !wc && !xc.done);
        CHECK(srv.n_discovery - before == 1);
        e = oidc_endpoints_free(e);

        /* Failures are reported to every waiter and not cached. */
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        CHECK(run_until(&xd.done, 10 * USEC_PER_SEC));
        CHECK_R(xd.error, -EIO);
        wd = discovery_waiter_free(wd);
        xd = (waited) {};
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        CHECK(run_until(&xd.done, 10 * USEC_PER_SEC));
        CHECK(srv.n_discovery - before == 3);
        wd = discovery_waiter_free(wd);

        /* After invalidation (a reload) the next request fetches again. */
        discovery_cache_invalidate_all(c);
        xc = (waited) {};
        CHECK_R(discovery_cache_get(c, &a, on_discovered, &xc, &e, &wc), 0);
        CHECK(run_until(&xc.done, 10 * USEC_PER_SEC));
        CHECK(srv.n_discovery - before == 4);
        wc = discovery_waiter_free(wc);
        oidc_endpoints_free(xc.e);

        /* Freeing the cache with a fetch in flight. */
        xd = (waited) {};
        CHECK_R(discovery_cache_get(c, &down, on_discovered, &xd, &e, &wd), 0);
        c = discovery_cache_free(c);
        wd = discovery_waiter_free(wd);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!xd.done);

        /* Keep xa.e for the OAuth tests. */
        oidc_endpoints_free(xa.e);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

typedef struct op_result {
        bool done;
        int error;
        char code[64];
        long status;
        oauth_token *token;
        oauth_device_auth *device;
        oauth_userinfo *userinfo;
} op_result;

static void op_record_error(op_result *x, const oauth_error *error) {
        CHECK(!x->done);
        x->done = true;
        x->error = error ? error->error : 0;
        if (error) {
                CHECK(error->error < 0 && error->description);
                snprintf(x->code, sizeof x->code, "%s", strempty(error->code));
                x->status = error->http_status;
        }
}

static void on_token(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        op_record_error(userdata, error);
        CHECK(!error == !!token);
        ((op_result *) userdata)->token = token;
}

static void on_device(oauth_op *op, const oauth_error *error, oauth_device_auth *d, void *userdata) {
        op_record_error(userdata, error);
        ((op_result *) userdata)->device = d;
}

static void on_userinfo(oauth_op *op, const oauth_error *error, oauth_userinfo *u, void *userdata) {
        op_record_error(userdata, error);
        ((op_result *) userdata)->userinfo = u;
}

static void on_revoked(oauth_op *op, const oauth_error *error, void *userdata) {
        op_record_error(userdata, error);
}

static void test_oauth_ops(void) {
        char issuer[128], token_url[160], device_url[160], revoke_url[160], userinfo_url[160];
        char secret[] = "s e:c%ret";
        conf_account a = {
                .issuer = issuer,
                .client_id = (char *) "tessera app",
                .client_secret = secret,
                .client_auth = CLIENT_AUTH_BASIC,
                .scope = (char *) "openid offline_access",
        };
        oidc_endpoints e = {
                .issuer = issuer,
                .token_endpoint = token_url,
                .device_authorization_endpoint = device_url,
                .revocation_endpoint = revoke_url,
        };
        _cleanup_(secret_freep) char *basic = NULL;
        char expected_auth[256];
        oauth_op *op = NULL;
        op_result x = {};

        snprintf(issuer, sizeof issuer, "http://127.0.0.1:%u/idp", srv.port);
        snprintf(token_url, sizeof token_url, "http://127.0.0.1:%u/idp/token", srv.port);
        snprintf(device_url, sizeof device_url, "http://127.0.0.1:%u/idp/device", srv.port);
        snprintf(revoke_url, sizeof revoke_url, "http://127.0.0.1:%u/idp/revoke", srv.port);
        snprintf(userinfo_url, sizeof userinfo_url, "http://127.0.0.1:%u/api/userinfo", srv.port);
        CHECK_R(oauth_basic_credentials(a.client_id, a.client_secret, &basic), 0);
        snprintf(expected_auth, sizeof expected_auth, "\r\nAuthorization: Basic %s\r\n", basic);

        /* Code exchange with client_secret_basic. */
        CHECK_R(oauth_exchange_code(glue, &a, &e, "c/ode", "http://127.0.0.1:5555/callback", "verifier~1",
                                      on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, 0);
        CHECK(x.token && streq(x.token->access_token, "AT-new") && streq(x.token->refresh_token, "RT-new"));
        CHECK(x.token && x.token->expires_in == 60 && streq(x.token->scope, "openid"));
        CHECK(strstr(srv.last_head, expected_auth));
        CHECK(streq(srv.last_body, "grant_type=authorization_code&code=c%2Fode"
                                   "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback&code_verifier=verifier~1"));
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Refresh with client_secret_post; a rejected refresh token. */
        a.client_auth = CLIENT_AUTH_POST;
        CHECK_R(oauth_refresh(glue, &a, &e, "RT-bad", "openid", on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, -EACCES);
        CHECK(streq(x.code, "invalid_grant") && x.status == 400 && !x.token);
        CHECK(streq(srv.last_body, "grant_type=refresh_token&refresh_token=RT-bad"
                                   "&client_id=tessera+app&client_secret=s+e%3Ac%25ret"));
        CHECK(!strstr(srv.last_head, "Authorization:"));
        x = (op_result) {};

        CHECK_R(oauth_refresh(glue, &a, &e, "RT-good", NULL, on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.token);
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Device authorization and one poll. */
        a.client_auth = CLIENT_AUTH_BASIC;
        CHECK_R(oauth_device_authorize(glue, &a, &e, on_device, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.device && streq(x.device->user_code, "ABCD-EFGH") && x.device->interval == 5);
        CHECK(streq(srv.last_body, "client_id=tessera+app&scope=openid+offline_access"));
        CHECK(strstr(srv.last_head, expected_auth));
        x.device = oauth_device_auth_free(x.device);
        x = (op_result) {};

        CHECK_R(oauth_device_poll(glue, &a, &e, "DC", on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.token);
        CHECK(streq(srv.last_body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=DC"));
        x.token = oauth_token_free(x.token);
        x = (op_result) {};

        /* Revocation. */
        CHECK_R(oauth_revoke(glue, &a, &e, "RT-new", "refresh_token", on_revoked, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK_R(x.error, 0);
        CHECK(streq(srv.last_body, "token=RT-new&token_type_hint=refresh_token"));
        x = (op_result) {};

        /* Userinfo with the right and a wrong bearer token. */
        CHECK_R(oauth_fetch_userinfo(glue, userinfo_url, "AT-new", on_userinfo, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == 0 && x.userinfo && x.userinfo->n_tenants == 1 && streq(x.userinfo->tenants[0].id, "t1"));
        x.userinfo = oauth_userinfo_free(x.userinfo);
        x = (op_result) {};

        CHECK_R(oauth_fetch_userinfo(glue, userinfo_url, "AT-old", on_userinfo, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == -EACCES && x.status == 401 && !x.userinfo);
        x = (op_result) {};

        /* Missing endpoints, and cancelling an operation in flight. */
        e.device_authorization_endpoint = NULL;
        e.revocation_endpoint = NULL;
        CHECK_R(oauth_device_authorize(glue, &a, &e, on_device, &x, &op), -EOPNOTSUPP);
        CHECK_R(oauth_revoke(glue, &a, &e, "t", NULL, on_revoked, &x, &op), -EOPNOTSUPP);
        CHECK_R(oauth_exchange_code(glue, &a, &e, "c", "http://127.0.0.1/cb", "v", on_token, &x, &op), 0);
        op = oauth_op_free(op);
        run_for(100 * USEC_PER_MSEC);
        CHECK(!x.done);

        /* A transport failure reaches the callback as an oauth_error. */
        e.token_endpoint = (char *) "http://127.0.0.1:1/token";
        CHECK_R(oauth_refresh(glue, &a, &e, "RT", NULL, on_token, &x, &op), 0);
        CHECK(run_until(&x.done, 10 * USEC_PER_SEC));
        op = oauth_op_free(op);
        CHECK(x.error == -ECONNREFUSED && x.status == 0 && !x.token);
        CHECK(curl_glue_n_transfers(glue) == 0);
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }
        /* The test talks to its own loopback server only. */
        unsetenv("http_proxy");
        unsetenv("HTTP_PROXY");
        unsetenv("https_proxy");
        unsetenv("HTTPS_PROXY");
        unsetenv("all_proxy");
        unsetenv("ALL_PROXY");

        CHECK_R(sd_event_new(&event), 0);
        server_start(&srv, event);
        CHECK_R(curl_glue_new(event, &glue), 0);

        test_get();
        test_post();
        test_bad_requests();
        test_body_cap();
        test_timeout();
        test_refused();
        test_retry_after();
        test_reuse();
        test_concurrent();
        test_cancel();
        test_discovery_cache();
        test_oauth_ops();

        glue = curl_glue_free(glue);
        /* Let the server see the cached connections close. */
        run_for(100 * USEC_PER_MSEC);
        server_stop(&srv);
        sd_event_unref(event);

        printf("test-http-fetch: all checks passed\n");
        return 0;
}
