/* SPDX-License-Identifier: MIT */
#pragma once

/* The idle keep-alive connections of one client, private to libtessera.
 * Safe to share between threads; the lock is never held across I/O. */

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#define CONN_POOL_MAX 4

typedef struct conn_pool {
        pthread_mutex_t lock;
        int fds[CONN_POOL_MAX];
        size_t n_fds;
        pid_t pid;               /* a forked child must not share the parent's connections */
} conn_pool;

/* 0, or -ENOMEM when the lock cannot be set up. */
int conn_pool_init(conn_pool *p);
/* Closes the idle connections. */
void conn_pool_done(conn_pool *p);

/* An idle connection that still looks usable, or -1 for none. */
int conn_pool_take(conn_pool *p);
/* Keeps fd for a later request, or closes it when the pool is full. */
void conn_pool_put(conn_pool *p, int fd);
