/* SPDX-License-Identifier: MIT */
#pragma once

/* Where the API listens: the socket systemd passed, or one we bind. */

#include <sys/types.h>

/* 1 and *ret_fd when systemd passed a Unix stream socket, 0 when it passed
 * none, -ENOTSOCK when what it passed is not one. */
int api_socket_take_systemd(int *ret_fd);

/* Binds and listens on path with the given mode, creating its directory.
 * A stale socket left by a daemon that died is taken over; -EADDRINUSE
 * when a live daemon answers on it, -EEXIST when path is not a socket. */
int api_socket_bind(const char *path, mode_t mode, int *ret_fd);
