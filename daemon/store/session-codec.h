/* SPDX-License-Identifier: MIT */
#pragma once

/* The session's binary form: the store's plaintext. Compact, ours alone,
 * and parsed strictly. */

#include <stddef.h>
#include <stdint.h>

#include "store/session.h"

/* Serialises to a new buffer in secret memory (secret_free() it). -EINVAL
 * without an access token or with a tenant without id, -E2BIG past the
 * limits of session.h. */
int session_encode(const session *s, uint8_t **ret_buf, size_t *ret_len);

/* The decoder checks every length against the buffer and the limits of
 * session.h and rejects unknown versions: -EBADMSG for anything that is not
 * exactly an encoded session. */
int session_decode(const uint8_t *buf, size_t len, session **ret);
