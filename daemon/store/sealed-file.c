/* SPDX-License-Identifier: MIT */
#include "store/sealed-file.h"
#include "util/secret.h"
#include "util/util.h"

#define MAGIC "TSRS"
#define MAGIC_LEN 4U
#define FORMAT_VERSION 1
#define NONCE_OFFSET 8U
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define HEADER_LEN (NONCE_OFFSET + NONCE_LEN)
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

/* header || "account\0" account "\0" || "issuer\0" issuer "\0": the NULs
 * keep ("ab","c") and ("a","bc") apart. */
static uint8_t *make_ad(const uint8_t *header, const char *account, const char *issuer, size_t *ret_len) {
        static const char a_label[] = "account", i_label[] = "issuer";
        size_t la = strlen(account), li = strlen(issuer), n;
        uint8_t *ad, *p;

        n = HEADER_LEN + sizeof(a_label) + la + 1 + sizeof(i_label) + li + 1;
        ad = malloc(n);
        if (!ad)
                return NULL;

        p = ad;
        memcpy(p, header, HEADER_LEN);
        p += HEADER_LEN;
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

int sealed_file_seal(const uint8_t key[static SEALED_FILE_KEY_LEN],
                     const char *account, const char *issuer,
                     const uint8_t *plain, size_t plain_len,
                     uint8_t **ret_data, size_t *ret_len) {
        _cleanup_(freep) uint8_t *data = NULL, *ad = NULL;
        unsigned long long clen;
        size_t ad_len;

        /* Never write what sealed_file_open()'s callers would refuse to read. */
        if (plain_len > SEALED_FILE_MAX - HEADER_LEN - TAG_LEN)
                return -E2BIG;

        data = malloc(HEADER_LEN + plain_len + TAG_LEN);
        if (!data)
                return -ENOMEM;
        memcpy(data, MAGIC, MAGIC_LEN);
        data[4] = FORMAT_VERSION;
        data[5] = data[6] = data[7] = 0;
        randombytes_buf(data + NONCE_OFFSET, NONCE_LEN);

        ad = make_ad(data, account, issuer, &ad_len);
        if (!ad)
                return -ENOMEM;

        if (crypto_aead_xchacha20poly1305_ietf_encrypt(
                            data + HEADER_LEN, &clen,
                            plain, plain_len,
                            ad, ad_len,
                            NULL, data + NONCE_OFFSET, key) != 0)
                return -EIO;

        *ret_len = HEADER_LEN + (size_t) clen;
        *ret_data = TAKE_PTR(data);
        return 0;
}

int sealed_file_open(const uint8_t key[static SEALED_FILE_KEY_LEN],
                     const char *account, const char *issuer,
                     const uint8_t *data, size_t len,
                     uint8_t **ret_plain, size_t *ret_plain_len) {
        _cleanup_(freep) uint8_t *ad = NULL;
        _cleanup_(secret_freep) uint8_t *plain = NULL;
        unsigned long long plain_len;
        size_t ad_len, clen;

        if (len < HEADER_LEN + TAG_LEN)
                return -EBADMSG;
        if (memcmp(data, MAGIC, MAGIC_LEN) != 0 || data[4] != FORMAT_VERSION ||
            data[5] != 0 || data[6] != 0 || data[7] != 0)
                return -EBADMSG;

        ad = make_ad(data, account, issuer, &ad_len);
        if (!ad)
                return -ENOMEM;

        clen = len - HEADER_LEN;
        plain = secret_alloc(clen - TAG_LEN);
        if (!plain)
                return -ENOMEM;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                            plain, &plain_len, NULL,
                            data + HEADER_LEN, clen,
                            ad, ad_len,
                            data + NONCE_OFFSET, key) != 0)
                return -EBADMSG;

        *ret_plain = TAKE_PTR(plain);
        *ret_plain_len = (size_t) plain_len;
        return 0;
}
