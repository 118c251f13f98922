/* SPDX-License-Identifier: MIT */
#pragma once

/* The one rule for account names (DESIGN.md §4): 1 to ACCOUNT_NAME_MAX
 * characters of A-Z a-z 0-9 _ . - ; and since the name becomes a file
 * name in the state directory, a configured or stored account is never
 * "." or "..". */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ACCOUNT_NAME_MAX 64U

/* The characters and the length: what a request path may name before it
 * is looked up ("..": no such account, 404, not 400). */
bool account_name_is_valid(const char *name);

/* The whole rule: what a configuration section and the store accept. */
bool account_name_is_storable(const char *name);

/* The store's key of a session: the account name for a shared account,
 * "NAME@UID" for one person's session of a per-user account (UID in
 * decimal without leading zeros, below (uid_t) -1). */
#define ACCOUNT_STORE_KEY_MAX (ACCOUNT_NAME_MAX + 1U + 10U)

bool account_store_key_is_valid(const char *key);
/* ret: room for ACCOUNT_STORE_KEY_MAX + 1 bytes. -EINVAL for a bad name. */
int account_store_key_format(const char *name, uid_t uid, char *ret);
/* The uid of "NAME@UID" for this name; -EINVAL when key is anything else. */
int account_store_key_uid(const char *key, const char *name, uid_t *ret);
