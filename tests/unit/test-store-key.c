/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <sys/stat.h>

#include "store/store-key.h"
#include "util/secret.h"
#include "util/util.h"
#include "tests.h"

/* Checks never print a key. */

static char top[] = "/tmp/test-store-key-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static void cleanup_top(void) {
        (void) nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put_key_file(int dir_fd, const char *name, size_t n, mode_t mode) {
        uint8_t bytes[STORE_KEY_LEN + 1];
        int fd;

        randombytes_buf(bytes, sizeof bytes);
        CHECK(n <= sizeof bytes);
        (void) unlinkat(dir_fd, name, 0);
        fd = openat(dir_fd, name, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        CHECK(write(fd, bytes, n) == (ssize_t) n);
        CHECK(fchmod(fd, mode) >= 0);
        close(fd);
        sodium_memzero(bytes, sizeof bytes);
}

static void test_created_once(int dir_fd, uint8_t *a, uint8_t *b) {
        struct stat st;

        CHECK_R(store_key_load(dir_fd, a), 0);
        CHECK(fstatat(dir_fd, "key", &st, AT_SYMLINK_NOFOLLOW) >= 0);
        CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_size == STORE_KEY_LEN);
        CHECK(!sodium_is_zero(a, STORE_KEY_LEN));
        CHECK_R(store_key_load(dir_fd, b), 0);
        CHECK(sodium_memcmp(a, b, STORE_KEY_LEN) == 0);
}

static void test_refused(int dir_fd, uint8_t *k) {
        put_key_file(dir_fd, "key", STORE_KEY_LEN, 0640);
        CHECK_R(store_key_load(dir_fd, k), -EPERM);
        put_key_file(dir_fd, "key", STORE_KEY_LEN, 0602);
        CHECK_R(store_key_load(dir_fd, k), -EPERM);
        put_key_file(dir_fd, "key", STORE_KEY_LEN - 1, 0600);
        CHECK_R(store_key_load(dir_fd, k), -EBADMSG);
        put_key_file(dir_fd, "key", STORE_KEY_LEN + 1, 0600);
        CHECK_R(store_key_load(dir_fd, k), -EBADMSG);
        CHECK(unlinkat(dir_fd, "key", 0) >= 0);
        CHECK(mkdirat(dir_fd, "key", 0700) >= 0);
        CHECK_R(store_key_load(dir_fd, k), -EBADMSG);
        CHECK(unlinkat(dir_fd, "key", AT_REMOVEDIR) >= 0);
}

/* systemd's credential wins, whatever its mode, and no key file is made. */
static void test_credential(int dir_fd, uint8_t *a, uint8_t *b) {
        _cleanup_(closep) int creds_fd = -EBADF;
        _cleanup_(freep) char *creds = NULL;

        CHECK(asprintf(&creds, "%s/creds", top) >= 0);
        CHECK(mkdir(creds, 0700) >= 0);
        creds_fd = open(creds, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        CHECK(creds_fd >= 0);
        put_key_file(creds_fd, "tessera.key", STORE_KEY_LEN, 0440);
        CHECK(setenv("CREDENTIALS_DIRECTORY", creds, 1) >= 0);

        CHECK_R(store_key_load(dir_fd, a), 0);
        CHECK_R(store_key_load(dir_fd, b), 0);
        CHECK(sodium_memcmp(a, b, STORE_KEY_LEN) == 0);
        CHECK(faccessat(dir_fd, "key", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);

        put_key_file(creds_fd, "tessera.key", 3, 0440);
        CHECK_R(store_key_load(dir_fd, a), -EBADMSG);

        /* A credentials directory without the key: the state dir's. */
        CHECK(unlinkat(creds_fd, "tessera.key", 0) >= 0);
        CHECK_R(store_key_load(dir_fd, a), 0);
        CHECK(faccessat(dir_fd, "key", F_OK, AT_SYMLINK_NOFOLLOW) >= 0);
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
}

int main(void) {
        _cleanup_(closep) int dir_fd = -EBADF;
        uint8_t *a, *b;

        CHECK(sodium_init() >= 0);
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
        CHECK(mkdtemp(top));
        atexit(cleanup_top);
        dir_fd = open(top, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        CHECK(dir_fd >= 0);
        a = secret_alloc(STORE_KEY_LEN);
        b = secret_alloc(STORE_KEY_LEN);
        CHECK(a && b);

        test_created_once(dir_fd, a, b);
        test_refused(dir_fd, a);
        test_credential(dir_fd, a, b);

        secret_free(a);
        secret_free(b);
        secret_cache_flush();
        return 0;
}
