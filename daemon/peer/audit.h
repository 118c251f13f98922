/* SPDX-License-Identifier: MIT */
#pragma once

/* The audit trail of token hand-outs: who got which account's token, when,
 * identified by a short hash of the token, never the token itself. */

#include "peer/peer.h"

/* A 16-hex-digit BLAKE2b digest of the token, enough to correlate with the
 * IdP's records, useless for getting the token back. */
void audit_token_hash(const char *token, char ret[static 17]);

/* memo: where the token's hash is kept between calls, "" at first
 * (hashing each hand-out was a tenth of a cached token request). */
/* sub: the GipoNext user of the session (NULL: unknown); session_uid:
 * whose session of a per-user account, (uid_t) -1 for a shared one. */
/* sub printed as is only when it is 1..255 visible ASCII characters,
 * else "?" ("-" when NULL). */
const char *audit_loggable(const char *v);

void audit_token_served(const char *account, const peer *p, const char *sub, uid_t session_uid,
                        const char *token, char memo[static 17]);
