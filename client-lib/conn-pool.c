/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <unistd.h>

#include "conn-pool.h"
#include "http-client.h"

int conn_pool_init(conn_pool *p) {
        *p = (conn_pool) { .pid = getpid() };
        if (pthread_mutex_init(&p->lock, NULL) != 0)
                return -ENOMEM;
        return 0;
}

static void close_all(conn_pool *p) {
        for (size_t i = 0; i < p->n_fds; i++)
                close(p->fds[i]);
        p->n_fds = 0;
}

void conn_pool_done(conn_pool *p) {
        close_all(p);
        pthread_mutex_destroy(&p->lock);
}

/* Runs the liveness probe outside the lock so that threads do not
 * serialise on poll(). */
int conn_pool_take(conn_pool *p) {
        for (;;) {
                int fd = -1;

                pthread_mutex_lock(&p->lock);
                if (p->pid != getpid()) {
                        /* Closing our copies leaves the parent's sockets alone. */
                        close_all(p);
                        p->pid = getpid();
                }
                if (p->n_fds > 0)
                        fd = p->fds[--p->n_fds];
                pthread_mutex_unlock(&p->lock);

                if (fd < 0 || http_idle_conn_ok(fd))
                        return fd;
                close(fd);
        }
}

void conn_pool_put(conn_pool *p, int fd) {
        pthread_mutex_lock(&p->lock);
        if (p->n_fds < CONN_POOL_MAX && p->pid == getpid()) {
                p->fds[p->n_fds++] = fd;
                fd = -1;
        }
        pthread_mutex_unlock(&p->lock);
        if (fd >= 0)
                close(fd);
}
