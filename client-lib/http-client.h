/* SPDX-License-Identifier: MIT */
#pragma once

/* Blocking-with-deadline socket I/O for libtessera's HTTP client. Every
 * function takes an absolute CLOCK_MONOTONIC deadline in milliseconds and
 * returns 0 or a negative errno (-ETIMEDOUT once the deadline passed). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http-parser.h"

int64_t http_now_ms(void);

/* Connects a SOCK_STREAM AF_UNIX socket (close-on-exec, non-blocking after
 * connect). -ENAMETOOLONG if the path does not fit sun_path. */
int http_connect_unix(const char *path, int64_t deadline_ms, int *ret_fd);

/* Sends all of buf with MSG_NOSIGNAL. When the socket is full and the peer
 * has started to answer instead of reading on (a server refusing a large
 * body early), stops with 0 and *ret_answered set: the caller reads the
 * answer rather than waiting for the deadline. */
int http_send_all(int fd, const char *buf, size_t n, int64_t deadline_ms, bool *ret_answered);

/* Reads until p holds a complete response. *ret_got_bytes tells (also on
 * failure) whether any byte of the response arrived, which decides whether
 * a request on a stale pooled connection may be retried. -EPIPE: the peer
 * closed the connection before the response was complete. *ret_extra: bytes
 * followed the response (the connection must not be reused). */
int http_read_response(int fd, http_parser *p, int64_t deadline_ms,
                       bool *ret_got_bytes, bool *ret_extra);

/* True if a pooled idle connection is still usable: nothing readable (no
 * EOF, no stray bytes) and no error pending. */
bool http_idle_conn_ok(int fd);
