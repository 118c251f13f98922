/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "login/redirect-http.h"
#include "util/log.h"
#include "util/util.h"

/* Enough for a browser's few parallel connections (page, favicon,
 * preconnects); the rest are refused by MHD, not queued forever. */
#define REDIRECT_CONNECTION_LIMIT 16U
#define REDIRECT_CONNECTION_TIMEOUT_S 30U
#define REDIRECT_CONNECTION_MEMORY (32U * 1024U)

_printf_(2, 0)
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[256], *q;

        if (log_get_max_level() < LOG_DEBUG)
                return;
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        /* Never let a query string (code, state) reach the log, should MHD
         * ever quote a request target in a message. */
        q = strchr(buf, '?');
        if (q)
                *q = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        log_debug("redirect listener: libmicrohttpd: %s", buf);
}

static int read_bound_port(struct MHD_Daemon *d, uint16_t *ret) {
        const union MHD_DaemonInfo *info;
        struct sockaddr_in sa = {};
        socklen_t len = sizeof sa;

        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
        if (!info || info->listen_fd < 0)
                return -EIO;
        if (getsockname(info->listen_fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        if (len < sizeof sa || sa.sin_family != AF_INET || sa.sin_addr.s_addr != htonl(INADDR_LOOPBACK) ||
            sa.sin_port == 0)
                return -EADDRNOTAVAIL;

        *ret = ntohs(sa.sin_port);
        return 0;
}

int redirect_http_start(
                MHD_AccessHandlerCallback on_request,
                MHD_RequestCompletedCallback on_completed,
                void *cls,
                struct MHD_Daemon **ret_daemon,
                uint16_t *ret_port) {

        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons(0),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        struct MHD_Daemon *d;
        uint16_t port = 0;
        int r;

        if (!on_request || !on_completed || !ret_daemon || !ret_port)
                return -EINVAL;

        errno = 0;
        d = MHD_start_daemon(
                        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                        0, NULL, NULL,
                        on_request, cls,
                        /* First, or MHD prints its earlier messages to stderr. */
                        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) &sa,
                        MHD_OPTION_CONNECTION_LIMIT, REDIRECT_CONNECTION_LIMIT,
                        MHD_OPTION_CONNECTION_TIMEOUT, REDIRECT_CONNECTION_TIMEOUT_S,
                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) REDIRECT_CONNECTION_MEMORY,
                        MHD_OPTION_LISTEN_BACKLOG_SIZE, REDIRECT_CONNECTION_LIMIT,
                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, cls,
                        MHD_OPTION_END);
        if (!d)
                return errno > 0 ? -errno : -EIO;

        r = read_bound_port(d, &port);
        if (r < 0) {
                MHD_stop_daemon(d);
                return r;
        }

        *ret_daemon = d;
        *ret_port = port;
        return 0;
}

enum MHD_Result redirect_http_queue_html(struct MHD_Connection *c, unsigned status, const char *html, const char *csp) {
        struct MHD_Response *resp;
        enum MHD_Result r;

        resp = MHD_create_response_from_buffer(strlen(html), (void *) html, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;

        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8") != MHD_YES ||
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
            MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
            MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES ||
            MHD_add_response_header(resp, "Content-Security-Policy", csp) != MHD_YES) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }

        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}
