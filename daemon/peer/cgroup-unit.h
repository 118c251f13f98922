/* SPDX-License-Identifier: MIT */
#pragma once

/* The systemd unit a process runs in, from /proc/PID/cgroup, for the audit
 * line of a token hand-out. The same answer as sd_pid_get_unit(), with
 * one read of one file: libsystemd reads the caller's and PID 1's cgroup
 * files twice each, with a dozen more system calls per file, which cost
 * more than serving a token over a new connection.
 *
 * The rule is systemd's: take the systemd hierarchy's line ("name=systemd"
 * on a legacy host, else the unified "0::" one, as on a hybrid host), strip
 * the root of the host's tree (PID 1's cgroup less a trailing
 * "/init.scope"), skip the leading ".slice" components; the next
 * component, unescaped (a leading '_' dropped), is the unit if it is a
 * valid unit name and not a slice. */

#include <stdbool.h>
#include <sys/types.h>

/* Parses the text of a /proc/PID/cgroup file. legacy: the host has no
 * unified hierarchy for systemd (name=systemd is mounted). root is the
 * host tree's root ("/" on a host, NULL for the same). Returns 0 with a
 * new string, -ENXIO when the process is in no unit (the root cgroup, a
 * slice), or -EBADMSG when the text has no systemd hierarchy or a unit
 * name that is not valid. */
int cgroup_unit_from_text(const char *text, bool legacy, const char *root, char **ret_unit);

/* The root of the host's tree, from /proc/1/cgroup: "/" on a host, the
 * container's own path in a container without a cgroup namespace. */
int cgroup_root_from_text(const char *pid1_text, bool legacy, char **ret_root);

/* Reads /proc/PID/cgroup (and, the first time, /proc/1/cgroup). */
int cgroup_pid_unit(pid_t pid, char **ret_unit);
