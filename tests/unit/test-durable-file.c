/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "store/durable-file.h"
#include "util/util.h"
#include "tests.h"

static char top[] = "/tmp/test-durable-file-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static void cleanup_top(void) {
        (void) nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static unsigned count_entries(int dir_fd) {
        DIR *d = fdopendir(openat(dir_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC));
        struct dirent *de;
        unsigned n = 0;

        CHECK(d);
        while ((de = readdir(d)))
                n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
        closedir(d);
        return n;
}

/* The whole content of dir_fd/name, NUL-terminated, or NULL if none. */
static char *contents(int dir_fd, const char *name) {
        _cleanup_(closep) int fd = openat(dir_fd, name, O_RDONLY|O_CLOEXEC);
        char *buf;
        ssize_t n;

        if (fd < 0)
                return NULL;
        buf = calloc(1, 256);
        CHECK(buf);
        n = fd_read_all(fd, buf, 255);
        CHECK(n >= 0);
        return buf;
}

static void test_mkdir_p(void) {
        _cleanup_(freep) char *deep = NULL;
        struct stat st;

        CHECK(asprintf(&deep, "%s/a//b/c", top) >= 0);
        CHECK_R(mkdir_p(deep), 0);
        CHECK_R(mkdir_p(deep), 0);
        CHECK(stat(deep, &st) >= 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0);
        CHECK_R(mkdir_p(""), -EINVAL);
        CHECK_R(mkdir_p(NULL), -EINVAL);
}

static void test_read_all(int dir_fd) {
        _cleanup_(closep) int fd = -EBADF;
        char buf[8];

        CHECK_R(durable_file_write(dir_fd, "r", "r", "12345", 5, NULL, NULL), 0);
        fd = openat(dir_fd, "r", O_RDONLY|O_CLOEXEC);
        CHECK(fd >= 0);
        CHECK(fd_read_all(fd, buf, 5) == 5 && memcmp(buf, "12345", 5) == 0);
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        CHECK(fd_read_all(fd, buf, 4) == -EFBIG);
        CHECK(lseek(fd, 0, SEEK_SET) == 0);
        CHECK(fd_read_all(fd, buf, sizeof buf) == 5);
        CHECK(unlinkat(dir_fd, "r", 0) >= 0);
}

static void test_temp_files(int dir_fd) {
        _cleanup_(freep) char *name = NULL;
        _cleanup_(closep) int fd = -EBADF;
        struct stat st;
        int keep;

        CHECK_R(temp_file_create(dir_fd, ".acct", &name, &fd), 0);
        CHECK(startswith(name, ".acct.tmp-") && strlen(name) == strlen(".acct.tmp-") + 6);
        CHECK(fstat(fd, &st) >= 0 && (st.st_mode & 07777) == 0600);

        /* Only names of that exact shape are temp files. */
        static const char *const kept[] = {
                "a.session", "a.tmp-12345", "a.tmp-1234567", "a.tmp-12#456", ".tmp-abcdef",
        };
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                keep = openat(dir_fd, kept[i], O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600);
                CHECK(keep >= 0);
                close(keep);
        }
        CHECK(count_entries(dir_fd) == 1 + ELEMENTSOF(kept));
        CHECK_R(temp_files_remove(dir_fd), 0);
        CHECK(faccessat(dir_fd, name, F_OK, 0) < 0 && errno == ENOENT);
        CHECK(count_entries(dir_fd) == ELEMENTSOF(kept));
        for (size_t i = 0; i < ELEMENTSOF(kept); i++)
                CHECK(unlinkat(dir_fd, kept[i], 0) >= 0);
}

static void test_rename_noreplace(int dir_fd) {
        _cleanup_(freep) char *c = NULL;

        CHECK_R(durable_file_write(dir_fd, "from", "x", "new", 3, NULL, NULL), 0);
        CHECK_R(durable_file_write(dir_fd, "to", "x", "old", 3, NULL, NULL), 0);
        CHECK_R(rename_noreplace(dir_fd, "from", "to"), -EEXIST);
        c = contents(dir_fd, "to");
        CHECK(c && streq(c, "old"));
        CHECK_R(rename_noreplace(dir_fd, "from", "moved"), 0);
        CHECK(faccessat(dir_fd, "from", F_OK, 0) < 0);
        CHECK(unlinkat(dir_fd, "moved", 0) >= 0 && unlinkat(dir_fd, "to", 0) >= 0);
}

typedef struct fault {
        const char *point;
        int error;
        unsigned calls;
} fault;

static int fault_hook(const char *point, void *userdata) {
        fault *f = userdata;

        f->calls++;
        return streq(point, f->point) ? f->error : 0;
}

static void test_write(int dir_fd) {
        static const char *const points[] = { "write", "fsync", "rename" };
        _cleanup_(freep) char *c = NULL;
        fault f = { .point = "none" };

        CHECK_R(durable_file_write(dir_fd, "f", ".f", "first", 5, fault_hook, &f), 0);
        CHECK(f.calls == 4);
        c = contents(dir_fd, "f");
        CHECK(c && streq(c, "first"));
        CHECK(count_entries(dir_fd) == 1);

        /* Before the rename: the old file stays, the temp file goes. */
        for (size_t i = 0; i < ELEMENTSOF(points); i++) {
                f = (fault) { .point = points[i], .error = -ENOSPC };
                CHECK_R(durable_file_write(dir_fd, "f", ".f", "second", 6, fault_hook, &f), -ENOSPC);
                free(c);
                c = contents(dir_fd, "f");
                CHECK(c && streq(c, "first"));
                CHECK(count_entries(dir_fd) == 1);
        }

        /* After it: the new file is there, the error still reported. */
        f = (fault) { .point = "fsync-dir", .error = -EIO };
        CHECK_R(durable_file_write(dir_fd, "f", ".f", "third", 5, fault_hook, &f), -EIO);
        free(c);
        c = contents(dir_fd, "f");
        CHECK(c && streq(c, "third"));
        CHECK(count_entries(dir_fd) == 1);
        CHECK(unlinkat(dir_fd, "f", 0) >= 0);
}

static void test_create(int dir_fd) {
        _cleanup_(freep) char *c = NULL;

        CHECK_R(durable_file_create(dir_fd, "k", "one", 3), 0);
        CHECK_R(durable_file_create(dir_fd, "k", "two", 3), -EEXIST);
        c = contents(dir_fd, "k");
        CHECK(c && streq(c, "one"));
        CHECK(count_entries(dir_fd) == 1);
        CHECK(unlinkat(dir_fd, "k", 0) >= 0);
}

int main(void) {
        _cleanup_(closep) int dir_fd = -EBADF;

        CHECK(mkdtemp(top));
        atexit(cleanup_top);
        dir_fd = open(top, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        CHECK(dir_fd >= 0);

        test_read_all(dir_fd);
        test_temp_files(dir_fd);
        test_rename_noreplace(dir_fd);
        test_write(dir_fd);
        test_create(dir_fd);
        test_mkdir_p();
        return 0;
}
