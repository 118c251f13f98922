/* SPDX-License-Identifier: MIT */
#pragma once

/* The accounts of the daemon: the configuration, the store, the IdP
 * client and the accounts built from them, and the reload that rebuilds
 * them. The layers above (the API, logins, the gateway) register what
 * must happen when an account goes away. */

#include <systemd/sd-event.h>

#include "core/account.h"
#include "conf/conf.h"
#include "store/store.h"

typedef struct logind_watch logind_watch;

struct manager {
        sd_event *event;
        char *config_path;
        conf *conf;
        account_env env;                /* event, store, curl, discovery, the state hook */
        account **accounts;
        size_t n_accounts;
        uint64_t started_usec;          /* CLOCK_MONOTONIC */
        bool rebuilding;                /* a reload is replacing the account list */
        logind_watch *logind;           /* while a per-user account ends sessions at logout */
        sd_event_source *status_defer;  /* a STATUS= update is due */
        bool logind_missing_said;
        /* Runs for each account that a reload removes or that the manager
         * frees, before the account's own refresh and revocations end. */
        void (*account_gone)(account *a);
};

int manager_new(sd_event *e, const char *config_path, conf *c, manager **ret);
manager *manager_free(manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(manager *, manager_free);

/* Opens the store and loads every account. */
int manager_start(manager *m);

/* Re-reads the configuration; an invalid one is logged and the running
 * one kept. Accounts whose configuration did not change keep their
 * sessions. */
int manager_reload(manager *m);

account *manager_find_account(manager *m, const char *name);

/* Sends STATUS= to the service manager, once per loop iteration. */
void manager_notify_status(manager *m);
