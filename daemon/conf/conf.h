/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's configuration: parsed with inih from the main file and its
 * conf.d drop-ins, validated completely at load, immutable afterwards. A
 * reload builds a new conf and swaps it in only when it is valid. */

#include <stdbool.h>
#include <sys/types.h>

#include "util/account-name.h"
#include "util/util.h"

#define DEFAULT_API_MAX_CONCURRENT 4U
#define API_MAX_CONCURRENT_MAX 64U
#define DEFAULT_API_QUEUE_MAX 64U
#define API_QUEUE_MAX_MAX 10000U
#define DEFAULT_API_WAIT 0U
#define API_WAIT_MAX 300U
#define DEFAULT_API_BODY_MAX (4U * 1024U * 1024U)
#define API_BODY_MAX_MAX (256U * 1024U * 1024U)

/* Users and groups allowed to do something, resolved to ids at load.
 * root (uid 0) is always allowed and is not listed here. */
typedef struct principal_list {
        uid_t *uids;
        size_t n_uids;
        gid_t *gids;
        size_t n_gids;
        char *text;                     /* as written, for --check-config and status */
} principal_list;

typedef enum client_auth {
        CLIENT_AUTH_BASIC,              /* client_secret_basic, RFC 6749 §2.3.1 */
        CLIENT_AUTH_POST,               /* client_secret_post */
        _CLIENT_AUTH_MAX,
} client_auth;

const char *client_auth_to_string(client_auth a);

typedef struct conf_account {
        char *name;                     /* [A-Za-z0-9_.-]{1,64}, not "." or ".." */
        char *issuer;
        char *client_id;
        char *client_secret;            /* secret_ memory (secret.h); never printed */
        char *client_secret_file;       /* as configured, NULL when inline */
        client_auth client_auth;
        char *scope;
        char *userinfo_url;
        char **allowed_tenants;         /* NULL-terminated; NULL or empty = any */
        principal_list users;
        unsigned refresh_margin;        /* seconds */
        unsigned api_max_concurrent;    /* gateway: upstream requests in flight */
        unsigned api_queue_max;         /* gateway: requests waiting for a slot */
        unsigned api_wait;              /* gateway: seconds a caller waits out a 429 pause */
        unsigned api_body_max;          /* gateway: request body cap, bytes */
        char *api_base;
        char *authorization_endpoint;   /* NULL: from discovery */
        char *token_endpoint;
        char *device_authorization_endpoint;
        char *revocation_endpoint;

        char *file;                     /* where the section starts, for messages */
        unsigned line;
} conf_account;

typedef struct conf {
        char *state_dir;
        char *socket;
        mode_t socket_mode;
        principal_list admins;
        int log_level;                  /* LOG_ERR..LOG_DEBUG */

        conf_account **accounts;
        size_t n_accounts;

        char **files;                   /* every file read, in order */
} conf;

/* Loads path, then every *.conf in "<dirname(path)>/conf.d" in lexical
 * order. Every problem found is appended to *errors (a NULL-terminated
 * strv the caller frees) as "FILE:LINE: message"; on any error returns
 * -EINVAL and leaves *ret untouched. Environment: $STATE_DIRECTORY,
 * $RUNTIME_DIRECTORY and $CREDENTIALS_DIRECTORY supply defaults. */
int conf_load(const char *path, conf **ret, char ***errors);

conf *conf_free(conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(conf *, conf_free);

const conf_account *conf_find_account(const conf *c, const char *name);

/* True when both describe the same account in every key (the secret
 * included), so a reload can keep its session. */
bool conf_account_equal(const conf_account *a, const conf_account *b);

/* Writes the effective configuration as INI, every secret shown as
 * "(redacted)". */
void conf_print(const conf *c, FILE *f);

/* True when uid, or gid, or one of groups[0..n_groups) is listed. uid 0
 * is always allowed. */
bool principal_list_match(const principal_list *l, uid_t uid, gid_t gid,
                          const gid_t *groups, size_t n_groups);

/* URL policy: https, or http to a loopback host (127.0.0.0/8, [::1],
 * localhost). */
bool url_is_acceptable(const char *url);
