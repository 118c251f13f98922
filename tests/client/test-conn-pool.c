/* SPDX-License-Identifier: MIT */

/* libtessera's pool of idle connections, on socketpairs: what it hands out,
 * what it drops (closed by the peer, over the limit, after a fork). */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn-pool.h"
#include "tests.h"

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
}

static void new_pair(int *ret_ours, int *ret_peer) {
        int sv[2];

        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        *ret_ours = sv[0];
        *ret_peer = sv[1];
}

static void test_take_put(void) {
        conn_pool p;
        int a, a_peer, b, b_peer;

        CHECK(conn_pool_init(&p) == 0);
        CHECK(conn_pool_take(&p) == -1);

        new_pair(&a, &a_peer);
        new_pair(&b, &b_peer);
        conn_pool_put(&p, a);
        conn_pool_put(&p, b);
        /* Last in, first out: the most recently used connection is the
         * least likely to have been closed by the daemon. */
        CHECK(conn_pool_take(&p) == b);
        CHECK(conn_pool_take(&p) == a);
        CHECK(conn_pool_take(&p) == -1);

        conn_pool_put(&p, a);
        conn_pool_put(&p, b);
        conn_pool_done(&p);
        CHECK(!fd_is_open(a));
        CHECK(!fd_is_open(b));
        close(a_peer);
        close(b_peer);
}

static void test_stale(void) {
        conn_pool p;
        int closed, closed_peer, chatty, chatty_peer, good, good_peer;

        CHECK(conn_pool_init(&p) == 0);
        new_pair(&good, &good_peer);
        new_pair(&closed, &closed_peer);
        new_pair(&chatty, &chatty_peer);
        conn_pool_put(&p, good);
        conn_pool_put(&p, closed);
        conn_pool_put(&p, chatty);

        /* EOF and stray bytes both make an idle connection unusable. */
        close(closed_peer);
        CHECK(write(chatty_peer, "x", 1) == 1);
        CHECK(conn_pool_take(&p) == good);
        CHECK(!fd_is_open(closed));
        CHECK(!fd_is_open(chatty));
        CHECK(conn_pool_take(&p) == -1);

        close(good);
        close(good_peer);
        close(chatty_peer);
        conn_pool_done(&p);
}

static void test_full(void) {
        int ours[CONN_POOL_MAX + 1], peers[CONN_POOL_MAX + 1];
        conn_pool p;

        CHECK(conn_pool_init(&p) == 0);
        for (int i = 0; i <= CONN_POOL_MAX; i++) {
                new_pair(&ours[i], &peers[i]);
                conn_pool_put(&p, ours[i]);
        }
        CHECK(!fd_is_open(ours[CONN_POOL_MAX]));
        for (int i = 0; i < CONN_POOL_MAX; i++)
                CHECK(fd_is_open(ours[i]));

        conn_pool_done(&p);
        for (int i = 0; i <= CONN_POOL_MAX; i++) {
                CHECK(!fd_is_open(ours[i]));
                close(peers[i]);
        }
}

static void test_fork(void) {
        conn_pool p;
        int fd, peer, status;
        pid_t pid;

        CHECK(conn_pool_init(&p) == 0);
        new_pair(&fd, &peer);
        conn_pool_put(&p, fd);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                /* The child must neither use nor keep the parent's connection. */
                int r = conn_pool_take(&p) == -1 && !fd_is_open(fd) ? 0 : 1;
                int other, other_peer;

                new_pair(&other, &other_peer);
                conn_pool_put(&p, other);
                if (conn_pool_take(&p) != other)
                        r = 1;
                _exit(r);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(conn_pool_take(&p) == fd);

        close(fd);
        close(peer);
        conn_pool_done(&p);
}

int main(void) {
        test_take_put();
        test_stale();
        test_full();
        test_fork();
        return 0;
}
