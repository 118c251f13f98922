/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon: the loop, the configuration, the store and the accounts.
 * Modules meet here through small interfaces, not globals. */

#include <systemd/sd-event.h>

#include "core/account.h"
#include "conf/conf.h"
#include "store/store.h"

typedef struct http_api http_api;
typedef struct curl_glue curl_glue;
typedef struct discovery_cache discovery_cache;
typedef struct revoke_job revoke_job;

struct manager {
        sd_event *event;
        char *config_path;
        conf *conf;
        store *store;
        account **accounts;
        size_t n_accounts;
        http_api *api;
        curl_glue *curl;
        discovery_cache *discovery;
        revoke_job *revocations;        /* in flight, see revoke.c */
        uint64_t started_usec;          /* CLOCK_MONOTONIC */
        bool stopping;
        uint64_t stop_deadline_usec;
};

int manager_new(sd_event *e, const char *config_path, conf *c, manager **ret);
manager *manager_free(manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(manager *, manager_free);

/* Opens the store, loads every account and starts listening. */
int manager_start(manager *m);

/* Re-reads the configuration; an invalid one is logged and the running
 * one kept. Accounts whose configuration did not change keep their
 * sessions. */
int manager_reload(manager *m);

/* Stops accepting, answers waiting requests, and exits the loop once the
 * requests in flight are answered (or after a grace period). */
void manager_begin_shutdown(manager *m);

account *manager_find_account(manager *m, const char *name);

/* Sends STATUS= to the service manager. */
void manager_notify_status(manager *m);
