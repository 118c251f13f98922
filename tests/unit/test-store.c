/* SPDX-License-Identifier: MIT */
/* The encrypted session store: a round trip and its on-disk layout,
 * account names, the key file and the credential key, write faults, and
 * sessions too big to store. Checks never print field values: some are
 * tokens. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-fixture.h"
#include "tests.h"
#include "util/secret.h"

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
        /* Writable again: only root could rewrite a 0400 file (the
         * package build runs this test as a normal user). */
        CHECK(chmod(key, 0600) >= 0);

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
        store_fixture_init();

        test_round_trip();
        test_account_names();
        test_key_checks();
        test_credentials_key();
        test_faults();
        test_too_big();

        printf("test-store: all checks passed\n");
        return EXIT_SUCCESS;
}
