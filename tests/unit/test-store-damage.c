/* SPDX-License-Identifier: MIT */
/* The session store's damaged files: flipped bits, truncations and
 * garbage, files bound to another account, issuer or key, all quarantined
 * and never overwritten; symlinks left alone; a crash's leftovers removed. */
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

int main(void) {
        store_fixture_init();

        test_tampering();
        test_binding();
        test_quarantine_name_taken();
        test_not_moved_on_io_error();
        test_crash_leftovers();

        printf("test-store-damage: all checks passed\n");
        return EXIT_SUCCESS;
}
