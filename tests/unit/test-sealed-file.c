/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "store/sealed-file.h"
#include "util/secret.h"
#include "tests.h"

/* Checks never print contents: the plaintext stands for tokens. */

#define ACCOUNT "default"
#define ISSUER "https://account.example.test"
#define HEADER_LEN 32U
#define TAG_LEN 16U

static const uint8_t plain[] = "at-Zq81-distinctive-plaintext";

static void seal(const uint8_t *key, uint8_t **ret, size_t *ret_len) {
        CHECK_R(sealed_file_seal(key, ACCOUNT, ISSUER, plain, sizeof plain, ret, ret_len), 0);
        CHECK(*ret_len == HEADER_LEN + sizeof plain + TAG_LEN);
        CHECK(memcmp(*ret, "TSRS\x01\0\0\0", 8) == 0);
        CHECK(!memmem(*ret, *ret_len, "Zq81", 4));
}

static void test_round_trip(const uint8_t *key) {
        _cleanup_(freep) uint8_t *file = NULL, *again = NULL;
        _cleanup_(secret_freep) uint8_t *out = NULL;
        size_t len, again_len, out_len = 0;

        seal(key, &file, &len);
        CHECK_R(sealed_file_open(key, ACCOUNT, ISSUER, file, len, &out, &out_len), 0);
        CHECK(out_len == sizeof plain && memcmp(out, plain, out_len) == 0);

        /* A fresh nonce each time: the same plaintext never seals alike. */
        seal(key, &again, &again_len);
        CHECK(again_len == len && memcmp(again, file, len) != 0);
}

static void test_refused(const uint8_t *key) {
        _cleanup_(freep) uint8_t *file = NULL;
        uint8_t other[SEALED_FILE_KEY_LEN], *out = NULL;
        size_t len, out_len = 0;

        seal(key, &file, &len);

        /* Every byte is covered: header, ciphertext and tag. */
        for (size_t i = 0; i < len; i++) {
                file[i] ^= 0x01;
                CHECK_R(sealed_file_open(key, ACCOUNT, ISSUER, file, len, &out, &out_len), -EBADMSG);
                file[i] ^= 0x01;
        }
        for (size_t n = 0; n < len; n++)
                CHECK_R(sealed_file_open(key, ACCOUNT, ISSUER, file, n, &out, &out_len), -EBADMSG);

        /* Bound to the account, the issuer and the key; the NULs keep
         * ("default","x") apart from ("defaul","tx"). */
        CHECK_R(sealed_file_open(key, "other", ISSUER, file, len, &out, &out_len), -EBADMSG);
        CHECK_R(sealed_file_open(key, ACCOUNT, ISSUER "/", file, len, &out, &out_len), -EBADMSG);
        CHECK_R(sealed_file_open(key, "defaul", "t" ISSUER, file, len, &out, &out_len), -EBADMSG);
        memcpy(other, key, sizeof other);
        other[0] ^= 0x80;
        CHECK_R(sealed_file_open(other, ACCOUNT, ISSUER, file, len, &out, &out_len), -EBADMSG);
        CHECK(!out && out_len == 0);
        sodium_memzero(other, sizeof other);
}

static void test_size_limit(const uint8_t *key) {
        size_t fits = SEALED_FILE_MAX - HEADER_LEN - TAG_LEN, len = 0;
        _cleanup_(freep) uint8_t *big = calloc(1, fits + 1);
        uint8_t *file = NULL;

        CHECK(big);
        CHECK_R(sealed_file_seal(key, ACCOUNT, ISSUER, big, fits + 1, &file, &len), -E2BIG);
        CHECK(!file && len == 0);
        CHECK_R(sealed_file_seal(key, ACCOUNT, ISSUER, big, fits, &file, &len), 0);
        CHECK(len == SEALED_FILE_MAX);
        free(file);
}

int main(void) {
        uint8_t *key;

        CHECK(sodium_init() >= 0);
        key = secret_alloc(SEALED_FILE_KEY_LEN);
        CHECK(key);
        randombytes_buf(key, SEALED_FILE_KEY_LEN);

        test_round_trip(key);
        test_refused(key);
        test_size_limit(key);

        secret_free(key);
        secret_cache_flush();
        return 0;
}
