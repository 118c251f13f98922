/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "store/durable-file.h"
#include "store/sealed-file.h"
#include "store/session-codec.h"
#include "store/store-key.h"
#include "store/store.h"
#include "util/account-name.h"
#include "util/secret.h"

/* Each account's session is one sealed file (sealed-file.h) holding
 * session_encode()'s plaintext, named "<account>.session" in accounts/. */

#define ACCOUNTS_DIR "accounts"
#define SESSION_SUFFIX ".session"
#define QUARANTINE_TRIES 1000U

struct store {
        int dir_fd;
        int accounts_fd;
        uint8_t *key;                   /* secret memory */
        store_fault_hook fault_hook;
        void *fault_userdata;
};

void store_set_fault_hook(store *s, store_fault_hook hook, void *userdata) {
        if (!s)
                return;
        s->fault_hook = hook;
        s->fault_userdata = userdata;
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

        if (mkdirat(s->dir_fd, ACCOUNTS_DIR, 0700) < 0) {
                if (errno != EEXIST)
                        return -errno;
        } else {
                r = fd_fsync(s->dir_fd);
                if (r < 0)
                        return r;
        }
        s->accounts_fd = openat(s->dir_fd, ACCOUNTS_DIR, O_RDONLY|O_DIRECTORY|O_CLOEXEC|O_NOFOLLOW);
        if (s->accounts_fd < 0)
                return -errno;

        s->key = secret_alloc(STORE_KEY_LEN);
        if (!s->key)
                return -ENOMEM;
        r = store_key_load(s->dir_fd, s->key);
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

int store_cleanup_temp(store *s) {
        int r, k;

        if (!s)
                return -EINVAL;

        r = temp_files_remove(s->accounts_fd);
        k = temp_files_remove(s->dir_fd);
        if (r == 0)
                r = k;
        return r;
}

/* The file name of a storable account, or NULL on OOM (after the checks
 * every entry point makes). */
static char *session_file_name(const char *account) {
        char *n = NULL;

        if (asprintf(&n, "%s%s", account, SESSION_SUFFIX) < 0)
                return NULL;
        return n;
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

                r = fd_fsync(s->accounts_fd);
                if (r < 0)
                        return r;
                *ret_name = TAKE_PTR(q);
                return 0;
        }
        return -EEXIST;
}

/* Reads, opens and decodes one file. -EBADMSG means the content is not a
 * valid session for this account, issuer and key; other errors are I/O
 * trouble. */
static int load_file(store *s, int fd, const char *account, const char *issuer, session **ret) {
        _cleanup_(freep) uint8_t *data = NULL;
        _cleanup_(secret_freep) uint8_t *plain = NULL;
        size_t plain_len;
        struct stat st;
        ssize_t n;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if (st.st_size < 0 || (uint64_t) st.st_size > SEALED_FILE_MAX)
                return -EBADMSG;

        /* Files are replaced by rename, never rewritten in place, so one
         * that grows while read is not one of ours. */
        data = malloc(MAX((size_t) st.st_size, (size_t) 1));
        if (!data)
                return -ENOMEM;
        n = fd_read_all(fd, data, (size_t) st.st_size);
        if (n == -EFBIG)
                return -EBADMSG;
        if (n < 0)
                return (int) n;

        r = sealed_file_open(s->key, account, issuer, data, (size_t) n, &plain, &plain_len);
        if (r < 0)
                return r;

        return session_decode(plain, plain_len, ret);
}

int store_load(store *s, const char *account, const char *issuer,
               session **ret, char **ret_quarantined) {
        _cleanup_(freep) char *name = NULL, *q = NULL;
        _cleanup_(closep) int fd = -EBADF;
        session *sess = NULL;
        int r;

        if (!s || !account_store_key_is_valid(account) || !issuer || !ret)
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

int store_save(store *s, const char *account, const char *issuer, const session *sess) {
        _cleanup_(freep) char *name = NULL, *prefix = NULL;
        _cleanup_(secret_freep) uint8_t *plain = NULL;
        _cleanup_(freep) uint8_t *data = NULL;
        size_t plain_len, len;
        int r;

        if (!s || !account_store_key_is_valid(account) || !issuer || !sess)
                return -EINVAL;

        name = session_file_name(account);
        if (!name)
                return -ENOMEM;
        if (asprintf(&prefix, ".%s", account) < 0)
                return -ENOMEM;

        r = session_encode(sess, &plain, &plain_len);
        if (r < 0)
                return r;
        r = sealed_file_seal(s->key, account, issuer, plain, plain_len, &data, &len);
        if (r < 0)
                return r;

        return durable_file_write(s->accounts_fd, name, prefix, data, len,
                                  s->fault_hook, s->fault_userdata);
}

int store_remove(store *s, const char *account) {
        _cleanup_(freep) char *name = NULL;

        if (!s || !account_store_key_is_valid(account))
                return -EINVAL;

        name = session_file_name(account);
        if (!name)
                return -ENOMEM;

        if (unlinkat(s->accounts_fd, name, 0) < 0) {
                if (errno != ENOENT)
                        return -errno;
                return 0;
        }
        return fd_fsync(s->accounts_fd);
}

int store_list_users(store *s, const char *account, uid_t **ret, size_t *ret_n) {
        _cleanup_(freep) uid_t *uids = NULL;
        DIR *d;
        size_t n = 0, allocated = 0;
        struct dirent *de;
        int fd, r;

        if (!s || !account_name_is_storable(account) || !ret || !ret_n)
                return -EINVAL;

        fd = openat(s->accounts_fd, ".", O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        r = 0;
        while ((errno = 0, de = readdir(d))) {
                char key[ACCOUNT_STORE_KEY_MAX + sizeof SESSION_SUFFIX];
                size_t len = strlen(de->d_name);
                uid_t uid;

                /* "NAME@UID.session"; temporary and quarantined files
                 * have other names. */
                if (len <= strlen(SESSION_SUFFIX) || len >= sizeof key ||
                    !streq(de->d_name + len - strlen(SESSION_SUFFIX), SESSION_SUFFIX))
                        continue;
                memcpy(key, de->d_name, len - strlen(SESSION_SUFFIX));
                key[len - strlen(SESSION_SUFFIX)] = '\0';
                if (account_store_key_uid(key, account, &uid) < 0)
                        continue;
                if (n >= STORE_USERS_MAX) {
                        r = -E2BIG;
                        break;
                }
                if (n == allocated) {
                        uid_t *m;

                        allocated = MAX(allocated * 2, (size_t) 16);
                        m = reallocarray(uids, allocated, sizeof *uids);
                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        uids = m;
                }
                uids[n++] = uid;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        (void) closedir(d);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(uids);
        *ret_n = n;
        return 0;
}
