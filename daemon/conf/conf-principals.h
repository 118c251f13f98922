/* SPDX-License-Identifier: MIT */
#pragma once

/* The users and groups of admins= and users=, resolved to ids through NSS
 * at load. principal_list and principal_list_match() are for all of the
 * daemon (conf.h). */

#include <stdbool.h>
#include <sys/types.h>

#include "conf/conf-parse.h"

/* Users and groups allowed to do something, resolved to ids at load.
 * root (uid 0) is always allowed and is not listed here. */
typedef struct principal_list {
        uid_t *uids;
        size_t n_uids;
        gid_t *gids;
        size_t n_gids;
        char *text;                     /* as written, for --check-config and status */
} principal_list;

/* True when uid, or gid, or one of groups[0..n_groups) is listed. uid 0
 * is always allowed. */
bool principal_list_match(const principal_list *l, uid_t uid, gid_t gid,
                          const gid_t *groups, size_t n_groups);

void principal_list_done(principal_list *l);
bool principal_list_equal(const principal_list *a, const principal_list *b);

/* principal_list: blank-separated user names, "@group" names and numeric
 * ids. */
int conf_parse_principals(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
