/* SPDX-License-Identifier: MIT */
#pragma once

/* The store's file format: a header (magic "TSRS", version 1, 3 reserved
 * zero bytes, 24-byte nonce) followed by the XChaCha20-Poly1305 ciphertext
 * of the plaintext. The associated data is
 *      header || "account\0" account "\0" || "issuer\0" issuer "\0"
 * so no byte of the file can change, and no file can be moved to another
 * account or issuer, without the MAC failing. */

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#define SEALED_FILE_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
/* Far beyond any real session; a larger file is not ours and is not read. */
#define SEALED_FILE_MAX (1024U * 1024U)

/* Seals plain (in secret memory or not) into a new malloc()ed file image.
 * -E2BIG when the file would exceed SEALED_FILE_MAX. */
int sealed_file_seal(const uint8_t key[static SEALED_FILE_KEY_LEN],
                     const char *account, const char *issuer,
                     const uint8_t *plain, size_t plain_len,
                     uint8_t **ret_data, size_t *ret_len);

/* Opens a file image into a new plaintext in secret memory (secret_free()
 * it). -EBADMSG when data is not a file sealed with this key for this
 * account and issuer. */
int sealed_file_open(const uint8_t key[static SEALED_FILE_KEY_LEN],
                     const char *account, const char *issuer,
                     const uint8_t *data, size_t len,
                     uint8_t **ret_plain, size_t *ret_plain_len);
