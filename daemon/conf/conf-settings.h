/* SPDX-License-Identifier: MIT */
#pragma once

/* What a loaded configuration holds: the conf and its accounts, an
 * account's defaults, and how they are freed, found and compared. The
 * daemon sees these through conf.h. */

#include <stdbool.h>
#include <sys/types.h>

#include "conf/conf-principals.h"
#include "conf/conf-values.h"
#include "util/util.h"

#define DEFAULT_API_MAX_CONCURRENT 4U
#define API_MAX_CONCURRENT_MAX 64U
#define DEFAULT_API_QUEUE_MAX 64U
#define API_QUEUE_MAX_MAX 10000U
#define DEFAULT_API_WAIT 0U
#define API_WAIT_MAX 300U
#define DEFAULT_REFRESH_MAX_IN_FLIGHT 4U
#define REFRESH_MAX_IN_FLIGHT_MAX 64U
#define DEFAULT_API_BODY_MAX (4U * 1024U * 1024U)
#define API_BODY_MAX_MAX (256U * 1024U * 1024U)

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
        session_mode sessions;          /* shared, or one session per uid */
        bool end_with_logout;           /* per-user: a uid's sessions end with its last logind session */
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
        principal_list metrics_users;   /* besides admins: who may read GET /v1/metrics */
        int log_level;                  /* LOG_ERR..LOG_DEBUG */
        unsigned refresh_max_in_flight; /* background refreshes at the IdP at once */

        conf_account **accounts;
        size_t n_accounts;

        char **files;                   /* every file read, in order */
} conf;

/* An account with every default, its section starting at file:line. */
int conf_account_new(const char *name, const char *file, unsigned line, conf_account **ret);
conf_account *conf_account_free(conf_account *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(conf_account *, conf_account_free);

/* True when both describe the same account in every key (the secret
 * included), so a reload can keep its session. */
bool conf_account_equal(const conf_account *a, const conf_account *b);

conf *conf_free(conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(conf *, conf_free);

/* Takes a; on failure the caller keeps it. */
int conf_add_account(conf *c, conf_account *a);
const conf_account *conf_find_account(const conf *c, const char *name);
