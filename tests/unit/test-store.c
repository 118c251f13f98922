/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <sys/stat.h>

#include "util/secret.h"
#include "store/session-codec.h"
#include "store/store.h"
#include "tests.h"

/* Checks never print field values: some are tokens. */

#define ISSUER "https://account.gipo.it"
#define ACCESS_TOKEN "eyJhbGciOi.at-Zq81-distinctive-access-token.sig"
#define ACCESS_PART "Zq81-distinctive"
#define REFRESH_TOKEN "rt-Pw47-distinctive-refresh-token"
#define REFRESH_PART "Pw47-distinctive"
#define HEADER_LEN 32U
#define TAG_LEN 16U

static char *top;                       /* mkdtemp() root, removed at exit */

static char *path_join(const char *a, const char *b) {
        char *p;
        CHECK(asprintf(&p, "%s/%s", a, b) >= 0);
        return p;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static void cleanup_top(void) {
        if (top)
                (void) nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, not yet existing state dir two levels below a temp dir, so
 * store_open() has to create the path. */
static char *new_state_dir(void) {
        static unsigned counter;
        char *p;
        CHECK(asprintf(&p, "%s/case%u/lib/tessera", top, counter++) >= 0);
        return p;
}

static uint8_t *read_file(const char *path, size_t *ret_len) {
        int fd = open(path, O_RDONLY|O_CLOEXEC);
        struct stat st;
        uint8_t *b;

        CHECK(fd >= 0);
        CHECK(fstat(fd, &st) >= 0);
        b = malloc((size_t) st.st_size + 1);
        CHECK(b);
        CHECK(read(fd, b, (size_t) st.st_size) == st.st_size);
        close(fd);
        *ret_len = (size_t) st.st_size;
        return b;
}

static void write_file(const char *path, const void *p, size_t n, mode_t mode) {
        int fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, mode);
        CHECK(fd >= 0);
        CHECK(fchmod(fd, mode) >= 0);
        CHECK(write(fd, p, n) == (ssize_t) n);
        close(fd);
}

static bool exists(const char *path) {
        struct stat st;
        return lstat(path, &st) >= 0;
}

static mode_t file_mode(const char *path) {
        struct stat st;
        CHECK(lstat(path, &st) >= 0);
        return st.st_mode & 07777;
}

static bool contains(const uint8_t *hay, size_t n, const char *needle) {
        return memmem(hay, n, needle, strlen(needle)) != NULL;
}

/* Names in dir other than "." and "..", counted; *ret_first gets one. */
static unsigned count_entries(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        CHECK(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    startswith(de->d_name, prefix))
                        n++;
        closedir(d);
        return n;
}

static session *make_session(const char *access, const char *tenant) {
        session *s = session_new();
        CHECK(s);
        CHECK_R(session_set_string(&s->access_token, access), 0);
        CHECK_R(session_set_string(&s->refresh_token, REFRESH_TOKEN), 0);
        CHECK_R(session_set_string(&s->scope, "giponext.agenda offline_access"), 0);
        s->expires_at = 1900000000;
        s->refreshed_at = 1899996400;
        CHECK_R(session_set_string(&s->sub, "sub-42"), 0);
        CHECK_R(session_set_string(&s->user, "Mario Rossi"), 0);
        CHECK_R(session_set_string(&s->tenant_id, tenant), 0);
        CHECK_R(session_set_string(&s->tenant_name, "Studio"), 0);
        CHECK_R(session_add_tenant(s, tenant, "Studio"), 0);
        CHECK_R(session_add_tenant(s, "other-tenant", NULL), 0);
        return s;
}

static void check_equal(const session *a, const session *b) {
        CHECK(streq_ptr(a->access_token, b->access_token));
        CHECK(streq_ptr(a->refresh_token, b->refresh_token));
        CHECK(streq_ptr(a->scope, b->scope));
        CHECK(a->expires_at == b->expires_at);
        CHECK(a->refreshed_at == b->refreshed_at);
        CHECK(streq_ptr(a->sub, b->sub));
        CHECK(streq_ptr(a->user, b->user));
        CHECK(streq_ptr(a->tenant_id, b->tenant_id));
        CHECK(streq_ptr(a->tenant_name, b->tenant_name));
        CHECK(a->n_tenants == b->n_tenants);
        for (size_t i = 0; i < a->n_tenants; i++) {
                CHECK(streq_ptr(a->tenants[i].id, b->tenants[i].id));
                CHECK(streq_ptr(a->tenants[i].name, b->tenants[i].name));
        }
}

/* Loads and expects exactly `want`. */
static void check_loads(store *st, const char *account, const char *issuer, const session *want) {
        _cleanup_(session_freep) session *got = NULL;
        _cleanup_(freep) char *q = NULL;

        CHECK_R(store_load(st, account, issuer, &got, &q), 0);
        CHECK(got);
        CHECK(!q);
        check_equal(want, got);
}

/* Loads expecting a quarantine; returns the quarantine file name. */
static char *check_quarantined(store *st, const char *accounts, const char *account, const char *issuer) {
        _cleanup_(session_freep) session *got = NULL;
        _cleanup_(freep) char *file = NULL, *path = NULL, *prefix = NULL;
        char *q = NULL;

        CHECK_R(store_load(st, account, issuer, &got, &q), -EBADMSG);
        CHECK(!got);
        CHECK(q);
        CHECK(asprintf(&prefix, "%s.session.corrupt-", account) >= 0);
        CHECK(startswith(q, prefix));
        CHECK(!strchr(q, '/'));

        file = path_join(accounts, account);
        free(path);
        CHECK(asprintf(&path, "%s.session", file) >= 0);
        CHECK(!exists(path));
        free(path);
        path = path_join(accounts, q);
        CHECK(exists(path));
        return q;
}

static void test_round_trip(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL, *key = NULL, *file = NULL;
        _cleanup_(freep) uint8_t *data = NULL, *data2 = NULL, *keybytes = NULL;
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t-1");
        _cleanup_(store_freep) store *st = NULL;
        size_t len, len2, keylen;

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        key = path_join(dir, "key");
        file = path_join(accounts, "default.session");

        CHECK(file_mode(dir) == 0700);
        CHECK(file_mode(accounts) == 0700);
        CHECK(file_mode(key) == 0600);
        keybytes = read_file(key, &keylen);
        CHECK(keylen == 32);

        {
                _cleanup_(session_freep) session *none = NULL;
                CHECK_R(store_load(st, "default", ISSUER, &none, NULL), -ENOENT);
                CHECK(!none);
        }

        /* A restrictive umask must not matter, nor a permissive one. */
        mode_t old = umask(0);
        CHECK_R(store_save(st, "default", ISSUER, s), 0);
        umask(old);
        CHECK(file_mode(file) == 0600);
        check_loads(st, "default", ISSUER, s);

        /* Nothing else left in accounts/: no temp file. */
        CHECK(count_entries(accounts, "") == 1);

        /* No plaintext token bytes on disk. */
        data = read_file(file, &len);
        CHECK(len > HEADER_LEN + TAG_LEN);
        CHECK(memcmp(data, "TSRS\1\0\0\0", 8) == 0);
        CHECK(!contains(data, len, ACCESS_TOKEN));
        CHECK(!contains(data, len, ACCESS_PART));
        CHECK(!contains(data, len, REFRESH_TOKEN));
        CHECK(!contains(data, len, REFRESH_PART));
        CHECK(!contains(data, len, "Mario Rossi"));

        /* The documented layout decrypts with the key file and the
         * documented associated data. */
        {
                static const uint8_t ad_tail[] = "account\0default\0issuer\0" ISSUER;
                uint8_t ad[HEADER_LEN + sizeof(ad_tail)];
                _cleanup_(secret_freep) uint8_t *plain = secret_alloc(len);
                _cleanup_(session_freep) session *d = NULL;
                unsigned long long plen;

                CHECK(plain);
                memcpy(ad, data, HEADER_LEN);
                memcpy(ad + HEADER_LEN, ad_tail, sizeof(ad_tail));
                CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(
                                plain, &plen, NULL, data + HEADER_LEN, len - HEADER_LEN,
                                ad, sizeof(ad), data + 8, keybytes) == 0);
                CHECK_R(session_decode(plain, plen, &d), 0);
                check_equal(s, d);
        }

        /* Every write takes a fresh nonce. */
        CHECK_R(store_save(st, "default", ISSUER, s), 0);
        data2 = read_file(file, &len2);
        CHECK(len2 == len);
        CHECK(memcmp(data + 8, data2 + 8, 24) != 0);

        /* A second store on the same dir reuses the key. */
        st = store_free(st);
        CHECK_R(store_open(dir, &st), 0);
        check_loads(st, "default", ISSUER, s);
        {
                _cleanup_(freep) uint8_t *k2 = NULL;
                size_t k2len;
                k2 = read_file(key, &k2len);
                CHECK(k2len == 32 && memcmp(k2, keybytes, 32) == 0);
        }

        /* Overwrite with another session. */
        {
                _cleanup_(session_freep) session *s2 = make_session("another-access", "t-9");
                CHECK_R(store_save(st, "default", ISSUER, s2), 0);
                check_loads(st, "default", ISSUER, s2);
        }

        /* Remove, then nothing to load; removing again is fine. */
        CHECK_R(store_remove(st, "default"), 0);
        CHECK(!exists(file));
        {
                _cleanup_(session_freep) session *none = NULL;
                CHECK_R(store_load(st, "default", ISSUER, &none, NULL), -ENOENT);
        }
        CHECK_R(store_remove(st, "default"), 0);
}

static void test_account_names(void) {
        _cleanup_(freep) char *dir = new_state_dir();
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(store_freep) store *st = NULL;
        char long_name[66];
        const char *bad[] = { "", ".", "..", "a/b", "../x", "a b", "ü", long_name };
        session *got = NULL;

        memset(long_name, 'a', 65);
        long_name[65] = '\0';
        CHECK_R(store_open(dir, &st), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_R(store_save(st, bad[i], ISSUER, s), -EINVAL);
                CHECK_R(store_load(st, bad[i], ISSUER, &got, NULL), -EINVAL);
                CHECK_R(store_remove(st, bad[i]), -EINVAL);
        }
        CHECK_R(store_save(st, NULL, ISSUER, s), -EINVAL);
        CHECK_R(store_save(st, "ok", NULL, s), -EINVAL);

        long_name[64] = '\0';
        CHECK_R(store_save(st, long_name, ISSUER, s), 0);
        check_loads(st, long_name, ISSUER, s);
        CHECK_R(store_save(st, ".dotted-Name_1", ISSUER, s), 0);
        check_loads(st, ".dotted-Name_1", ISSUER, s);
        /* A name that looks like a temp file must survive cleanup. */
        CHECK_R(store_save(st, ".x.tmp-abcdef", ISSUER, s), 0);
        CHECK_R(store_cleanup_temp(st), 0);
        check_loads(st, ".x.tmp-abcdef", ISSUER, s);
}

static void test_key_checks(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *key = NULL;
        store *st = NULL;
        uint8_t k[33] = {};

        CHECK_R(store_open(dir, &st), 0);
        st = store_free(st);
        key = path_join(dir, "key");

        CHECK(chmod(key, 0644) >= 0);
        CHECK_R(store_open(dir, &st), -EPERM);
        CHECK(!st);
        CHECK(chmod(key, 0640) >= 0);
        CHECK_R(store_open(dir, &st), -EPERM);
        CHECK(chmod(key, 0602) >= 0);
        CHECK_R(store_open(dir, &st), -EPERM);
        CHECK(chmod(key, 0400) >= 0);
        CHECK_R(store_open(dir, &st), 0);
        st = store_free(st);

        write_file(key, k, 31, 0600);
        CHECK_R(store_open(dir, &st), -EBADMSG);
        write_file(key, k, 33, 0600);
        CHECK_R(store_open(dir, &st), -EBADMSG);
        write_file(key, k, 0, 0600);
        CHECK_R(store_open(dir, &st), -EBADMSG);
        CHECK(!st);

        /* Not a regular file. */
        CHECK(unlink(key) >= 0);
        CHECK(mkdir(key, 0700) >= 0);
        CHECK(store_open(dir, &st) < 0);
        CHECK(!st);
}

static void test_credentials_key(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *creds = NULL, *ckey = NULL, *skey = NULL;
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(store_freep) store *st = NULL;
        uint8_t k[32];

        CHECK(asprintf(&creds, "%s/creds", top) >= 0);
        CHECK(mkdir(creds, 0700) >= 0);
        ckey = path_join(creds, "tessera.key");
        skey = path_join(dir, "key");
        randombytes_buf(k, sizeof(k));
        /* systemd decides the mode of credentials; 0644 is accepted. */
        write_file(ckey, k, sizeof(k), 0644);

        CHECK(setenv("CREDENTIALS_DIRECTORY", creds, 1) >= 0);
        CHECK_R(store_open(dir, &st), 0);
        CHECK(!exists(skey));
        CHECK_R(store_save(st, "default", ISSUER, s), 0);
        check_loads(st, "default", ISSUER, s);
        st = store_free(st);

        /* Without the credential the state dir gets a key of its own, which
         * cannot read what the credential key wrote. */
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
        CHECK_R(store_open(dir, &st), 0);
        CHECK(exists(skey));
        {
                _cleanup_(freep) char *accounts = path_join(dir, "accounts");
                _cleanup_(freep) char *q = check_quarantined(st, accounts, "default", ISSUER);
                CHECK(q);
        }
        st = store_free(st);

        /* A credentials dir without tessera.key falls back to the state key. */
        CHECK(unlink(ckey) >= 0);
        CHECK(setenv("CREDENTIALS_DIRECTORY", creds, 1) >= 0);
        CHECK_R(store_open(dir, &st), 0);
        CHECK_R(store_save(st, "default", ISSUER, s), 0);
        st = store_free(st);
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
        CHECK_R(store_open(dir, &st), 0);
        check_loads(st, "default", ISSUER, s);
        st = store_free(st);

        /* A credential of the wrong size is refused, not silently ignored. */
        write_file(ckey, k, 16, 0600);
        CHECK(setenv("CREDENTIALS_DIRECTORY", creds, 1) >= 0);
        CHECK_R(store_open(dir, &st), -EBADMSG);
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
}

static void test_tampering(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL, *file = NULL;
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(store_freep) store *st = NULL;
        _cleanup_(freep) uint8_t *orig = NULL;
        size_t len;

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        file = path_join(accounts, "default.session");
        CHECK_R(store_save(st, "default", ISSUER, s), 0);
        orig = read_file(file, &len);

        /* magic, version, reserved, nonce start/end, ciphertext start,
         * middle and end, tag start and end. */
        size_t offsets[] = { 0, 3, 4, 5, 7, 8, 31, 32, 33, len / 2,
                             len - TAG_LEN - 1, len - TAG_LEN, len - 1 };
        unsigned quarantined = 0;

        for (size_t i = 0; i < ELEMENTSOF(offsets); i++) {
                _cleanup_(freep) uint8_t *bad = malloc(len);
                CHECK(bad);
                memcpy(bad, orig, len);
                bad[offsets[i]] ^= 0x01;
                write_file(file, bad, len, 0600);

                free(check_quarantined(st, accounts, "default", ISSUER));
                quarantined++;
                /* Several in the same second get distinct names. */
                CHECK(count_entries(accounts, "default.session.corrupt-") == quarantined);

                CHECK_R(store_save(st, "default", ISSUER, s), 0);
                check_loads(st, "default", ISSUER, s);
        }

        /* Truncations. */
        size_t lengths[] = { 0, 1, 4, 8, HEADER_LEN, HEADER_LEN + TAG_LEN - 1,
                             HEADER_LEN + TAG_LEN, len - 1 };
        for (size_t i = 0; i < ELEMENTSOF(lengths); i++) {
                write_file(file, orig, lengths[i], 0600);
                free(check_quarantined(st, accounts, "default", ISSUER));
        }

        /* Appended garbage. */
        {
                _cleanup_(freep) uint8_t *longer = malloc(len + 1);
                CHECK(longer);
                memcpy(longer, orig, len);
                longer[len] = 0;
                write_file(file, longer, len + 1, 0600);
                free(check_quarantined(st, accounts, "default", ISSUER));
        }

        /* Over the size cap: refused without being parsed. */
        {
                size_t big = 1024 * 1024 + 1;
                _cleanup_(freep) uint8_t *huge = calloc(1, big);
                CHECK(huge);
                memcpy(huge, orig, len);
                write_file(file, huge, big, 0600);
                free(check_quarantined(st, accounts, "default", ISSUER));
        }

        /* The untouched original still loads. */
        write_file(file, orig, len, 0600);
        check_loads(st, "default", ISSUER, s);
}

static void test_binding(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *dir2 = new_state_dir();
        _cleanup_(freep) char *accounts = NULL, *accounts2 = NULL, *fa = NULL, *fb = NULL, *f2 = NULL;
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(store_freep) store *st = NULL, *st2 = NULL;
        _cleanup_(freep) uint8_t *data = NULL;
        size_t len;

        CHECK_R(store_open(dir, &st), 0);
        CHECK_R(store_open(dir2, &st2), 0);
        accounts = path_join(dir, "accounts");
        accounts2 = path_join(dir2, "accounts");
        fa = path_join(accounts, "a.session");
        fb = path_join(accounts, "b.session");
        f2 = path_join(accounts2, "a.session");

        CHECK_R(store_save(st, "a", ISSUER, s), 0);
        data = read_file(fa, &len);

        /* Copied to another account's name. */
        write_file(fb, data, len, 0600);
        free(check_quarantined(st, accounts, "b", ISSUER));
        check_loads(st, "a", ISSUER, s);

        /* Read with another issuer. */
        free(check_quarantined(st, accounts, "a", "https://evil.example"));
        write_file(fa, data, len, 0600);
        free(check_quarantined(st, accounts, "a", ISSUER "/"));
        write_file(fa, data, len, 0600);
        check_loads(st, "a", ISSUER, s);

        /* Another state dir's key. */
        write_file(f2, data, len, 0600);
        free(check_quarantined(st2, accounts2, "a", ISSUER));
}

static void test_quarantine_name_taken(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL, *file = NULL;
        _cleanup_(store_freep) store *st = NULL;
        char *q1, *q2;

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        file = path_join(accounts, "x.session");

        write_file(file, "junk-one", 8, 0600);
        q1 = check_quarantined(st, accounts, "x", ISSUER);
        write_file(file, "junk-two", 8, 0600);
        q2 = check_quarantined(st, accounts, "x", ISSUER);
        CHECK(!streq(q1, q2));

        /* Neither quarantined file was overwritten. */
        {
                _cleanup_(freep) char *p1 = path_join(accounts, q1), *p2 = path_join(accounts, q2);
                _cleanup_(freep) uint8_t *d1 = NULL, *d2 = NULL;
                size_t l1, l2;
                d1 = read_file(p1, &l1);
                d2 = read_file(p2, &l2);
                CHECK(l1 == 8 && memcmp(d1, "junk-one", 8) == 0);
                CHECK(l2 == 8 && memcmp(d2, "junk-two", 8) == 0);
        }
        free(q1);
        free(q2);
}

static void test_not_moved_on_io_error(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL, *file = NULL;
        _cleanup_(store_freep) store *st = NULL;
        session *got = NULL;
        char *q = NULL;

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        file = path_join(accounts, "x.session");

        /* A symlink is never followed: an error, and left where it is. */
        CHECK(symlink("/etc/passwd", file) >= 0);
        CHECK_R(store_load(st, "x", ISSUER, &got, &q), -ELOOP);
        CHECK(!got && !q);
        CHECK(exists(file));
        CHECK(count_entries(accounts, "x.session.corrupt-") == 0);
}

typedef struct fault {
        const char *point;
        int error;
        char seen[128];
} fault;

static int fault_hook(const char *point, void *userdata) {
        fault *f = userdata;

        strncat(f->seen, point, sizeof(f->seen) - strlen(f->seen) - 2);
        strcat(f->seen, " ");
        if (f->point && streq(point, f->point))
                return f->error;
        return 0;
}

static void test_faults(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL, *file = NULL;
        _cleanup_(session_freep) session *s1 = make_session(ACCESS_TOKEN, "t-old");
        _cleanup_(session_freep) session *s2 = make_session("new-access-token", "t-new");
        _cleanup_(store_freep) store *st = NULL;
        fault f = {};

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        file = path_join(accounts, "default.session");
        CHECK_R(store_save(st, "default", ISSUER, s1), 0);

        /* Every point is reached, in order. */
        store_set_fault_hook(st, fault_hook, &f);
        CHECK_R(store_save(st, "default", ISSUER, s1), 0);
        CHECK(streq(f.seen, "write fsync rename fsync-dir "));

        struct {
                const char *point;
                int error;
        } cases[] = {
                { "write",  -ENOSPC },
                { "write",  -EIO },
                { "fsync",  -ENOSPC },
                { "fsync",  -EIO },
                { "rename", -EIO },
                { "rename", -EXDEV },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                f = (fault) { .point = cases[i].point, .error = cases[i].error };
                CHECK_R(store_save(st, "default", ISSUER, s2), cases[i].error);
                /* Old session intact, no temp file left behind. */
                check_loads(st, "default", ISSUER, s1);
                CHECK(count_entries(accounts, "") == 1);
        }

        /* After the rename the new file is in place; the error still tells
         * the caller it may not be durable. */
        f = (fault) { .point = "fsync-dir", .error = -EIO };
        CHECK_R(store_save(st, "default", ISSUER, s2), -EIO);
        check_loads(st, "default", ISSUER, s2);
        CHECK(count_entries(accounts, "") == 1);

        store_set_fault_hook(st, NULL, NULL);
        CHECK_R(store_save(st, "default", ISSUER, s1), 0);
        check_loads(st, "default", ISSUER, s1);
}

static void test_crash_leftovers(void) {
        _cleanup_(freep) char *dir = new_state_dir(), *accounts = NULL;
        _cleanup_(freep) char *tmp1 = NULL, *tmp2 = NULL, *keep1 = NULL, *keep2 = NULL, *ktmp = NULL;
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(store_freep) store *st = NULL;

        CHECK_R(store_open(dir, &st), 0);
        accounts = path_join(dir, "accounts");
        CHECK_R(store_save(st, "default", ISSUER, s), 0);

        /* What a crash between temp write and rename leaves behind. */
        tmp1 = path_join(accounts, ".default.tmp-Ab12Cd");
        tmp2 = path_join(accounts, ".other.tmp-zzzzzz");
        keep1 = path_join(accounts, "default.session.corrupt-1700000000");
        keep2 = path_join(accounts, "notes.tmp-abc");
        ktmp = path_join(dir, "key.tmp-Q1w2E3");
        write_file(tmp1, "half-written", 12, 0600);
        write_file(tmp2, "", 0, 0600);
        write_file(keep1, "evidence", 8, 0600);
        write_file(keep2, "x", 1, 0600);
        write_file(ktmp, "k", 1, 0600);

        CHECK_R(store_cleanup_temp(st), 0);
        CHECK(!exists(tmp1));
        CHECK(!exists(tmp2));
        CHECK(!exists(ktmp));
        CHECK(exists(keep1));
        CHECK(exists(keep2));
        check_loads(st, "default", ISSUER, s);

        /* store_open() cleans up too. */
        st = store_free(st);
        write_file(tmp1, "half-written", 12, 0600);
        CHECK_R(store_open(dir, &st), 0);
        CHECK(!exists(tmp1));
        check_loads(st, "default", ISSUER, s);
}

static void test_too_big(void) {
        _cleanup_(freep) char *dir = new_state_dir();
        _cleanup_(session_freep) session *s = make_session(ACCESS_TOKEN, "t");
        _cleanup_(session_freep) session *big = make_session("big", "t");
        _cleanup_(store_freep) store *st = NULL;
        _cleanup_(freep) char *name = malloc(SESSION_STRING_MAX + 1);

        CHECK(name);
        memset(name, 'n', SESSION_STRING_MAX);
        name[SESSION_STRING_MAX] = '\0';
        CHECK_R(store_open(dir, &st), 0);
        CHECK_R(store_save(st, "default", ISSUER, s), 0);

        /* Valid for session.c but larger than any file store_load() reads:
         * refused up front rather than written unreadable. */
        while (big->n_tenants < 20)
                CHECK_R(session_add_tenant(big, "t", name), 0);
        CHECK_R(store_save(st, "default", ISSUER, big), -E2BIG);
        check_loads(st, "default", ISSUER, s);
}

int main(void) {
        char tmpl[] = "/tmp/test-store-XXXXXX";

        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return EXIT_FAILURE;
        }
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
        /* A copy: atexit handlers run after main()'s stack is gone. */
        CHECK(mkdtemp(tmpl));
        top = strdup(tmpl);
        CHECK(top);
        atexit(cleanup_top);

        test_round_trip();
        test_account_names();
        test_key_checks();
        test_credentials_key();
        test_tampering();
        test_binding();
        test_quarantine_name_taken();
        test_not_moved_on_io_error();
        test_faults();
        test_crash_leftovers();
        test_too_big();

        printf("test-store: all checks passed\n");
        return EXIT_SUCCESS;
}
