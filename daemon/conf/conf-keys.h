/* SPDX-License-Identifier: MIT */
#pragma once

/* The sections and keys of the configuration file: which key belongs in
 * which section and what parses it, the checks made when a section ends,
 * and the account an [account NAME] section builds. Internal to the
 * conf-*.c files; the daemon's API is conf.h. */

#include <stddef.h>

#include "conf/conf.h"

typedef enum section_kind {
        SECTION_NONE,                   /* before the first header of a file */
        SECTION_DAEMON,
        SECTION_ACCOUNT,
        SECTION_IGNORE,                 /* a bad header, already reported */
} section_kind;

typedef enum key_id {
        KEY_STATE_DIR,
        KEY_SOCKET,
        KEY_SOCKET_MODE,
        KEY_ADMINS,
        KEY_LOG_LEVEL,
        KEY_ISSUER,
        KEY_CLIENT_ID,
        KEY_CLIENT_SECRET,
        KEY_CLIENT_SECRET_FILE,
        KEY_CLIENT_AUTH,
        KEY_SCOPE,
        KEY_USERINFO_URL,
        KEY_ALLOWED_TENANTS,
        KEY_USERS,
        KEY_REFRESH_MARGIN,
        KEY_API_BASE,
        KEY_AUTHORIZATION_ENDPOINT,
        KEY_TOKEN_ENDPOINT,
        KEY_DEVICE_AUTHORIZATION_ENDPOINT,
        KEY_REVOCATION_ENDPOINT,
        KEY_API_MAX_CONCURRENT,
        KEY_API_QUEUE_MAX,
        KEY_API_WAIT,
        KEY_API_BODY_MAX,
        _KEY_MAX,
} key_id;

typedef struct loader loader;

/* inih's handler for one "KEY = VALUE" line. Problems are collected in
 * the loader, never returned to inih: it would keep only the first line
 * number. */
int conf_handle_key(void *userdata, const char *section, const char *name, const char *value);

/* header is a whole "[...]" line of len bytes. Ends the section before. */
void conf_section_begin(loader *l, const char *header, size_t len);
/* Reports keys missing from the section just read, then forgets it. */
void conf_section_end(loader *l);

conf_account *conf_account_free(conf_account *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(conf_account *, conf_account_free);
