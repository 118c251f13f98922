/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "api/api-routes.h"
#include "http/http-api.h"
#include "util/json-writer.h"
#include "util/log.h"
#include "core/manager.h"
#include "glue/mhd-glue.h"
#include "util/secret.h"

/* Connections per uid, so that one local user cannot take every slot. */
typedef struct uid_count {
        uid_t uid;
        unsigned n;
} uid_count;

typedef struct conn_ctx {
        peer peer;
        bool counted;
} conn_ctx;

struct http_api {
        manager *manager;
        uid_count *uids;
        size_t n_uids;
        struct MHD_Daemon *daemon;
        mhd_glue *glue;
        int listen_fd;                  /* -EBADF once handed back by quiesce */
        char *bound_path;               /* set when we bound it ourselves */
        unsigned in_flight;
        api_request *waiters;
        bool quiesced;
};

_printf_(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[512];

        if (log_get_max_level() < LOG_DEBUG)
                return;
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        log_debug("api: libmicrohttpd: %s", buf);
}

/* The path is matched without unescaping: every valid route and account
 * name is plain ASCII, so a '%' can only be a trick (an escaped '/' or NUL
 * in an account name) and turns into a 400 instead of being decoded. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
        return strlen(s);
}

static uid_count *uid_slot(http_api *a, uid_t uid, bool create) {
        uid_count *n;

        for (size_t i = 0; i < a->n_uids; i++)
                if (a->uids[i].uid == uid)
                        return &a->uids[i];
        if (!create)
                return NULL;
        n = realloc(a->uids, (a->n_uids + 1) * sizeof *n);
        if (!n)
                return NULL;
        a->uids = n;
        a->uids[a->n_uids] = (uid_count) { .uid = uid };
        return &a->uids[a->n_uids++];
}

static void connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe) {
        http_api *a = cls;
        const union MHD_ConnectionInfo *info;
        conn_ctx *ctx;
        uid_count *u;

        switch (toe) {
        case MHD_CONNECTION_NOTIFY_STARTED:
                info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                if (!info)
                        return;
                ctx = calloc(1, sizeof *ctx);
                if (!ctx)
                        return;
                if (peer_from_fd(info->connect_fd, &ctx->peer) < 0) {
                        /* Without credentials every request is refused. */
                        free(ctx);
                        return;
                }
                u = uid_slot(a, ctx->peer.uid, true);
                if (ctx->peer.uid != 0 && ctx->peer.uid != getuid() &&
                    (!u || u->n >= API_CONNECTIONS_PER_UID)) {
                        /* Over its share: MHD sees the hang-up and closes. */
                        log_debug("api: uid %u holds %u connections, refusing another",
                                  (unsigned) ctx->peer.uid, u ? u->n : 0);
                        (void) shutdown(info->connect_fd, SHUT_RDWR);
                        peer_done(&ctx->peer);
                        free(ctx);
                        return;
                }
                if (u) {
                        u->n++;
                        ctx->counted = true;
                }
                *socket_context = ctx;
                break;
        case MHD_CONNECTION_NOTIFY_CLOSED:
                ctx = *socket_context;
                if (ctx) {
                        u = ctx->counted ? uid_slot(a, ctx->peer.uid, false) : NULL;
                        if (u && u->n > 0)
                                u->n--;
                        peer_done(&ctx->peer);
                        free(ctx);
                        *socket_context = NULL;
                }
                break;
        }
}

static void waiter_unlink(api_request *r) {
        http_api *a = r->api;

        if (r->wait_prev)
                r->wait_prev->wait_next = r->wait_next;
        else if (a->waiters == r)
                a->waiters = r->wait_next;
        if (r->wait_next)
                r->wait_next->wait_prev = r->wait_prev;
        r->wait_next = r->wait_prev = NULL;
}

static void request_free(api_request *r) {
        if (!r)
                return;
        if (r->pending)
                MHD_destroy_response(r->pending);
        waiter_unlink(r);
        free(r->method);
        free(r->path);
        free(r->body);
        free(r);
}

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
        http_api *a = cls;
        api_request *r = *con_cls;

        if (!r)
                return;
        if (r->on_complete)
                r->on_complete(r);
        if (r->suspended && r->on_abort) {
                /* Cannot normally happen: MHD does not end suspended
                 * requests. Let the owner drop its reference anyway. */
                r->on_abort(r);
        }
        request_free(r);
        *con_cls = NULL;
        if (a->in_flight > 0)
                a->in_flight--;
}

static enum MHD_Result queue_pending(api_request *r) {
        struct MHD_Response *resp = TAKE_PTR(r->pending);
        enum MHD_Result ret;

        ret = MHD_queue_response(r->connection, r->pending_status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls) {
        http_api *a = cls;
        api_request *r = *con_cls;

        if (!r) {
                const union MHD_ConnectionInfo *info;
                const char *cl;

                r = calloc(1, sizeof *r);
                if (!r)
                        return MHD_NO;
                r->api = a;
                r->manager = a->manager;
                r->connection = c;
                r->method = strdup(method);
                r->path = strdup(url);
                if (!r->method || !r->path) {
                        request_free(r);
                        return MHD_NO;
                }
                info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                r->peer = info && info->socket_context ? &((conn_ctx *) info->socket_context)->peer : NULL;
                r->body_max = api_routes_body_max(a->manager, r->path);
                *con_cls = r;
                a->in_flight++;

                /* Refuse an announced oversized body before reading it. */
                cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl) {
                        char *end = NULL;
                        unsigned long long n;

                        errno = 0;
                        n = strtoull(cl, &end, 10);
                        if (errno != 0 || end == cl || *end != '\0' || n > r->body_max) {
                                r->body_too_large = true;
                                r->answered_early = true;
                                return api_request_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large",
                                                               "request body larger than %zu bytes", r->body_max) < 0
                                       ? MHD_NO : MHD_YES;
                        }
                }
                return MHD_YES;
        }

        if (r->pending)
                return queue_pending(r);

        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;

                *upload_data_size = 0;
                if (r->body_too_large)
                        return MHD_YES;
                if (n > r->body_max - r->body_len) {
                        /* MHD 0.9.75 refuses an answer while the upload
                         * is still arriving: drop the rest, answer 413 at
                         * the end. */
                        r->body_too_large = true;
                        free(r->body);
                        r->body = NULL;
                        r->body_len = r->body_cap = 0;
                        return MHD_YES;
                }
                if (r->body_len + n + 1 > r->body_cap) {
                        /* Doubling: a body of some MiB arrives in many small pieces. */
                        size_t cap = MAX(r->body_cap * 2, r->body_len + n + 1);
                        char *b = realloc(r->body, cap);
                        if (!b)
                                return MHD_NO;
                        r->body = b;
                        r->body_cap = cap;
                }
                memcpy(r->body + r->body_len, upload_data, n);
                r->body_len += n;
                r->body[r->body_len] = '\0';
                return MHD_YES;
        }

        if (r->body_too_large) {
                if (r->answered_early)
                        return MHD_YES;
                r->answered_early = true;
                return api_request_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large",
                                               "request body larger than %zu bytes", r->body_max) < 0
                       ? MHD_NO : MHD_YES;
        }

        if (!r->peer)
                return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                               "cannot identify the caller") < 0 ? MHD_NO : MHD_YES;

        return api_routes_handle(r) < 0 ? MHD_NO : MHD_YES;
}

static void secret_buffer_free(void *p) {
        secret_free(p);
}

int api_request_reply(api_request *r, unsigned status, char *body, size_t len, bool secret) {
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                  secret ? secret_buffer_free : free);
        if (!resp) {
                if (secret)
                        secret_free(body);
                else
                        free(body);
                return -ENOMEM;
        }
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return api_request_reply_response(r, status, resp);
}

int api_request_reply_response(api_request *r, unsigned status, struct MHD_Response *resp) {
        enum MHD_Result ret;

        if (r->suspended) {
                r->suspended = false;
                waiter_unlink(r);
                if (r->pending)
                        MHD_destroy_response(r->pending);
                r->pending = resp;
                r->pending_status = status;
                MHD_resume_connection(r->connection);
                mhd_glue_kick(r->api->glue);
                return 0;
        }
        ret = MHD_queue_response(r->connection, status, resp);
        MHD_destroy_response(resp);
        return ret == MHD_YES ? 0 : -EIO;
}

void api_request_resume(api_request *r) {
        MHD_resume_connection(r->connection);
        mhd_glue_kick(r->api->glue);
}

typedef struct query_builder {
        char *buf;
        size_t len;
        int error;
} query_builder;

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        query_builder *q = cls;
        size_t need = strlen(key) + (value ? strlen(value) + 1 : 0) + 2;
        char *n;

        if (q->len + need > 16384) {
                q->error = -E2BIG;
                return MHD_NO;
        }
        n = realloc(q->buf, q->len + need);
        if (!n) {
                q->error = -ENOMEM;
                return MHD_NO;
        }
        q->buf = n;
        q->len += (size_t) sprintf(q->buf + q->len, "%s%s%s%s", q->len > 0 ? "&" : "", key,
                                   value ? "=" : "", value ? value : "");
        return MHD_YES;
}

int api_request_raw_query(api_request *r, char **ret) {
        query_builder q = {};

        /* Arguments reach us still escaped (keep_escaped), so joining
         * them again gives the query as sent. */
        (void) MHD_get_connection_values(r->connection, MHD_GET_ARGUMENT_KIND, add_query_arg, &q);
        if (q.error < 0) {
                free(q.buf);
                return q.error;
        }
        if (!q.buf) {
                q.buf = strdup("");
                if (!q.buf)
                        return -ENOMEM;
        }
        *ret = q.buf;
        return 0;
}

const char *api_request_header(api_request *r, const char *name) {
        return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, name);
}

int api_request_reply_error(api_request *r, unsigned status, const char *code, const char *fmt, ...) {
        _cleanup_(freep) char *message = NULL;
        struct MHD_Response *resp;
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "error", code);
        json_writer_kv_string(&w, "message", message);
        json_writer_object_end(&w);
        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                return k;
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!resp) {
                free(body);
                return -ENOMEM;
        }
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        /* Tells tesserad's own errors from the API's in gateway answers;
         * the gateway never forwards this header from upstream. */
        (void) MHD_add_response_header(resp, "Tessera-Error", code);
        return api_request_reply_response(r, status, resp);
}

void api_request_suspend(api_request *r, api_request_abort_fn on_abort, void *wait_data) {
        http_api *a = r->api;

        r->suspended = true;
        r->on_abort = on_abort;
        r->wait_data = wait_data;
        r->wait_prev = NULL;
        r->wait_next = a->waiters;
        if (a->waiters)
                a->waiters->wait_prev = r;
        a->waiters = r;
        MHD_suspend_connection(r->connection);
}

const char *api_request_query(api_request *r, const char *key) {
        return MHD_lookup_connection_value(r->connection, MHD_GET_ARGUMENT_KIND, key);
}

static int socket_is_live(const struct sockaddr_un *sa, socklen_t len) {
        _cleanup_(closep) int fd = -EBADF;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) sa, len) >= 0)
                return 1;
        return 0;
}

static int bind_socket(const char *path, mode_t mode, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(freep) char *dir = NULL;
        socklen_t len;
        struct stat st;
        char *slash;
        int r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);

        dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }

        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                r = socket_is_live(&sa, len);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EADDRINUSE;
                /* A stale socket from a daemon that died: take it over. */
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* The process umask (0077) keeps the socket private until chmod. */
        if (bind(fd, (const struct sockaddr *) &sa, len) < 0)
                return -errno;
        if (chmod(path, mode) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        if (listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                (void) unlink(path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int take_systemd_socket(int *ret_fd) {
        int n, r;

        n = sd_listen_fds(1);
        if (n < 0)
                return n;
        if (n == 0)
                return 0;
        if (n > 1)
                log_warning("api: systemd passed %d sockets, using the first", n);
        r = sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOTSOCK;
        *ret_fd = SD_LISTEN_FDS_START;
        return 1;
}

int http_api_new(manager *m, http_api **ret) {
        _cleanup_(http_api_freep) http_api *a = NULL;
        int fd = -EBADF, r;

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->listen_fd = -EBADF;

        r = take_systemd_socket(&fd);
        if (r < 0)
                return log_error_errno(r, "api: unusable socket from systemd: %m");
        if (r > 0)
                log_info("api: listening on the socket passed by systemd");
        else {
                r = bind_socket(m->conf->socket, m->conf->socket_mode, &fd);
                if (r == -EADDRINUSE)
                        return log_error_errno(r, "api: %s is in use by a running tesserad", m->conf->socket);
                if (r < 0)
                        return log_error_errno(r, "api: cannot listen on %s: %m", m->conf->socket);
                a->bound_path = strdup(m->conf->socket);
                if (!a->bound_path) {
                        (void) unlink(m->conf->socket);
                        (void) close(fd);
                        return -ENOMEM;
                }
                log_info("api: listening on %s", m->conf->socket);
        }
        a->listen_fd = fd;

        a->daemon = MHD_start_daemon(
                MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                0, NULL, NULL, access_handler, a,
                /* First, or MHD prints its early messages to stderr. */
                MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) fd,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) API_CONNECTIONS_MAX,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) API_HEADER_MEMORY,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) API_IDLE_TIMEOUT_SEC,
                MHD_OPTION_NOTIFY_COMPLETED, request_completed, a,
                MHD_OPTION_NOTIFY_CONNECTION, connection_notify, a,
                MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, a,
                MHD_OPTION_END);
        if (!a->daemon)
                return log_error_errno(-EIO, "api: cannot start the HTTP server");
        /* MHD owns the listening socket now and closes it when stopped. */
        a->listen_fd = -EBADF;

        r = mhd_glue_new(m->event, a->daemon, "api", &a->glue);
        if (r < 0)
                return log_error_errno(r, "api: cannot attach the HTTP server to the loop: %m");

        *ret = TAKE_PTR(a);
        return 0;
}

static void abort_waiters(http_api *a) {
        /* Each abort answers (and so unlinks) its request. */
        while (a->waiters) {
                api_request *r = a->waiters;

                if (r->on_abort)
                        r->on_abort(r);
                if (a->waiters == r) {
                        /* The owner did not answer: do it for them. */
                        (void) api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                                       "tesserad is stopping");
                }
        }
}

void http_api_quiesce(http_api *a) {
        MHD_socket fd;

        if (!a || a->quiesced)
                return;
        a->quiesced = true;

        fd = MHD_quiesce_daemon(a->daemon);
        if (fd != MHD_INVALID_SOCKET)
                (void) close(fd);
        a->listen_fd = -EBADF;
        if (a->bound_path) {
                (void) unlink(a->bound_path);
                a->bound_path = mfree_str(a->bound_path);
        }
        abort_waiters(a);
        mhd_glue_kick(a->glue);
}

unsigned http_api_requests_in_flight(http_api *a) {
        return a ? a->in_flight : 0;
}

http_api *http_api_free(http_api *a) {
        if (!a)
                return NULL;
        if (a->daemon) {
                abort_waiters(a);
                /* Resumed connections must be processed once before the
                 * daemon may be stopped. */
                (void) MHD_run(a->daemon);
        }
        a->glue = mhd_glue_free(a->glue);
        if (a->daemon)
                MHD_stop_daemon(a->daemon);
        if (a->listen_fd >= 0)
                (void) close(a->listen_fd);
        if (a->bound_path)
                (void) unlink(a->bound_path);
        free(a->bound_path);
        free(a->uids);
        free(a);
        return NULL;
}
