/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>

#include "store/durable-file.h"
#include "store/store-key.h"
#include "util/secret.h"
#include "util/util.h"

#define KEY_FILE "key"
#define CREDENTIAL_NAME "tessera.key"
/* Rounds of "not there, create it, someone else was faster". */
#define KEY_LOAD_TRIES 3U

static int read_key_fd(int fd, bool check_mode, uint8_t *key) {
        uint8_t *buf = NULL;
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (check_mode) {
                if ((st.st_mode & 077) != 0)
                        return -EPERM;
                if (st.st_uid != geteuid())
                        return -EPERM;
        }

        /* One byte more than needed, to tell "exactly 32" from "longer". */
        buf = secret_alloc(STORE_KEY_LEN + 1);
        if (!buf)
                return -ENOMEM;
        n = fd_read_all(fd, buf, STORE_KEY_LEN + 1);
        if (n >= 0 && n != STORE_KEY_LEN)
                n = -EBADMSG;
        if (n == -EFBIG)
                n = -EBADMSG;
        if (n >= 0)
                memcpy(key, buf, STORE_KEY_LEN);
        secret_free(buf);
        return n < 0 ? (int) n : 0;
}

/* A new random key, in place whole or not at all (a crash never leaves a
 * short key behind), and two racing starts agree on one key: -EEXIST when
 * another process created it first. */
static int create_key(int dir_fd, uint8_t *key) {
        int r;

        randombytes_buf(key, STORE_KEY_LEN);
        r = durable_file_create(dir_fd, KEY_FILE, key, STORE_KEY_LEN);
        if (r < 0)
                sodium_memzero(key, STORE_KEY_LEN);
        return r;
}

int store_key_load(int dir_fd, uint8_t key[static STORE_KEY_LEN]) {
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        int r;

        if (!isempty(creds)) {
                _cleanup_(freep) char *path = NULL;
                _cleanup_(closep) int fd = -EBADF;

                if (asprintf(&path, "%s/%s", creds, CREDENTIAL_NAME) < 0)
                        return -ENOMEM;
                fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY);
                if (fd >= 0)
                        /* systemd owns the mode of credentials (often 0440
                         * for the service user); it is not ours to judge. */
                        return read_key_fd(fd, false, key);
                if (errno != ENOENT)
                        return -errno;
        }

        for (unsigned attempt = 0; attempt < KEY_LOAD_TRIES; attempt++) {
                _cleanup_(closep) int fd = -EBADF;

                fd = openat(dir_fd, KEY_FILE, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
                if (fd >= 0)
                        return read_key_fd(fd, true, key);
                if (errno != ENOENT)
                        return -errno;

                r = create_key(dir_fd, key);
                if (r != -EEXIST)
                        return r;
        }
        return -EEXIST;
}
