/* SPDX-License-Identifier: MIT */
#pragma once

/* Files that a crash leaves whole or not at all: written under a temp name
 * in the same directory, fsync()ed, renamed into place, and the directory
 * fsync()ed. Plus the small fd helpers that needs. Never logs. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes, retrying on EINTR and short writes. */
int fd_write_all(int fd, const void *p, size_t n);

/* Reads up to max bytes; returns the count, or -EFBIG when the file holds
 * more than max. */
ssize_t fd_read_all(int fd, void *p, size_t max);

int fd_fsync(int fd);

/* mkdir -p, every missing component with mode 0700. */
int mkdir_p(const char *path);

/* Creates "<prefix>.tmp-XXXXXX" in dir_fd, mode 0600, so the final rename
 * or link stays within one directory (and one file system). */
int temp_file_create(int dir_fd, const char *prefix, char **ret_name, int *ret_fd);

/* Deletes the files temp_file_create() left in dir_fd (after a crash);
 * touches no other name. */
int temp_files_remove(int dir_fd);

/* renameat() that fails with -EEXIST instead of replacing `to`. */
int rename_noreplace(int dir_fd, const char *from, const char *to);

/* For tests: called at the named points of durable_file_write() ("write",
 * "fsync", "rename", "fsync-dir"); a negative errno makes the write fail
 * there as if the system call had. */
typedef int (*durable_fault_hook)(const char *point, void *userdata);

/* Replaces (or creates) dir_fd/name with the n bytes at data: through a temp
 * file "<temp_prefix>.tmp-XXXXXX", then fsync, rename, fsync of the
 * directory. On an error before the rename the old file is untouched and
 * the temp file removed; an error from the last fsync means the new file
 * is in place but not known to be durable. fault may be NULL. */
int durable_file_write(int dir_fd, const char *name, const char *temp_prefix,
                       const void *data, size_t n,
                       durable_fault_hook fault, void *userdata);

/* Creates dir_fd/name with the n bytes at data, durably, and only if no
 * such name exists (-EEXIST then): written and synced under a temp name
 * "<name>.tmp-XXXXXX" first, so name never holds less than all of it. */
int durable_file_create(int dir_fd, const char *name, const void *data, size_t n);
