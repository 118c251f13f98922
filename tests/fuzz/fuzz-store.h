/* SPDX-License-Identifier: MIT */
#pragma once

/* What fuzz-store-file and gen-seeds agree on: the store key, account and
 * issuer the harness uses, and the file layout of store/sealed-file.c
 * (header "TSRS", version 1, three zero bytes, 24-byte nonce;
 * XChaCha20-Poly1305 over the session encoding with header || "account\0"
 * NAME "\0" || "issuer\0" ISSUER "\0" as associated data). The layout is
 * repeated here so the harness can seal arbitrary plaintexts and reach
 * session_decode() through the store; a change in sealed-file.c shows up as
 * sealed seeds that no longer load (fuzz-store-file checks that they do). */

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define FUZZ_STORE_ACCOUNT "fuzz"
#define FUZZ_STORE_ISSUER "https://idp.example.test"
#define FUZZ_STORE_OTHER_ISSUER "https://other.example.test"
#define FUZZ_STORE_HEADER_LEN (8 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)

/* Mode byte, the first of each fuzz-store-file input. */
enum {
        FUZZ_STORE_RAW = 0,             /* the rest is the file */
        FUZZ_STORE_SEALED = 1,          /* the rest is the plaintext, sealed for the account */
        FUZZ_STORE_SEALED_OTHER = 2,    /* sealed for another issuer: must never load */
};

static inline void fuzz_store_key(uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES]) {
        for (size_t i = 0; i < crypto_aead_xchacha20poly1305_ietf_KEYBYTES; i++)
                key[i] = (uint8_t) (0xa5 ^ (i * 7));
}

/* Returns a malloc'ed file of *ret_len bytes, or NULL. */
static inline uint8_t *fuzz_store_seal(const uint8_t *plain, size_t plain_len,
                                       const char *account, const char *issuer,
                                       size_t *ret_len) {
        static const char a_label[] = "account", i_label[] = "issuer";
        uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
        size_t la = strlen(account), li = strlen(issuer);
        size_t ad_len = FUZZ_STORE_HEADER_LEN + sizeof(a_label) + la + 1 + sizeof(i_label) + li + 1;
        size_t len = FUZZ_STORE_HEADER_LEN + plain_len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
        unsigned long long clen;
        uint8_t *file, *ad, *p;

        file = malloc(len);
        ad = malloc(ad_len);
        if (!file || !ad) {
                free(file);
                free(ad);
                return NULL;
        }

        memcpy(file, "TSRS\x01\0\0\0", 8);
        /* A fixed nonce keeps the harness deterministic; the key is a
         * test key, so reuse costs nothing. */
        for (size_t i = 0; i < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES; i++)
                file[8 + i] = (uint8_t) i;

        p = ad;
        memcpy(p, file, FUZZ_STORE_HEADER_LEN);
        p += FUZZ_STORE_HEADER_LEN;
        memcpy(p, a_label, sizeof(a_label));
        p += sizeof(a_label);
        memcpy(p, account, la + 1);
        p += la + 1;
        memcpy(p, i_label, sizeof(i_label));
        p += sizeof(i_label);
        memcpy(p, issuer, li + 1);

        fuzz_store_key(key);
        crypto_aead_xchacha20poly1305_ietf_encrypt(file + FUZZ_STORE_HEADER_LEN, &clen,
                                                   plain, plain_len, ad, ad_len, NULL,
                                                   file + 8, key);
        sodium_memzero(key, sizeof(key));
        free(ad);
        *ret_len = FUZZ_STORE_HEADER_LEN + (size_t) clen;
        return file;
}
