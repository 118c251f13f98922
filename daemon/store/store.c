/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "util/account-name.h"
#include "util/secret.h"
#include "store/store.h"

/* File layout: header (magic, version, 3 reserved zero bytes, 24-byte
 * nonce) followed by the XChaCha20-Poly1305 ciphertext of session_encode().
 * The whole header is part of the associated data, so no byte of the file
 * can change without the MAC failing. */

#define STORE_MAGIC "TSRS"
#define STORE_FORMAT_VERSION 1
#define STORE_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define STORE_HEADER_LEN (4 + 1 + 3 + STORE_NONCE_LEN)
#define STORE_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define STORE_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
/* Far beyond any real session; a larger file is not ours and is not read. */
#define STORE_FILE_MAX (1024U * 1024U)
#define SESSION_SUFFIX ".session"
#define TEMP_INFIX ".tmp-"
#define TEMP_RANDOM_LEN 6U
#define QUARANTINE_TRIES 1000U

struct store {
        int dir_fd;
        int accounts_fd;
        uint8_t *key;                   /* secret memory */
        store_fault_hook fault_hook;
        void *fault_userdata;
};

/* Same rule as conf.c for account names: they become file names here. */
static int fault(store *s, const char *point) {
        int r;

        if (!s->fault_hook)
                return 0;
        r = s->fault_hook(point, s->fault_userdata);
        return r < 0 ? r : 0;
}

void store_set_fault_hook(store *s, store_fault_hook hook, void *userdata) {
        if (!s)
                return;
        s->fault_hook = hook;
        s->fault_userdata = userdata;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Reads up to max bytes; returns the count, or -EFBIG when the file holds
 * more than max. */
static ssize_t read_all(int fd, uint8_t *p, size_t max) {
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

                k = read(fd, p + got, max - got);
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

static int fsync_fd(int fd) {
        return fsync(fd) < 0 ? -errno : 0;
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

/* Matches only names random_suffix()-based temp creation produces:
 * "*.tmp-XXXXXX" with six alphanumerics. No final or quarantined name can
 * end that way (they end in ".session" or "-<digits>" after ".corrupt"). */
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

/* Creates "<prefix>.tmp-XXXXXX" in dir_fd, mode 0600, so the final rename
 * or link stays within one directory (and one file system). */
static int create_temp(int dir_fd, const char *prefix, char **ret_name, int *ret_fd) {
        for (unsigned attempt = 0; attempt < 100; attempt++) {
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

/* mkdir -p, every missing component with mode 0700. */
static int mkdir_p(const char *path) {
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
        n = read_all(fd, buf, STORE_KEY_LEN + 1);
        if (n >= 0 && n != STORE_KEY_LEN)
                n = -EBADMSG;
        if (n == -EFBIG)
                n = -EBADMSG;
        if (n >= 0)
                memcpy(key, buf, STORE_KEY_LEN);
        secret_free(buf);
        return n < 0 ? (int) n : 0;
}

/* Writes a new key under a temp name and links it into place, so a crash
 * never leaves a short key behind, and two racing starts agree on one key.
 * Returns -EEXIST when another process created the key first. */
static int create_key(int dir_fd, uint8_t *key) {
        _cleanup_(freep) char *tmp = NULL;
        _cleanup_(closep) int fd = -EBADF;
        int r;

        r = create_temp(dir_fd, "key", &tmp, &fd);
        if (r < 0)
                return r;

        randombytes_buf(key, STORE_KEY_LEN);
        r = write_all(fd, key, STORE_KEY_LEN);
        if (r >= 0)
                r = fsync_fd(fd);
        if (r >= 0 && linkat(dir_fd, tmp, dir_fd, "key", 0) < 0)
                r = -errno;
        (void) unlinkat(dir_fd, tmp, 0);
        if (r < 0) {
                sodium_memzero(key, STORE_KEY_LEN);
                return r;
        }
        return fsync_fd(dir_fd);
}

static int load_key(int dir_fd, uint8_t *key) {
        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        int r;

        if (!isempty(creds)) {
                _cleanup_(freep) char *path = NULL;
                _cleanup_(closep) int fd = -EBADF;

                if (asprintf(&path, "%s/tessera.key", creds) < 0)
                        return -ENOMEM;
                fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY);
                if (fd >= 0)
                        /* systemd owns the mode of credentials (often 0440
                         * for the service user); it is not ours to judge. */
                        return read_key_fd(fd, false, key);
                if (errno != ENOENT)
                        return -errno;
        }

        for (unsigned attempt = 0; attempt < 3; attempt++) {
                _cleanup_(closep) int fd = -EBADF;

                fd = openat(dir_fd, "key", O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY);
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

int store_open(const char *state_dir, store **ret) {
        _cleanup_(store_freep) store *s = NULL;
        int r;

        if (isempty(state_dir) || !ret)
                return -EINVAL;

        s = calloc(1, sizeof(store));
        if (!s)
                return -ENOMEM;
        s->dir_fd = s->accounts_fd = -EBADF;

        r = mkdir_p(state_dir);
        if (r < 0)
                return r;
        s->dir_fd = open(state_dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (s->dir_fd < 0)
                return -errno;

        if (mkdirat(s->dir_fd, "accounts", 0700) < 0) {
                if (errno != EEXIST)
                        return -errno;
        } else {
                r = fsync_fd(s->dir_fd);
                if (r < 0)
                        return r;
        }
        s->accounts_fd = openat(s->dir_fd, "accounts", O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
        if (s->accounts_fd < 0)
                return -errno;

        s->key = secret_alloc(STORE_KEY_LEN);
        if (!s->key)
                return -ENOMEM;
        r = load_key(s->dir_fd, s->key);
        if (r < 0)
                return r;

        r = store_cleanup_temp(s);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

store *store_free(store *s) {
        if (!s)
                return NULL;
        if (s->dir_fd >= 0)
                (void) close(s->dir_fd);
        if (s->accounts_fd >= 0)
                (void) close(s->accounts_fd);
        secret_free(s->key);
        free(s);
        return NULL;
}

static int cleanup_temp_in(int dir_fd) {
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

int store_cleanup_temp(store *s) {
        int r, k;

        if (!s)
                return -EINVAL;

        r = cleanup_temp_in(s->accounts_fd);
        k = cleanup_temp_in(s->dir_fd);
        if (r == 0)
                r = k;
        return r;
}

static char *session_file_name(const char *account) {
        char *n = NULL;

        if (asprintf(&n, "%s%s", account, SESSION_SUFFIX) < 0)
                return NULL;
        return n;
}

/* header || "account\0" account "\0" || "issuer\0" issuer "\0": the NULs
 * keep ("ab","c") and ("a","bc") apart. */
static uint8_t *make_ad(const uint8_t *header, const char *account, const char *issuer, size_t *ret_len) {
        static const char a_label[] = "account", i_label[] = "issuer";
        size_t la = strlen(account), li = strlen(issuer), n;
        uint8_t *ad, *p;

        n = STORE_HEADER_LEN + sizeof(a_label) + la + 1 + sizeof(i_label) + li + 1;
        ad = malloc(n);
        if (!ad)
                return NULL;

        p = ad;
        memcpy(p, header, STORE_HEADER_LEN);
        p += STORE_HEADER_LEN;
        memcpy(p, a_label, sizeof(a_label));
        p += sizeof(a_label);
        memcpy(p, account, la + 1);
        p += la + 1;
        memcpy(p, i_label, sizeof(i_label));
        p += sizeof(i_label);
        memcpy(p, issuer, li + 1);

        *ret_len = n;
        return ad;
}

static int rename_noreplace(int dir_fd, const char *from, const char *to) {
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

static int quarantine(store *s, const char *name, char **ret_name) {
        long long now = (long long) time(NULL);
        int r;

        for (unsigned i = 0; i < QUARANTINE_TRIES; i++) {
                _cleanup_(freep) char *q = NULL;
                int k;

                if (i == 0)
                        k = asprintf(&q, "%s.corrupt-%lld", name, now);
                else
                        k = asprintf(&q, "%s.corrupt-%lld-%u", name, now, i);
                if (k < 0)
                        return -ENOMEM;

                r = rename_noreplace(s->accounts_fd, name, q);
                if (r == -EEXIST)
                        continue;
                if (r < 0)
                        return r;

                r = fsync_fd(s->accounts_fd);
                if (r < 0)
                        return r;
                *ret_name = TAKE_PTR(q);
                return 0;
        }
        return -EEXIST;
}

/* Reads and decrypts one file. -EBADMSG means the content is not a valid
 * session for this account, issuer and key; other errors are I/O trouble. */
static int load_file(store *s, int fd, const char *account, const char *issuer, session **ret) {
        _cleanup_(freep) uint8_t *data = NULL, *ad = NULL;
        _cleanup_(secret_freep) uint8_t *plain = NULL;
        unsigned long long plain_len;
        size_t ad_len, clen;
        struct stat st;
        ssize_t n;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (st.st_size < 0 || (uint64_t) st.st_size > STORE_FILE_MAX)
                return -EBADMSG;

        /* Files are replaced by rename, never rewritten in place, so one
         * that grows while read is not one of ours. */
        data = malloc(MAX((size_t) st.st_size, (size_t) 1));
        if (!data)
                return -ENOMEM;
        n = read_all(fd, data, (size_t) st.st_size);
        if (n == -EFBIG)
                return -EBADMSG;
        if (n < 0)
                return (int) n;

        if ((size_t) n < STORE_HEADER_LEN + STORE_TAG_LEN)
                return -EBADMSG;
        if (memcmp(data, STORE_MAGIC, 4) != 0 || data[4] != STORE_FORMAT_VERSION ||
            data[5] != 0 || data[6] != 0 || data[7] != 0)
                return -EBADMSG;

        ad = make_ad(data, account, issuer, &ad_len);
        if (!ad)
                return -ENOMEM;

        clen = (size_t) n - STORE_HEADER_LEN;
        plain = secret_alloc(clen - STORE_TAG_LEN);
        if (!plain)
                return -ENOMEM;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                            plain, &plain_len, NULL,
                            data + STORE_HEADER_LEN, clen,
                            ad, ad_len,
                            data + 8, s->key) != 0)
                return -EBADMSG;

        return session_decode(plain, (size_t) plain_len, ret);
}

int store_load(store *s, const char *account, const char *issuer,
               session **ret, char **ret_quarantined) {
        _cleanup_(freep) char *name = NULL, *q = NULL;
        _cleanup_(closep) int fd = -EBADF;
        session *sess = NULL;
        int r;

        if (!s || !account_name_is_storable(account) || !issuer || !ret)
                return -EINVAL;

        name = session_file_name(account);
        if (!name)
                return -ENOMEM;

        fd = openat(s->accounts_fd, name, O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY|O_NONBLOCK);
        if (fd < 0)
                return -errno;

        r = load_file(s, fd, account, issuer, &sess);
        if (r >= 0) {
                *ret = sess;
                return 0;
        }
        if (r != -EBADMSG)
                return r;

        /* Keep the evidence but out of the way, so the next login can
         * write a fresh file and nobody trips over this one again. */
        r = quarantine(s, name, &q);
        if (r < 0)
                return r;
        if (ret_quarantined)
                *ret_quarantined = TAKE_PTR(q);
        return -EBADMSG;
}

static int encrypt_session(store *s, const char *account, const char *issuer,
                           const session *sess, uint8_t **ret_data, size_t *ret_len) {
        _cleanup_(secret_freep) uint8_t *plain = NULL;
        _cleanup_(freep) uint8_t *data = NULL, *ad = NULL;
        unsigned long long clen;
        size_t plain_len, ad_len;
        int r;

        r = session_encode(sess, &plain, &plain_len);
        if (r < 0)
                return r;
        /* Never write what store_load() would refuse to read. */
        if (plain_len > STORE_FILE_MAX - STORE_HEADER_LEN - STORE_TAG_LEN)
                return -E2BIG;

        data = malloc(STORE_HEADER_LEN + plain_len + STORE_TAG_LEN);
        if (!data)
                return -ENOMEM;
        memcpy(data, STORE_MAGIC, 4);
        data[4] = STORE_FORMAT_VERSION;
        data[5] = data[6] = data[7] = 0;
        randombytes_buf(data + 8, STORE_NONCE_LEN);

        ad = make_ad(data, account, issuer, &ad_len);
        if (!ad)
                return -ENOMEM;

        if (crypto_aead_xchacha20poly1305_ietf_encrypt(
                            data + STORE_HEADER_LEN, &clen,
                            plain, plain_len,
                            ad, ad_len,
                            NULL, data + 8, s->key) != 0)
                return -EIO;

        *ret_len = STORE_HEADER_LEN + (size_t) clen;
        *ret_data = TAKE_PTR(data);
        return 0;
}

int store_save(store *s, const char *account, const char *issuer, const session *sess) {
        _cleanup_(freep) char *name = NULL, *prefix = NULL, *tmp = NULL;
        _cleanup_(freep) uint8_t *data = NULL;
        _cleanup_(closep) int fd = -EBADF;
        size_t len;
        int r;

        if (!s || !account_name_is_storable(account) || !issuer || !sess)
                return -EINVAL;

        name = session_file_name(account);
        if (!name)
                return -ENOMEM;
        if (asprintf(&prefix, ".%s", account) < 0)
                return -ENOMEM;

        r = encrypt_session(s, account, issuer, sess, &data, &len);
        if (r < 0)
                return r;

        r = create_temp(s->accounts_fd, prefix, &tmp, &fd);
        if (r < 0)
                return r;

        r = fault(s, "write");
        if (r >= 0)
                r = write_all(fd, data, len);
        if (r >= 0)
                r = fault(s, "fsync");
        if (r >= 0)
                r = fsync_fd(fd);
        if (r >= 0)
                r = fault(s, "rename");
        if (r >= 0 && renameat(s->accounts_fd, tmp, s->accounts_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(s->accounts_fd, tmp, 0);
                return r;
        }

        /* The new file is in place now; if the directory cannot be synced
         * the caller must still treat the save as not durable. */
        r = fault(s, "fsync-dir");
        if (r >= 0)
                r = fsync_fd(s->accounts_fd);
        return r;
}

int store_remove(store *s, const char *account) {
        _cleanup_(freep) char *name = NULL;

        if (!s || !account_name_is_storable(account))
                return -EINVAL;

        name = session_file_name(account);
        if (!name)
                return -ENOMEM;

        if (unlinkat(s->accounts_fd, name, 0) < 0) {
                if (errno != ENOENT)
                        return -errno;
                return 0;
        }
        return fsync_fd(s->accounts_fd);
}
