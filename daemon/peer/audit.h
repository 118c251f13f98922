/* SPDX-License-Identifier: MIT */
#pragma once

/* The audit trail: token hand-outs, gateway calls, logins, logouts, state
 * changes and the sessions ended with their desktop session. One line each,
 * as before on stderr; under journald the same MESSAGE with a MESSAGE_ID
 * per kind (util/log-ids.h) and TESSERA_* fields (tesserad(8), LOGGING).
 * A token is named by a short hash of it, never by itself. */

#include <stdbool.h>
#include <stdint.h>

#include "peer/peer.h"

/* A 16-hex-digit BLAKE2b digest of the token, enough to correlate with the
 * IdP's records, useless for getting the token back. */
void audit_token_hash(const char *token, char ret[static 17]);

/* A value from the IdP (sub), printed as is only when it is 1..255
 * visible ASCII characters, else "?" ("-" when NULL). */
const char *audit_loggable(const char *v);

/* Whose session an entry is about. */
typedef struct audit_session {
        const char *account;            /* the configured name: TESSERA_ACCOUNT */
        const char *store_key;          /* "NAME" or "NAME@UID", as the messages name it */
        uid_t uid;                      /* a per-user session's person, (uid_t) -1 for a shared one */
        const char *os_user;            /* that person's user name, or NULL */
        const char *sub;                /* the GipoNext user, or NULL when unknown */
} audit_session;

/* Who called: from a peer, or kept by a gateway call that outlives its
 * request. NULL strings print as "?". */
typedef struct audit_caller {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        const char *exe, *unit, *os_user;
} audit_caller;

/* memo: where the token's hash is kept between calls, "" at first
 * (hashing each hand-out was a tenth of a cached token request).
 * sub: the GipoNext user of the session (NULL: unknown); session_uid:
 * whose session of a per-user account, (uid_t) -1 for a shared one. */
void audit_token_served(const char *account, const peer *p, const char *sub, uid_t session_uid,
                        const char *token, char memo[static 17]);

/* A gateway call's answer; path: without its query (patient data can hide
 * in queries). */
void audit_api_call(const char *account, const audit_caller *c, const char *sub, uid_t session_uid,
                    const char *method, const char *path, long status, uint64_t duration_ms);

/* level: LOG_DEBUG for the routine ones (the refresh every token
 * lifetime), LOG_INFO for the others. */
void audit_state_changed(const audit_session *s, const char *old_state, const char *new_state, int level);

/* ok: user and tenant say who logged in; else code and message say why not. */
void audit_login(const audit_session *s, const char *flow, bool ok, const char *user, const char *tenant,
                 const char *code, const char *message);

/* by: who asked for the logout. */
void audit_logout(const audit_session *s, const peer *by);

/* The person's last desktop session ended: the session is revoked and erased. */
void audit_session_ended(const audit_session *s);
