/* SPDX-License-Identifier: MIT */
#pragma once

/* Parsers of plain configuration values (conf-parse.h's conf_parser): each
 * checks the whole value, reports a problem at the current line and then
 * leaves the field as it was. Internal to conf/, but for client_auth,
 * which conf.h passes on. */

#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "conf/conf-parse.h"

/* Room for a Unix socket path, its NUL included. */
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *) NULL)->sun_path)

typedef enum client_auth {
        CLIENT_AUTH_BASIC,              /* client_secret_basic, RFC 6749 §2.3.1 */
        CLIENT_AUTH_POST,               /* client_secret_post */
        _CLIENT_AUTH_MAX,
} client_auth;

typedef enum session_mode {
        SESSIONS_SHARED,                /* one session for every member of users= */
        SESSIONS_PER_USER,              /* one session per uid that users= admits */
        _SESSIONS_MAX,
} session_mode;

const char *session_mode_to_string(session_mode m);

const char *client_auth_to_string(client_auth a);
/* A client_auth, or -EINVAL. */
int client_auth_from_string(const char *s);

/* Only 0x21..0x7e, or 0x20..0x7e when allow_space. */
bool conf_is_printable_ascii(const char *s, bool allow_space);
/* Splits at blanks into a NULL-terminated strv, empty for a blank value. */
int conf_split_tokens(const char *value, char ***ret);
/* Copies value into *field; running out of memory marks the context. */
int conf_set_string(conf_parse_ctx *ctx, char **field, const char *value);

/* char *: an absolute path. */
int conf_parse_path(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* char *: an absolute path that fits a Unix socket address. */
int conf_parse_socket_path(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* mode_t: octal, at most 0777. */
int conf_parse_mode(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* int: a syslog level by name (util/log.h). */
int conf_parse_log_level(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* char *: min..max printable ASCII characters, spaces included. */
int conf_parse_text(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* client_auth. */
int conf_parse_client_auth(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* session_mode: shared or per-user. */
int conf_parse_sessions(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* bool: yes/no, true/false, on/off, 1/0. */
int conf_parse_bool(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* unsigned: a decimal number in min..max. */
int conf_parse_unsigned(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* unsigned: seconds in min..max, written with no more digits than max. */
int conf_parse_seconds(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* char *: scope tokens, stored joined by single spaces. */
int conf_parse_scope(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* char **: tenant ids; none at all stores NULL, which allows any tenant. */
int conf_parse_tenants(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
