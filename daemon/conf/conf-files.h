/* SPDX-License-Identifier: MIT */
#pragma once

/* The files a configuration is read from: one file read whole under a
 * size cap, and the drop-ins of conf.d. Problems are reported in the
 * parse context. Internal to conf/. */

#include <stddef.h>

#include "conf/conf-parse.h"

/* Reads the regular file path whole (at most 1 MiB); problems are
 * reported at line 0 of ctx->path. The caller wipes *ret (an inline
 * secret may be in it) and frees it. */
int conf_file_read(conf_parse_ctx *ctx, const char *path, char **ret, size_t *ret_size);

/* The regular *.conf files (not hidden) in "<dirname(main_path)>/conf.d",
 * sorted by name, at most 256; a missing directory has none. Problems are
 * reported against the directory. Returns 0 or -ENOMEM. */
int conf_dropins_list(conf_parse_ctx *ctx, const char *main_path, char ***ret);

/* Appends a copy of s to the NULL-terminated *l of *n entries. */
int conf_strv_push(char ***l, size_t *n, const char *s);
