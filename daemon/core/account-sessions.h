/* SPDX-License-Identifier: MIT */
#pragma once

/* The people of a per-user account (sessions = per-user): one account
 * object per uid, kept in the configured account's sessions[] sorted by
 * uid, each with its own session, state, login, refresh and store file
 * ("NAME@UID"). Shared accounts have none. */

#include "core/account.h"

#define ACCOUNT_SESSIONS_MAX 100000U

static inline bool account_is_per_user(const account *a) {
        return !a->parent && a->conf->sessions == SESSIONS_PER_USER;
}

/* uid's session of the per-user account parent, or NULL. */
account *account_session_find(const account *parent, uid_t uid);

/* Creates uid's session (logged out, not loaded) and files it in parent.
 * -EEXIST when there is one, -E2BIG past ACCOUNT_SESSIONS_MAX. */
int account_session_add(account *parent, uid_t uid, account **ret);

/* Takes s out of its parent's list (the caller ends and frees it). */
void account_session_unlink(account *s);

/* The configuration of a kept account changed place (reload): its
 * sessions follow. */
void account_set_conf(account *a, const conf_account *c);

/* What the layers above must do before an account object goes (answer
 * its waiting requests): manager.account_gone. */
typedef void (*account_gone_fn)(account *a);

/* Ends a and frees it: for a per-user account its sessions first; for
 * each, gone (may be NULL), then its refresh and revocations end. A
 * session is also taken out of its parent. */
void account_destroy(account *a, account_gone_fn gone);

/* Reads every stored session of the per-user account parent
 * ("NAME@UID" files) and plans their refreshes. Logs. */
int account_sessions_load(account *parent);

/* Desktop logout of uid: when uid's session of parent was logged in
 * during a desktop session and the account has end_with_logout, it is
 * revoked at the IdP (in the background), erased and destroyed. Returns
 * 1 when a session ended, 0 when there was none to end. */
int account_session_end_at_logout(account *parent, uid_t uid, account_gone_fn gone);
