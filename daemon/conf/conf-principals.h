/* SPDX-License-Identifier: MIT */
#pragma once

/* The users and groups of admins= and users=, resolved to ids through NSS
 * at load. Internal to the conf-*.c files; principal_list_match() is
 * declared in conf.h. */

#include <stdbool.h>

#include "conf/conf-loader.h"

void principal_list_done(principal_list *l);
bool principal_list_equal(const principal_list *a, const principal_list *b);

/* Blank-separated user names, "@group" names and numeric ids. */
int conf_parse_principals(loader *l, const char *key, const char *value, principal_list *field);
