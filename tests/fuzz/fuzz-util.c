/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

char *fuzz_text(const uint8_t *data, size_t size) {
        char *t = malloc(size + 1);

        FUZZ_OOM_IF(!t);
        if (size > 0)
                memcpy(t, data, size);
        t[size] = '\0';
        return t;
}

char *fuzz_make_tempdir(const char *tag) {
        const char *base = getenv("TMPDIR");
        char *path = NULL;
        struct stat st;

        if (!base || !*base)
                base = stat("/dev/shm", &st) >= 0 && S_ISDIR(st.st_mode) &&
                        access("/dev/shm", W_OK) >= 0 ? "/dev/shm" : "/tmp";
        FUZZ_OOM_IF(asprintf(&path, "%s/tessera-%s-XXXXXX", base, tag) < 0);
        if (!mkdtemp(path)) {
                fprintf(stderr, "mkdtemp(%s): %s\n", path, strerror(errno));
                abort();
        }
        return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        if (flag == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

void fuzz_rm_rf(const char *path) {
        if (path)
                (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fuzz_empty_dir(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d) {
                fprintf(stderr, "opendir(%s): %s\n", dir, strerror(errno));
                abort();
        }
        while ((de = readdir(d))) {
                char *p = NULL;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                FUZZ_OOM_IF(asprintf(&p, "%s/%s", dir, de->d_name) < 0);
                fuzz_rm_rf(p);
                free(p);
        }
        closedir(d);
}

void fuzz_write_file(const char *path, const void *data, size_t size) {
        const uint8_t *p = data;
        int fd;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                fprintf(stderr, "open(%s): %s\n", path, strerror(errno));
                abort();
        }
        while (size > 0) {
                ssize_t k = write(fd, p, size);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        fprintf(stderr, "write(%s): %s\n", path, strerror(errno));
                        abort();
                }
                p += k;
                size -= (size_t) k;
        }
        close(fd);
}
