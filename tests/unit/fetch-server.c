/* SPDX-License-Identifier: MIT */
/* The http-fetch tests' loopback HTTP/1.1 server (fetch-server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fetch-server.h"
#include "util/util.h"

#define IN_MAX 65536

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

void server_start(server *s, sd_event *e) {
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

void server_stop(server *s) {
        for (size_t i = 0; i < MAX_CONNS; i++)
                if (s->conns[i])
                        conn_free(s->conns[i]);
        sd_event_source_disable_unref(s->io);
        close(s->fd);
}
