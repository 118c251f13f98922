/* SPDX-License-Identifier: MIT */
#pragma once

/* The runtime side of one configured account: its state, its session (the
 * tokens, decrypted, in secret memory), and counters for status. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "conf/conf.h"
#include "core/account-metrics.h"
#include "store/session.h"
#include "util/account-name.h"
#include "util/list.h"
#include "util/util.h"

typedef enum account_state {
        ACCOUNT_LOGGED_OUT,
        ACCOUNT_LOGIN_PENDING,
        ACCOUNT_VALID,
        ACCOUNT_REFRESHING,
        ACCOUNT_NEEDS_LOGIN,     /* the refresh token was rejected */
        ACCOUNT_DEGRADED,        /* IdP unreachable, still serving an unexpired token */
        _ACCOUNT_STATE_MAX,
} account_state;

const char *account_state_to_string(account_state s);

typedef struct account account;
typedef struct manager manager;
typedef struct login login;
typedef struct refresher refresher;
typedef struct gateway_account gateway_account;
typedef struct revoke_job revoke_job;
typedef struct store store;
typedef struct curl_glue curl_glue;
typedef struct discovery_cache discovery_cache;

/* What every account of a daemon shares: the loop, the store, the IdP
 * client, and the hook told of every state change (the manager's). */
typedef struct account_env {
        sd_event *event;
        store *store;
        curl_glue *curl;
        discovery_cache *discovery;
        revoke_job *revocations;        /* in flight, see revoke.c */
        /* Background refreshes at the IdP at once (refresh.c): at most
         * refresh_max_in_flight (0: no limit), the others wait in line. */
        unsigned refresh_in_flight, refresh_max_in_flight;
        bool refresh_dispatching;
        bool tearing_down;              /* the daemon is freeing its accounts: start nothing */
        LIST_HEAD(refresher, refresh_queue);
        void (*state_changed)(account *a, account_state old, void *userdata);
        void *userdata;
} account_env;

struct account {
        manager *manager;               /* for the layers above core/ */
        account_env *env;
        const conf_account *conf;       /* owned by manager->conf */

        /* sessions = per-user: the configured account keeps one account
         * per person (account-sessions.h), sorted by uid; each of those
         * has parent set and holds that person's session. */
        account *parent;
        uid_t uid;                      /* with parent: whose session */
        account **sessions;
        size_t n_sessions, n_sessions_allocated;
        char store_key[ACCOUNT_STORE_KEY_MAX + 1];      /* "NAME", or "NAME@UID" */
        char *os_user;                  /* with parent: uid's user name when it has one */

        account_state state;            /* written by account_set_state() only */
        session *session;               /* NULL when logged out */
        char *last_error;
        uint64_t tokens_served;
        account_metrics metrics;        /* for GET /v1/metrics */
        int64_t next_refresh_at;        /* unix seconds, 0 = none */
        login *login;                   /* a login in progress, or its result */
        refresher *refresher;           /* refresh.c */
        gateway_account *gateway;       /* gateway.c */
};

int account_new(manager *m, account_env *env, const conf_account *c, account **ret);
account *account_free(account *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(account *, account_free);

/* The one place that changes a->state; tells env->state_changed. */
void account_set_state(account *a, account_state s);

/* Reads the stored session, if any. A corrupt file is reported, moved
 * aside by the store, and the account starts logged out. Logs. */
int account_load(account *a);

/* Persists s durably, then makes it the account's session (taking it).
 * When the write fails the old session is kept and s stays the caller's. */
int account_install_session(account *a, session *s);

/* Erases the session from memory and disk. */
int account_forget_session(account *a);

/* True when the access token stays valid for at least min_valid seconds
 * after now. */
bool account_token_valid_for(const account *a, int64_t now, unsigned min_valid);

void account_set_error(account *a, const char *fmt, ...) _printf_(2, 3);
void account_clear_error(account *a);

/* The configured scopes that the granted scope lacks, space separated, or
 * NULL when none is missing (or nothing was granted yet). */
int account_scope_missing(const account *a, char **ret);

int64_t now_realtime(void);

/* "2026-11-28T16:04:05Z" */
void format_utc(int64_t t, char ret[static 32]);
