/* SPDX-License-Identifier: MIT */

/* The fake tesserad's server side: a listener thread that accepts and
 * counts connections, one thread per connection that reads requests and
 * hands them to route(); and what the tests need to use it. */

#include <errno.h>
#include <limits.h>
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

#include "fake-daemon-routes.h"
#include "fake-daemon.h"

int failures;

char tmpdir[PATH_MAX];
char sock_path[PATH_MAX + 16];
atomic_int n_accepted;
atomic_int drop_reused;
atomic_int close_after_answer;
atomic_int n_posts;

int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

int bind_unix(const char *path, bool do_listen) {
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

void start_server(void) {
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

int stop_server(const char *test_name) {
        unlink(sock_path);
        rmdir(tmpdir);

        if (failures) {
                fprintf(stderr, "%s: %d check(s) failed\n", test_name, failures);
                return 1;
        }
        printf("%s: ok\n", test_name);
        return 0;
}

tessera_client *new_client(void) {
        tessera_client *c = NULL;
        if (tessera_client_new(sock_path, &c) < 0 || !c)
                abort();
        return c;
}

int token_err(tessera_client *c, const char *account) {
        tessera_token *t = NULL;
        int r = tessera_get_token(c, account, 0, &t);
        CHECK(r < 0 ? t == NULL : t != NULL);
        tessera_token_free(t);
        return r;
}
