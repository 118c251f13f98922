/* SPDX-License-Identifier: MIT */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/socket.h>

#include "peer/cgroup-unit.h"
#include "peer/peer.h"

/* Only consulted when the kernel lacks SO_PEERGROUPS (before 4.13). */
static int groups_from_user_db(uid_t uid, gid_t gid, gid_t **ret, size_t *ret_n) {
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(freep) gid_t *groups = NULL;
        struct passwd pw, *result = NULL;
        long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
        int n = 64, r;

        if (sz <= 0)
                sz = 16384;
        buf = malloc((size_t) sz);
        if (!buf)
                return -ENOMEM;
        r = getpwuid_r(uid, &pw, buf, (size_t) sz, &result);
        if (r != 0)
                return -r;
        if (!result) {
                /* A uid without a passwd entry has no supplementary groups. */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        for (;;) {
                int got = n;
                gid_t *g = realloc(groups, sizeof(gid_t) * (size_t) n);
                if (!g)
                        return -ENOMEM;
                groups = g;
                if (getgrouplist(pw.pw_name, gid, groups, &got) >= 0) {
                        *ret = TAKE_PTR(groups);
                        *ret_n = (size_t) got;
                        return 0;
                }
                if (got <= n || (size_t) got > PEER_GROUPS_MAX)
                        return -E2BIG;
                n = got;
        }
}

int peer_from_fd(int fd, peer *ret) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        _cleanup_(freep) gid_t *groups = NULL;
        size_t n_groups = 0;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof cred || cred.pid <= 0)
                return -EPROTO;

        len = sizeof(gid_t) * 32;
        for (;;) {
                gid_t *g = realloc(groups, len ? len : sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                groups = g;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) >= 0) {
                        n_groups = len / sizeof(gid_t);
                        break;
                }
                if (errno == ERANGE && len / sizeof(gid_t) <= PEER_GROUPS_MAX)
                        continue;       /* len now holds the size needed */
                if (errno == ENOPROTOOPT) {
                        free(TAKE_PTR(groups));
                        r = groups_from_user_db(cred.uid, cred.gid, &groups, &n_groups);
                        if (r < 0)
                                return r;
                        break;
                }
                return errno == ERANGE ? -E2BIG : -errno;
        }

        *ret = (peer) {
                .pid = cred.pid,
                .uid = cred.uid,
                .gid = cred.gid,
                .groups = TAKE_PTR(groups),
                .n_groups = n_groups,
        };
        return 0;
}

void peer_done(peer *p) {
        free(p->exe_cache);
        free(p->unit_cache);
        free(p->user_cache);
        p->exe_cache = p->unit_cache = p->user_cache = NULL;
        free(p->groups);
        p->groups = NULL;
        p->n_groups = 0;
}

int peer_describe(const peer *p, char **ret_exe, char **ret_unit) {
        char path[64], exe[PATH_MAX];
        _cleanup_(freep) char *unit = NULL, *e = NULL;
        peer *cache = (peer *) p;       /* memoisation only */
        ssize_t n;

        if (p->exe_cache && p->unit_cache) {
                e = strdup(p->exe_cache);
                unit = strdup(p->unit_cache);
                if (!e || !unit)
                        return -ENOMEM;
                *ret_exe = TAKE_PTR(e);
                *ret_unit = TAKE_PTR(unit);
                return 0;
        }

        (void) snprintf(path, sizeof path, "/proc/%d/exe", (int) p->pid);
        n = readlink(path, exe, sizeof exe - 1);
        if (n < 0)
                e = strdup("?");
        else {
                exe[n] = '\0';
                e = strdup(exe);
        }
        if (!e)
                return -ENOMEM;

        if (cgroup_pid_unit(p->pid, &unit) < 0)
                unit = strdup("?");
        if (!unit)
                return -ENOMEM;

        free(cache->exe_cache);
        free(cache->unit_cache);
        cache->exe_cache = strdup(e);
        cache->unit_cache = strdup(unit);
        *ret_exe = TAKE_PTR(e);
        *ret_unit = TAKE_PTR(unit);
        return 0;
}

char *uid_to_user_name(uid_t uid) {
        struct passwd pw, *res = NULL;
        char buf[4096];

        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res || !res->pw_name)
                return NULL;
        return strdup(res->pw_name);
}

const char *peer_user_name(const peer *p) {
        peer *cache = (peer *) p;       /* memoisation only */

        if (!p->user_cache)
                cache->user_cache = uid_to_user_name(p->uid);
        return p->user_cache ? p->user_cache : "?";
}
