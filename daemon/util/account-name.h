/* SPDX-License-Identifier: MIT */
#pragma once

/* The one rule for account names (DESIGN.md §4): 1 to ACCOUNT_NAME_MAX
 * characters of A-Z a-z 0-9 _ . - ; and since the name becomes a file
 * name in the state directory, a configured or stored account is never
 * "." or "..". */

#include <stdbool.h>
#include <stddef.h>

#define ACCOUNT_NAME_MAX 64U

/* The characters and the length: what a request path may name before it
 * is looked up ("..": no such account, 404, not 400). */
bool account_name_is_valid(const char *name);

/* The whole rule: what a configuration section and the store accept. */
bool account_name_is_storable(const char *name);
