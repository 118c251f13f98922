/* SPDX-License-Identifier: MIT */
#pragma once

/* A generic INI reader on inih: "[section]" headers, "KEY = VALUE" lines,
 * ';' and '#' comments, a main file and its conf.d drop-ins. What the
 * sections and keys mean comes from the schema it is given (conf-parse.h);
 * every problem is collected in the context as "FILE:LINE: message".
 * Internal to conf/. */

#include "conf/conf-parse.h"

/* Reads main_path, then every *.conf in "<dirname(main_path)>/conf.d" in
 * lexical order, into userdata through schema. Every file read is
 * appended to *files. Returns 0 or -ENOMEM (then ctx->oom is set); the
 * problems found are in ctx. */
int conf_loader_load(conf_parse_ctx *ctx, const conf_schema *schema, void *userdata,
                     const char *main_path, char ***files);
