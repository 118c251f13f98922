/* SPDX-License-Identifier: MIT */
#pragma once

/* The encrypted token store: one file per account in <state_dir>/accounts/,
 * XChaCha20-Poly1305 with the account name and issuer as associated data,
 * written atomically and durably (temp file, fsync, rename, fsync dir).
 * Never logs: returns errors for the caller to report. */

#include "store/session.h"
#include "util/util.h"

typedef struct store store;

/* Opens (creating if needed, mode 0700) state_dir and its accounts/ subdir,
 * and loads the key: $CREDENTIALS_DIRECTORY/tessera.key when that exists,
 * else <state_dir>/key, created with 32 random bytes and mode 0600 on first
 * use. A key file readable or writable by group or others is refused
 * (-EPERM); a key of the wrong size is -EBADMSG. */
int store_open(const char *state_dir, store **ret);
store *store_free(store *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(store *, store_free);

/* -ENOENT: no session stored. -EBADMSG: the file was tampered with,
 * truncated, written for another account/issuer or with another key; it
 * has been renamed to "<name>.corrupt-<unix time>" and *ret_quarantined
 * (if not NULL) gets that file name. */
int store_load(store *s, const char *account, const char *issuer,
               session **ret, char **ret_quarantined);

int store_save(store *s, const char *account, const char *issuer, const session *sess);

/* Removes the account's file; 0 also when there was none. Durable. */
int store_remove(store *s, const char *account);

/* The stored sessions of a per-user account: the uids of every
 * "ACCOUNT@UID" file, in directory order. -E2BIG past STORE_USERS_MAX. */
#define STORE_USERS_MAX 100000U
int store_list_users(store *s, const char *account, uid_t **ret, size_t *ret_n);

/* Deletes temp files a crash left behind in accounts/ (and of key creation
 * in the state dir). store_open() already does this once. */
int store_cleanup_temp(store *s);

/* For tests: a hook called at named points of store_save(); returning a
 * negative errno makes store_save() fail there as if the system call had.
 * Points: "write", "fsync", "rename", "fsync-dir". */
typedef int (*store_fault_hook)(const char *point, void *userdata);
void store_set_fault_hook(store *s, store_fault_hook hook, void *userdata);
