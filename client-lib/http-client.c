/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http-client.h"
#include "wipe.h"

int64_t http_now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for one of events; returns the revents seen (POLLHUP/POLLERR are
 * left for the following I/O call to report). */
static int wait_fd(int fd, short events, int64_t deadline_ms) {
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = events };
                int64_t left = deadline_ms - http_now_ms();
                int r;

                if (left <= 0)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int) left);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        continue;   /* re-check the deadline */
                return pfd.revents;
        }
}

int http_connect_unix(const char *path, int64_t deadline_ms, int *ret_fd) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t l = strlen(path);
        int64_t left;
        int fd;

        if (l == 0 || l >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, l);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        /* A non-blocking connect() on AF_UNIX fails with EAGAIN on a full
         * backlog and cannot be polled for completion; a blocking connect
         * bounded by SO_SNDTIMEO can, and gives the same deadline. */
        left = deadline_ms - http_now_ms();
        if (left <= 0) {
                close(fd);
                return -ETIMEDOUT;
        }
        struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                goto fail;

        for (;;) {
                if (connect(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1)) >= 0)
                        break;
                if (errno == EINTR && http_now_ms() < deadline_ms)
                        continue;
                if (errno == EISCONN)
                        break;
                if (errno == EAGAIN || errno == EINPROGRESS || errno == EINTR)
                        errno = ETIMEDOUT;
                goto fail;
        }

        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                goto fail;

        *ret_fd = fd;
        return 0;

fail:;
        int saved = errno;
        close(fd);
        return -saved;
}

int http_send_all(int fd, const char *buf, size_t n, int64_t deadline_ms, bool *ret_answered) {
        *ret_answered = false;

        while (n > 0) {
                ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = wait_fd(fd, POLLOUT | POLLIN, deadline_ms);
                                if (r < 0)
                                        return r;
                                if ((r & POLLIN) && !(r & POLLOUT)) {
                                        *ret_answered = true;
                                        return 0;
                                }
                                continue;
                        }
                        return -errno;
                }
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

int http_read_response(int fd, http_parser *p, int64_t deadline_ms,
                       bool *ret_got_bytes, bool *ret_extra) {
        char buf[16384];
        size_t dirty = 0;
        bool wait_first = true;
        int r = 0;

        *ret_got_bytes = false;
        *ret_extra = false;

        for (;;) {
                ssize_t k;

                /* The request has just been sent: the answer is almost
                 * never there yet, so wait before the first recv() rather
                 * than spend a system call on EAGAIN. */
                if (wait_first) {
                        wait_first = false;
                        r = wait_fd(fd, POLLIN, deadline_ms);
                        if (r < 0)
                                break;
                }
                k = recv(fd, buf, sizeof(buf), 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                r = wait_fd(fd, POLLIN, deadline_ms);
                                if (r < 0)
                                        break;
                                continue;
                        }
                        r = -errno;
                        break;
                }
                if (k == 0) {
                        r = http_parser_eof(p);
                        if (r > 0)
                                r = 0;
                        break;
                }

                size_t used = 0;
                *ret_got_bytes = true;
                if ((size_t) k > dirty)
                        dirty = (size_t) k;
                r = http_parser_feed(p, buf, (size_t) k, &used);
                if (r < 0)
                        break;
                if (r > 0) {
                        *ret_extra = used < (size_t) k;
                        r = 0;
                        break;
                }
        }

        /* What was received may have carried a token. */
        wipe(buf, dirty);
        return r;
}

bool http_idle_conn_ok(int fd) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int r;

        do
                r = poll(&pfd, 1, 0);
        while (r < 0 && errno == EINTR);

        return r == 0;
}
