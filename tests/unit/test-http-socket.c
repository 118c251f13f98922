/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/api-socket.h"
#include "util/util.h"
#include "tests.h"

static void test_bind(void) {
        char dir[] = "/tmp/test-http-socket-XXXXXX";
        _cleanup_(freep) char *path = NULL, *file = NULL, *deep = NULL, *sub = NULL;
        char long_path[200];
        int fd = -EBADF, fd2 = -EBADF;
        struct stat st;

        CHECK(mkdtemp(dir));
        CHECK(asprintf(&path, "%s/api.sock", dir) > 0);
        CHECK(asprintf(&file, "%s/plain", dir) > 0);
        CHECK(asprintf(&deep, "%s/sub/api.sock", dir) > 0);
        CHECK(asprintf(&sub, "%s/sub", dir) > 0);

        CHECK_R(api_socket_bind(path, 0666, &fd), 0);
        CHECK(fd >= 0);
        CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0666);

        /* A live daemon keeps its socket. */
        CHECK_R(api_socket_bind(path, 0666, &fd2), -EADDRINUSE);
        CHECK(fd2 == -EBADF);

        /* A stale one (nobody listening) is taken over. */
        (void) close(fd);
        CHECK_R(api_socket_bind(path, 0600, &fd), 0);
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        (void) close(fd);

        /* Anything but a socket stays. */
        fd2 = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        CHECK(fd2 >= 0);
        (void) close(fd2);
        fd2 = -EBADF;
        CHECK_R(api_socket_bind(file, 0600, &fd2), -EEXIST);

        /* sun_path has room for about 108 bytes. */
        (void) snprintf(long_path, sizeof long_path, "%s/%0150d", dir, 0);
        CHECK_R(api_socket_bind(long_path, 0600, &fd2), -ENAMETOOLONG);

        /* Its directory is made. */
        CHECK_R(api_socket_bind(deep, 0600, &fd), 0);
        (void) close(fd);

        (void) unlink(deep);
        (void) unlink(path);
        (void) unlink(file);
        (void) rmdir(sub);
        (void) rmdir(dir);
}

static void test_no_systemd_socket(void) {
        int fd = -EBADF;

        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        CHECK_R(api_socket_take_systemd(&fd), 0);
        CHECK(fd == -EBADF);
}

int main(void) {
        test_bind();
        test_no_systemd_socket();
        return 0;
}
