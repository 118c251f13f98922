/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>

#include "store/durable-file.h"
#include "util/util.h"

#define TEMP_INFIX ".tmp-"
#define TEMP_RANDOM_LEN 6U
#define TEMP_CREATE_TRIES 100U

int fd_write_all(int fd, const void *p, size_t n) {
        const uint8_t *b = p;

        while (n > 0) {
                ssize_t k = write(fd, b, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                b += k;
                n -= (size_t) k;
        }
        return 0;
}

ssize_t fd_read_all(int fd, void *p, size_t max) {
        uint8_t *b = p;
        size_t got = 0;

        for (;;) {
                uint8_t extra;
                ssize_t k;

                if (got == max) {
                        k = read(fd, &extra, 1);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k < 0)
                                return -errno;
                        return k == 0 ? (ssize_t) got : -EFBIG;
                }

                k = read(fd, b + got, max - got);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return (ssize_t) got;
                got += (size_t) k;
        }
}

int fd_fsync(int fd) {
        return fsync(fd) < 0 ? -errno : 0;
}

int mkdir_p(const char *path) {
        _cleanup_(freep) char *p = NULL;

        if (isempty(path))
                return -EINVAL;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        for (char *slash = p + 1;; slash++) {
                slash = strchr(slash, '/');
                if (slash)
                        *slash = '\0';
                if (mkdir(p, 0700) < 0 && errno != EEXIST)
                        return -errno;
                if (!slash)
                        return 0;
                *slash = '/';
                while (slash[1] == '/')
                        slash++;
        }
}

static void random_suffix(char *buf, size_t n) {
        static const char chars[] =
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

        for (size_t i = 0; i < n; i++)
                buf[i] = chars[randombytes_uniform(sizeof(chars) - 1)];
        buf[n] = '\0';
}

static bool is_alnum_ascii(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Matches only names temp_file_create() produces: "*.tmp-XXXXXX" with six
 * alphanumerics. No final or quarantined store name can end that way (they
 * end in ".session" or "-<digits>" after ".corrupt"). */
static bool is_temp_name(const char *name) {
        size_t n = strlen(name), infix = strlen(TEMP_INFIX);

        if (n < infix + TEMP_RANDOM_LEN + 1)
                return false;
        if (strncmp(name + n - TEMP_RANDOM_LEN - infix, TEMP_INFIX, infix) != 0)
                return false;
        for (size_t i = n - TEMP_RANDOM_LEN; i < n; i++)
                if (!is_alnum_ascii(name[i]))
                        return false;
        return true;
}

int temp_file_create(int dir_fd, const char *prefix, char **ret_name, int *ret_fd) {
        for (unsigned attempt = 0; attempt < TEMP_CREATE_TRIES; attempt++) {
                char rnd[TEMP_RANDOM_LEN + 1];
                _cleanup_(freep) char *name = NULL;
                int fd;

                random_suffix(rnd, TEMP_RANDOM_LEN);
                if (asprintf(&name, "%s%s%s", prefix, TEMP_INFIX, rnd) < 0)
                        return -ENOMEM;

                fd = openat(dir_fd, name, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY, 0600);
                if (fd < 0) {
                        if (errno == EEXIST)
                                continue;
                        return -errno;
                }
                /* The umask may only have narrowed it; make it exact. */
                if (fchmod(fd, 0600) < 0) {
                        int r = -errno;
                        (void) close(fd);
                        (void) unlinkat(dir_fd, name, 0);
                        return r;
                }

                *ret_name = TAKE_PTR(name);
                *ret_fd = fd;
                return 0;
        }
        return -EEXIST;
}

int temp_files_remove(int dir_fd) {
        _cleanup_(closep) int fd = -EBADF;
        DIR *d;
        int r = 0;

        /* A separate open file description: fdopendir() would otherwise
         * share (and move) the directory offset of dir_fd. */
        fd = openat(dir_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);

        for (;;) {
                struct dirent *de;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0 && r == 0)
                                r = -errno;
                        break;
                }
                if (!is_temp_name(de->d_name))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
                        r = -errno;
        }
        (void) closedir(d);
        return r;
}

int rename_noreplace(int dir_fd, const char *from, const char *to) {
        if (renameat2(dir_fd, from, dir_fd, to, RENAME_NOREPLACE) >= 0)
                return 0;
        if (errno != EINVAL && errno != ENOSYS)
                return -errno;

        /* File systems without RENAME_NOREPLACE: link() refuses to replace
         * too, then drop the old name. */
        if (linkat(dir_fd, from, dir_fd, to, 0) < 0)
                return -errno;
        if (unlinkat(dir_fd, from, 0) < 0)
                return -errno;
        return 0;
}

static int fault_at(durable_fault_hook fault, void *userdata, const char *point) {
        int r;

        if (!fault)
                return 0;
        r = fault(point, userdata);
        return r < 0 ? r : 0;
}

/* Writes a temp file next to where the data is going and syncs it; on
 * failure nothing is left behind. */
static int write_temp(int dir_fd, const char *temp_prefix, const void *data, size_t n,
                      durable_fault_hook fault, void *userdata, char **ret_tmp) {
        _cleanup_(freep) char *tmp = NULL;
        _cleanup_(closep) int fd = -EBADF;
        int r;

        r = temp_file_create(dir_fd, temp_prefix, &tmp, &fd);
        if (r < 0)
                return r;

        r = fault_at(fault, userdata, "write");
        if (r >= 0)
                r = fd_write_all(fd, data, n);
        if (r >= 0)
                r = fault_at(fault, userdata, "fsync");
        if (r >= 0)
                r = fd_fsync(fd);
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

int durable_file_write(int dir_fd, const char *name, const char *temp_prefix,
                       const void *data, size_t n,
                       durable_fault_hook fault, void *userdata) {
        _cleanup_(freep) char *tmp = NULL;
        int r;

        r = write_temp(dir_fd, temp_prefix, data, n, fault, userdata, &tmp);
        if (r < 0)
                return r;

        r = fault_at(fault, userdata, "rename");
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }

        /* The new file is in place now; if the directory cannot be synced
         * the caller must still treat the write as not durable. */
        r = fault_at(fault, userdata, "fsync-dir");
        if (r >= 0)
                r = fd_fsync(dir_fd);
        return r;
}

int durable_file_create(int dir_fd, const char *name, const void *data, size_t n) {
        _cleanup_(freep) char *tmp = NULL;
        int r;

        r = write_temp(dir_fd, name, data, n, NULL, NULL, &tmp);
        if (r < 0)
                return r;

        /* link() never replaces: of two racing creators, one wins whole. */
        r = linkat(dir_fd, tmp, dir_fd, name, 0) < 0 ? -errno : 0;
        (void) unlinkat(dir_fd, tmp, 0);
        if (r < 0)
                return r;
        return fd_fsync(dir_fd);
}
