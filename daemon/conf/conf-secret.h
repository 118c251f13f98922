/* SPDX-License-Identifier: MIT */
#pragma once

/* An account's client secret, written inline or read from a file or a
 * systemd credential ($CREDENTIALS_DIRECTORY), kept in secret memory.
 * Internal to the conf-*.c files. */

#include "conf/conf-loader.h"

/* client_secret = VALUE. Messages never quote the value. */
int conf_parse_client_secret(loader *l, const char *value, conf_account *a);
/* client_secret_file = PATH or credential name. */
int conf_parse_client_secret_file(loader *l, const char *value, conf_account *a);
