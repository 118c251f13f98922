/* SPDX-License-Identifier: MIT */
#pragma once

/* A client secret, written inline or read from a file or a systemd
 * credential ($CREDENTIALS_DIRECTORY), kept in secret memory (secret.h).
 * Internal to conf/. */

#include "conf/conf-parse.h"

/* char * in secret memory: the value itself. Messages never quote it. */
int conf_parse_secret(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* char * in secret memory, read from the file value names: an absolute
 * path or a credential name. The name as written goes to the char * at
 * key->name_offset. */
int conf_parse_secret_file(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
