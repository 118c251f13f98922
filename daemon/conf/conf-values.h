/* SPDX-License-Identifier: MIT */
#pragma once

/* Parsers of configuration values. Each checks the whole value, reports
 * a problem at the loader's current line and then leaves the field as it
 * was; they return 0 or a negative errno. Internal to the conf-*.c files;
 * the validators meant for others (url_is_acceptable(),
 * account_name_is_valid()) are declared in conf.h. */

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "conf/conf-loader.h"

/* Room for a Unix socket path, its NUL included. */
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *) NULL)->sun_path)

int client_auth_from_string(const char *s, client_auth *ret);

/* Only 0x21..0x7e, or 0x20..0x7e when allow_space. */
bool conf_is_printable_ascii(const char *s, bool allow_space);
/* Splits at blanks into a NULL-terminated strv, empty for a blank value. */
int conf_split_tokens(const char *value, char ***ret);
/* Copies value into *field; running out of memory marks the loader. */
int conf_set_string(loader *l, char **field, const char *value);

int conf_parse_absolute_path(loader *l, const char *key, const char *value, char **field);
/* url_is_acceptable() and no fragment; no query either unless allow_query. */
int conf_parse_url(loader *l, const char *key, const char *value, bool allow_query, char **field);
int conf_parse_socket_mode(loader *l, const char *value, mode_t *field);
int conf_parse_refresh_margin(loader *l, const char *value, unsigned *field);
/* A decimal number in min..max. */
int conf_parse_unsigned(loader *l, const char *key, const char *value, unsigned min, unsigned max, unsigned *field);
/* Scope tokens, stored joined by single spaces. */
int conf_parse_scope(loader *l, const char *value, char **field);
/* Tenant ids; none at all stores NULL, which allows any tenant. */
int conf_parse_tenants(loader *l, const char *value, char ***field);
