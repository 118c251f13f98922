/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's configuration: parsed with inih from the main file and its
 * conf.d drop-ins, validated completely at load, immutable afterwards. A
 * reload builds a new conf and swaps it in only when it is valid.
 *
 * The types and helpers the daemon uses come from the headers below: the
 * conf and its accounts (conf-settings.h), principal lists
 * (conf-principals.h), client_auth (conf-values.h), the URL policy
 * (conf-url.h). */

#include <stdio.h>

#include "conf/conf-principals.h"
#include "conf/conf-settings.h"
#include "conf/conf-url.h"
#include "conf/conf-values.h"
#include "util/account-name.h"
#include "util/util.h"

/* Loads path, then every *.conf in "<dirname(path)>/conf.d" in lexical
 * order. Every problem found is appended to *errors (a NULL-terminated
 * strv the caller frees) as "FILE:LINE: message"; on any error returns
 * -EINVAL and leaves *ret untouched. Environment: $STATE_DIRECTORY,
 * $RUNTIME_DIRECTORY and $CREDENTIALS_DIRECTORY supply defaults. */
int conf_load(const char *path, conf **ret, char ***errors);

/* Writes the effective configuration as INI, every secret shown as
 * "(redacted)". */
void conf_print(const conf *c, FILE *f);
