/* SPDX-License-Identifier: MIT */
#pragma once

/* Who is on the other end of a Unix socket: SO_PEERCRED for pid/uid/gid and
 * SO_PEERGROUPS for the supplementary groups the process had when it
 * connected (falling back to getgrouplist() on kernels without it). */

#include <sys/types.h>

#include "util/util.h"

#define PEER_GROUPS_MAX 1024U

typedef struct peer {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        /* peer_describe()'s answer, looked up once per connection: the
         * /proc reads cost more than serving the token. */
        char *exe_cache, *unit_cache, *user_cache;
} peer;

int peer_from_fd(int fd, peer *ret);
void peer_done(peer *p);

/* For the audit trail: the executable and systemd unit of the peer's pid,
 * "?" when they cannot be found (the process may have exited). */
int peer_describe(const peer *p, char **ret_exe, char **ret_unit);

/* The user name of uid, NULL when it has none (or out of memory). */
char *uid_to_user_name(uid_t uid);

/* The peer's user name, looked up once per connection; "?" when the uid
 * has no name (or memory ran out). Valid as long as p. */
const char *peer_user_name(const peer *p);
