/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <sys/socket.h>

#include "core/manager.h"
#include "glue/mhd-glue.h"
#include "http/api-socket.h"
#include "http/http-api.h"
#include "util/log.h"

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
        const http_api_handler *handler;
        void *userdata;
        uid_count *uids;
        size_t n_uids;
        struct MHD_Daemon *daemon;
        api_request_host host;          /* the loop adapter, the suspended requests */
        int listen_fd;                  /* -EBADF once handed back by quiesce */
        char *bound_path;               /* set when we bound it ourselves */
        unsigned in_flight;
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

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
        http_api *a = cls;
        api_request *r = *con_cls;

        if (!r)
                return;
        api_request_completed(r);
        api_request_free(r);
        *con_cls = NULL;
        if (a->in_flight > 0)
                a->in_flight--;
}

static enum MHD_Result reply_too_large(api_request *r) {
        r->answered_early = true;
        return api_request_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large",
                                       "request body larger than %zu bytes", r->body_max) < 0
               ? MHD_NO : MHD_YES;
}

static enum MHD_Result request_begin(http_api *a, struct MHD_Connection *c, const char *url,
                                     const char *method, void **con_cls) {
        const union MHD_ConnectionInfo *info;
        const peer *p;
        api_request *r;
        const char *cl;

        info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        p = info && info->socket_context ? &((conn_ctx *) info->socket_context)->peer : NULL;
        if (api_request_new(&a->host, a->manager, c, method, url, p,
                            a->handler->body_max(url, a->userdata), &r) < 0)
                return MHD_NO;
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
                        return reply_too_large(r);
                }
        }
        return MHD_YES;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls) {
        http_api *a = cls;
        api_request *r = *con_cls;

        if (!r)
                return request_begin(a, c, url, method, con_cls);

        if (r->pending)
                return api_request_queue_pending(r);

        if (*upload_data_size > 0) {
                size_t n = *upload_data_size;

                *upload_data_size = 0;
                return api_request_upload(r, upload_data, n) < 0 ? MHD_NO : MHD_YES;
        }

        if (r->body_too_large)
                return r->answered_early ? MHD_YES : reply_too_large(r);

        if (!r->peer)
                return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                               "cannot identify the caller") < 0 ? MHD_NO : MHD_YES;

        api_request_upload_done(r);
        return a->handler->handle(r, a->userdata) < 0 ? MHD_NO : MHD_YES;
}

int http_api_new(manager *m, const http_api_handler *handler, void *userdata, http_api **ret) {
        _cleanup_(http_api_freep) http_api *a = NULL;
        int fd = -EBADF, r;

        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->manager = m;
        a->handler = handler;
        a->userdata = userdata;
        a->listen_fd = -EBADF;

        r = api_socket_take_systemd(&fd);
        if (r < 0)
                return log_error_errno(r, "api: unusable socket from systemd: %m");
        if (r > 0)
                log_info("api: listening on the socket passed by systemd");
        else {
                r = api_socket_bind(m->conf->socket, m->conf->socket_mode, &fd);
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

        r = mhd_glue_new(m->event, a->daemon, "api", &a->host.glue);
        if (r < 0)
                return log_error_errno(r, "api: cannot attach the HTTP server to the loop: %m");

        *ret = TAKE_PTR(a);
        return 0;
}

static void abort_waiters(http_api *a) {
        /* Each abort answers (and so unlinks) its request. */
        while (a->host.waiters_head) {
                api_request *r = a->host.waiters_head;

                if (r->on_abort)
                        r->on_abort(r);
                if (a->host.waiters_head == r) {
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
        mhd_glue_kick(a->host.glue);
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
        a->host.glue = mhd_glue_free(a->host.glue);
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
