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

/* Returns false when the connection must be closed. */
static bool route(int fd, const char *method, const char *path, const char *body, unsigned served) {
        const char *tok_prefix = "/v1/accounts/";
        char account[80] = "";

        if (served >= 2 && atomic_exchange(&drop_reused, 0))
                return false;

        if (strncmp(path, tok_prefix, strlen(tok_prefix)) == 0) {
                const char *a = path + strlen(tok_prefix), *slash = strchr(a, '/');
                if (slash && (size_t) (slash - a) < sizeof(account))
                        memcpy(account, a, (size_t) (slash - a));
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

        return !atomic_load(&close_after_answer);
}

static void *conn_thread(void *arg) {
        int fd = (int) (intptr_t) arg;
        char buf[16384];
        size_t len = 0;
        unsigned served = 0;

        for (;;) {
                char *end;
                ssize_t k;

                buf[len] = 0;
                end = strstr(buf, "\r\n\r\n");
                if (!end) {
                        if (len >= sizeof(buf) - 1)
                                break;
                        k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
                        if (k <= 0)
                                break;
                        len += (size_t) k;
                        continue;
                }

                size_t head_len = (size_t) (end - buf) + 4, body_len = 0;
                for (char *l = strstr(buf, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n"))
                        if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
                                body_len = strtoul(l + 17, NULL, 10);
                if (head_len + body_len >= sizeof(buf))
                        break;
                while (len < head_len + body_len) {
                        k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
                        if (k <= 0)
                                goto out;
                        len += (size_t) k;
                }

                char method[16] = "", path[1024] = "", body[4096];
                if (sscanf(buf, "%15s %1023s", method, path) != 2)
                        break;
                if (body_len >= sizeof(body))
                        break;
                memcpy(body, buf + head_len, body_len);
                body[body_len] = 0;

                memmove(buf, buf + head_len + body_len, len - head_len - body_len);
                len -= head_len + body_len;

                if (!route(fd, method, path, body, ++served))
                        break;
        }
out:
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
                        TESSERA_E_NOMEM, TESSERA_E_BUSY, TESSERA_E_FAILED };

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

        unlink(sock_path);
        rmdir(tmpdir);

        if (failures) {
                fprintf(stderr, "test-libtessera: %d check(s) failed\n", failures);
                return 1;
        }
        printf("test-libtessera: ok\n");
        return 0;
}
