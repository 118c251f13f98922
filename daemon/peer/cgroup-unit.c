/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "peer/cgroup-unit.h"
#include "util/util.h"

/* A cgroup file is a line per hierarchy; the paths under a unit may be
 * deep, but the unit sits at most a few components down, and a file that
 * does not fit is read as unknown, never as a truncated name. */
#define CGROUP_FILE_MAX 8192
#define UNIT_NAME_MAX 255
#define CGROUP_ROOT_MAX 1024

static const char *const unit_types[] = {
        "service", "socket", "target", "device", "mount", "automount",
        "swap", "timer", "path", "slice", "scope",
};

/* systemd's valid unit name: [A-Za-z0-9:_.\-@\\]+ with a known type after
 * the last '.', a non-empty name before it, at most one '@' (a template's
 * instance may be empty only in a template, which a cgroup never is). */
static bool unit_name_valid(const char *s, size_t n, bool *ret_slice) {
        const char *dot = NULL, *at = NULL;

        if (n == 0 || n > UNIT_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == '.')
                        dot = s + i;
                else if (c == '@') {
                        if (at)
                                return false;
                        at = s + i;
                } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == ':' || c == '_' || c == '-' || c == '\\'))
                        return false;
        }
        if (!dot || dot == s || (at && (at == s || at + 1 >= dot)))
                return false;

        size_t type_len = n - (size_t) (dot + 1 - s);
        for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
                if (strlen(unit_types[i]) == type_len && memcmp(dot + 1, unit_types[i], type_len) == 0) {
                        *ret_slice = streq(unit_types[i], "slice");
                        return true;
                }
        return false;
}

/* The systemd hierarchy's path in the text of a cgroup file, as a pointer
 * into it and a length: the "name=systemd" line on a legacy host, the
 * unified "0::" line otherwise (a hybrid host has both, and systemd keeps
 * its own tree in the unified one). */
static int systemd_path(const char *text, bool legacy, const char **ret, size_t *ret_len) {
        const char *found = NULL;
        size_t found_len = 0;

        for (const char *l = text; *l;) {
                const char *end = strchrnul(l, '\n'), *c1, *c2;

                c1 = memchr(l, ':', (size_t) (end - l));
                c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;
                if (c2) {
                        size_t ctl_len = (size_t) (c2 - c1 - 1);
                        bool match = legacy ?
                                ctl_len == strlen("name=systemd") && memcmp(c1 + 1, "name=systemd", ctl_len) == 0 :
                                c1 - l == 1 && l[0] == '0' && ctl_len == 0;
                        if (match) {
                                found = c2 + 1;
                                found_len = (size_t) (end - found);
                                break;
                        }
                }
                l = *end ? end + 1 : end;
        }

        if (!found || found_len == 0 || found[0] != '/')
                return -EBADMSG;
        *ret = found;
        *ret_len = found_len;
        return 0;
}

int cgroup_root_from_text(const char *pid1_text, bool legacy, char **ret_root) {
        const char *p;
        size_t n;
        int r;

        r = systemd_path(pid1_text, legacy, &p, &n);
        if (r < 0)
                return r;
        /* PID 1 sits in init.scope under the root (in system.slice or
         * "system" on old legacy hosts). */
        static const char *const leaves[] = { "/init.scope", "/system.slice", "/system" };
        for (size_t i = 0; i < ELEMENTSOF(leaves); i++) {
                size_t l = strlen(leaves[i]);
                if (n >= l && memcmp(p + n - l, leaves[i], l) == 0) {
                        n -= l;
                        break;
                }
        }
        if (n == 0)
                return (*ret_root = strdup("/")) ? 0 : -ENOMEM;
        *ret_root = strndup(p, n);
        return *ret_root ? 0 : -ENOMEM;
}

int cgroup_unit_from_text(const char *text, bool legacy, const char *root, char **ret_unit) {
        const char *p, *end;
        size_t n;
        int r;

        r = systemd_path(text, legacy, &p, &n);
        if (r < 0)
                return r;
        end = p + n;

        /* Below the root of a container's tree, as systemd there sees it. */
        if (root && !streq(root, "/")) {
                size_t rl = strlen(root);
                if (n >= rl && memcmp(p, root, rl) == 0 && (n == rl || p[rl] == '/'))
                        p += rl;
        }

        for (;;) {
                const char *c, *ce;
                bool slice = false;

                while (p < end && *p == '/')
                        p++;
                if (p == end)
                        return -ENXIO;          /* the root or a slice: no unit */
                ce = memchr(p, '/', (size_t) (end - p));
                if (!ce)
                        ce = end;
                c = p;
                /* Escaped components start with '_' (a name that would
                 * clash with the kernel's own files). */
                if (*c == '_')
                        c++;
                if (!unit_name_valid(c, (size_t) (ce - c), &slice))
                        return -EBADMSG;
                if (!slice) {
                        *ret_unit = strndup(c, (size_t) (ce - c));
                        return *ret_unit ? 0 : -ENOMEM;
                }
                p = ce;
        }
}

static int read_cgroup_file(pid_t pid, char *buf, size_t size) {
        char path[40];
        _cleanup_(closep) int fd = -EBADF;
        size_t got = 0;

        (void) snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t k = read(fd, buf + got, size - 1 - got);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                got += (size_t) k;
                if (got == size - 1)
                        return -E2BIG;
        }
        buf[got] = '\0';
        return 0;
}

/* Whether systemd's tree is the legacy name=systemd hierarchy, from what is
 * mounted on /sys/fs/cgroup (systemd's own test): 1, 0, or -errno. */
static int cgroup_host_is_legacy(void) {
        struct statfs fs;

        if (statfs("/sys/fs/cgroup/", &fs) < 0)
                return -errno;
        if (fs.f_type == CGROUP2_SUPER_MAGIC)
                return false;                   /* unified */
        if (fs.f_type != TMPFS_MAGIC)
                return -ENOMEDIUM;
        if (statfs("/sys/fs/cgroup/unified/", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return false;                   /* hybrid */
        if (statfs("/sys/fs/cgroup/systemd/", &fs) < 0)
                return -errno;
        if (fs.f_type == CGROUP2_SUPER_MAGIC)
                return false;                   /* systemd 232's hybrid */
        if (fs.f_type == CGROUP_SUPER_MAGIC)
                return true;
        return -ENOMEDIUM;
}

int cgroup_pid_unit(pid_t pid, char **ret_unit) {
        /* Neither the host's cgroup layout nor PID 1 move: both are looked
         * up once, and kept off the heap so that nothing is left allocated
         * at exit. */
        static char root[CGROUP_ROOT_MAX];
        static int legacy = -1;
        char buf[CGROUP_FILE_MAX];
        int r;

        if (legacy < 0) {
                r = cgroup_host_is_legacy();
                if (r < 0)
                        return r;
                legacy = r;
        }
        if (!root[0]) {
                _cleanup_(freep) char *found = NULL;

                r = read_cgroup_file(1, buf, sizeof buf);
                if (r < 0)
                        return r;
                r = cgroup_root_from_text(buf, legacy, &found);
                if (r < 0)
                        return r;
                if (strlen(found) >= sizeof root)
                        return -ENAMETOOLONG;
                strcpy(root, found);
        }
        r = read_cgroup_file(pid, buf, sizeof buf);
        if (r < 0)
                return r;
        return cgroup_unit_from_text(buf, legacy, root, ret_unit);
}
