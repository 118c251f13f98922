/* SPDX-License-Identifier: MIT */
#pragma once

/* What the commands of tessera share: exit codes, the run's context, calls
 * of the daemon's own API and the one line that explains a failure. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <tessera/tessera.h>

#include "json-reader.h"

enum {
        EXIT_OK          = 0,
        EXIT_FAIL        = 1,
        EXIT_USAGE       = 2,
        EXIT_LOGIN       = 3,
        EXIT_FORBIDDEN   = 4,
        EXIT_UNREACHABLE = 5,
        EXIT_IDP         = 6,
};

typedef enum {
        ACT_READ,       /* token, status, api: needs the account's users */
        ACT_ADMIN,      /* login, logout: needs admins */
} action_kind;

typedef struct ctx {
        tessera_client *client;
        bool json;
        bool device;
        bool no_browser;
        bool have_min_valid;
        unsigned min_valid;
        bool all;               /* status --all: every per-user session the daemon shows */
        bool have_uid;          /* --user: act on this uid's session (?uid=) */
        uid_t uid;
        const char *user_arg;   /* --user as given, for messages */
        char *message;          /* the daemon's "message" from the last error */

        /* api */
        const char *method;
        const char *path;
        const char *data;       /* --data: text, @FILE or @- */
        const char *content_type;
        unsigned wait_s;
        bool have_wait;
        bool include;

        const char *output;     /* metrics --output FILE */
} ctx;

/* A parsed 2xx answer; the tree points into body. */
typedef struct response {
        char *body;
        size_t len;
        jr_doc *doc;
} response;

void response_done(response *r);

/* Sends a request of the daemon's own API; on a 2xx answer returns 0 with
 * the parsed JSON body, otherwise a TESSERA_E_* code (the daemon's message
 * kept in x->message). */
int daemon_call(ctx *x, const char *method, const char *path, const char *body,
                unsigned timeout_ms, response *ret);

/* Prints one line saying what went wrong and what to do; returns the exit code. */
int report(ctx *x, int err, const char *account, action_kind kind);

/* The name of the user running tessera, for messages. */
const char *user_name(void);

/* "/v1/accounts/ACCOUNT/WHAT", then "?QUERY" (NULL for none) and the
 * --user's "uid=N". -ENAMETOOLONG when it does not fit. */
int account_path(const ctx *x, const char *account, const char *what, const char *query,
                 char *dst, size_t size);

/* Whether a /v1/status entry is one person's session of a per-user
 * account ("sessions":"per-user"). */
bool entry_is_per_user(const jr_node *a);

/* Whether the entry is that of account (NULL: any) for the person the
 * command acts for (--user, else the caller): shared entries always are. */
bool entry_is_own(const ctx *x, const jr_node *a, const char *account);

/* The OS USER of a per-user entry: os_user, else the uid; "-" otherwise. */
const char *entry_os_user(const jr_node *a, char *dst, size_t size);

/* The text of a string or number node, terminal-safe; NULL (dst untouched)
 * for any other node or none. */
const char *json_scalar_text(const jr_node *n, char *dst, size_t size);

/* An account's tenant: its name, else its id, else "-". */
const char *tenant_text(const jr_node *acct, char *dst, size_t n);

/* scope_missing as one space-separated line, "" for none. */
void format_scopes(const jr_node *n, char *dst, size_t size);

/* Writes the n (at most 4) pieces to fd, whole, without stdio: nothing
 * stays behind in a buffer. 0 or -errno. */
struct iovec;
int write_all(int fd, const struct iovec *iov, int n);

/* The command handlers: each returns the exit code. */
int cmd_status(ctx *x, const char *account);
int cmd_accounts(ctx *x, const char *account);
int cmd_token(ctx *x, const char *account);
int cmd_login(ctx *x, const char *account);
int cmd_logout(ctx *x, const char *account);
int cmd_api(ctx *x, const char *account);
int cmd_metrics(ctx *x, const char *account);
