/* SPDX-License-Identifier: MIT */
#include <systemd/sd-daemon.h>

#include "core/account-audit.h"
#include "core/account-sessions.h"
#include "core/logind-watch.h"
#include "core/manager.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "util/log.h"

static void on_state_changed(account *a, account_state old, void *userdata) {
        manager *m = userdata;

        account_audit_state_changed(a, old);

        /* A session tied to a desktop session: watch for that to end. */
        if (a->parent && a->session && a->session->logind_bound && m->logind)
                (void) logind_watch_track(m->logind, a->uid);

        /* While a reload rebuilds the list, m->accounts has holes (the
         * accounts moved to the new list); it tells once at the end. */
        if (!m->rebuilding)
                manager_notify_status(m);
}

int manager_new(sd_event *e, const char *config_path, conf *c, manager **ret) {
        manager *m;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(e);
        m->config_path = strdup(config_path);
        if (!m->config_path) {
                sd_event_unref(m->event);
                free(m);
                return -ENOMEM;
        }
        m->conf = c;
        m->env = (account_env) {
                .event = m->event,
                .state_changed = on_state_changed,
                .userdata = m,
        };
        (void) sd_event_now(e, CLOCK_MONOTONIC, &m->started_usec);
        *ret = m;
        return 0;
}

static void free_accounts(manager *m, account **accounts, size_t n) {
        for (size_t i = 0; i < n; i++)
                account_destroy(accounts[i], m->account_gone);
        free(accounts);
}

manager *manager_free(manager *m) {
        if (!m)
                return NULL;
        m->logind = logind_watch_free(m->logind);
        m->env.tearing_down = true;
        m->status_defer = sd_event_source_disable_unref(m->status_defer);
        free_accounts(m, m->accounts, m->n_accounts);
        revoke_env_done(&m->env);
        discovery_cache_free(m->env.discovery);
        curl_glue_free(m->env.curl);
        store_free(m->env.store);
        conf_free(m->conf);
        sd_event_unref(m->event);
        free(m->config_path);
        free(m);
        return NULL;
}

account *manager_find_account(manager *m, const char *name) {
        for (size_t i = 0; i < m->n_accounts; i++)
                if (streq(m->accounts[i]->conf->name, name))
                        return m->accounts[i];
        return NULL;
}

static void notify_status_now(manager *m) {
        size_t n[_ACCOUNT_STATE_MAX] = {};
        char line[256];
        int k;

        for (size_t i = 0; i < m->n_accounts; i++) {
                const account *a = m->accounts[i];

                if (!account_is_per_user(a))
                        n[a->state]++;
                for (size_t j = 0; j < a->n_sessions; j++)
                        n[a->sessions[j]->state]++;
        }
        /* "3 accounts: 2 valid, 1 needs_login" */
        k = snprintf(line, sizeof line, "%zu account%s", m->n_accounts, m->n_accounts == 1 ? "" : "s");
        for (account_state s = 0; s < _ACCOUNT_STATE_MAX && k > 0 && (size_t) k < sizeof line; s++)
                if (n[s] > 0)
                        k += snprintf(line + k, sizeof line - (size_t) k, "%s %zu %s",
                                      k > 0 && strchr(line, ':') ? "," : ":", n[s], account_state_to_string(s));
        (void) sd_notifyf(false, "STATUS=%s", line);
}

static int on_status_defer(sd_event_source *s, void *userdata) {
        manager *m = userdata;

        m->status_defer = sd_event_source_disable_unref(m->status_defer);
        notify_status_now(m);
        return 0;
}

/* Once per loop iteration at most: a thousand sessions loaded or
 * refreshed together would otherwise send a thousand STATUS= messages,
 * and the service manager's queue is short. */
void manager_notify_status(manager *m) {
        if (m->status_defer || m->env.tearing_down)
                return;
        if (sd_event_add_defer(m->event, &m->status_defer, on_status_defer, m) < 0)
                notify_status_now(m);
}

/* Builds the account list for c, taking over the accounts of old whose
 * configuration did not change (their slots in old become NULL). On
 * failure old is as it was. */
static int build_accounts(manager *m, const conf *c, account **old, size_t n_old,
                          account ***ret, size_t *ret_n) {
        _cleanup_(freep) size_t *taken = NULL;   /* list[i] came from old[taken[i] - 1] */
        account **list;
        int r;

        list = calloc(c->n_accounts ? c->n_accounts : 1, sizeof *list);
        taken = calloc(c->n_accounts ? c->n_accounts : 1, sizeof *taken);
        if (!list || !taken) {
                free(list);
                return -ENOMEM;
        }

        for (size_t i = 0; i < c->n_accounts; i++) {
                const conf_account *ca = c->accounts[i];
                account *a = NULL;

                for (size_t j = 0; j < n_old; j++)
                        if (old[j] && streq(old[j]->conf->name, ca->name) &&
                            conf_account_equal(old[j]->conf, ca)) {
                                a = old[j];
                                old[j] = NULL;
                                taken[i] = j + 1;
                                break;
                        }
                if (a) {
                        list[i] = a;
                        continue;
                }

                r = account_new(m, &m->env, ca, &a);
                if (r >= 0 && account_is_per_user(a)) {
                        r = account_sessions_load(a);
                        if (r < 0)
                                account_destroy(TAKE_PTR(a), NULL);
                }
                if (r < 0) {
                        for (size_t k = 0; k < i; k++)
                                if (taken[k] > 0) {
                                        old[taken[k] - 1] = list[k];
                                        list[k] = NULL;
                                }
                        free_accounts(m, list, i);
                        return r;
                }
                if (!account_is_per_user(a)) {
                        (void) account_load(a);
                        if (a->session)
                                account_session_changed(a);
                }
                list[i] = a;
        }

        /* Taken over: now configured by c. */
        for (size_t i = 0; i < c->n_accounts; i++)
                if (taken[i] > 0)
                        account_set_conf(list[i], c->accounts[i]);

        *ret = list;
        *ret_n = c->n_accounts;
        return 0;
}

static void on_uid_logout(uid_t uid, void *userdata) {
        manager *m = userdata;
        unsigned n = 0;

        for (size_t i = 0; i < m->n_accounts; i++)
                if (account_is_per_user(m->accounts[i]))
                        n += (unsigned) account_session_end_at_logout(m->accounts[i], uid, m->account_gone);
        if (n > 0)
                manager_notify_status(m);
}

static bool wants_logind(const manager *m) {
        for (size_t i = 0; i < m->n_accounts; i++)
                if (account_is_per_user(m->accounts[i]) && m->accounts[i]->conf->end_with_logout)
                        return true;
        return false;
}

/* Starts watching logind for the per-user accounts that end with the
 * desktop logout, and ends the tied sessions of people who logged out
 * while tesserad was not running. */
static void logind_setup(manager *m) {
        int r;

        if (m->logind || !wants_logind(m))
                return;
        r = logind_watch_new(m->event, on_uid_logout, m, &m->logind);
        if (r < 0) {
                if (!m->logind_missing_said)
                        log_notice(r == -ENOENT ? "logind is not running: per-user sessions will not end at the desktop logout"
                                                : "cannot watch logind (%s): per-user sessions will not end at the desktop logout",
                                   strerror(-r));
                m->logind_missing_said = true;
                return;
        }

        for (size_t i = 0; i < m->n_accounts; i++) {
                account *a = m->accounts[i];

                if (!account_is_per_user(a))
                        continue;
                /* Backwards: ending a session removes it from the list. */
                for (size_t j = a->n_sessions; j > 0; j--) {
                        account *s = a->sessions[j - 1];

                        if (!s->session || !s->session->logind_bound)
                                continue;
                        if (logind_uid_is_logged_in(s->uid))
                                (void) logind_watch_track(m->logind, s->uid);
                        else
                                (void) account_session_end_at_logout(a, s->uid, m->account_gone);
                }
        }
}

int manager_start(manager *m) {
        int r;

        r = store_open(m->conf->state_dir, &m->env.store);
        if (r == -EPERM)
                return log_error_errno(r, "store: the key file in %s is accessible to other users; fix with: chmod 0600 %s/key",
                                       m->conf->state_dir, m->conf->state_dir);
        if (r < 0)
                return log_error_errno(r, "store: cannot open %s: %m", m->conf->state_dir);
        r = store_cleanup_temp(m->env.store);
        if (r < 0)
                log_warning_errno(r, "store: cannot remove stale temporary files: %m");

        r = curl_glue_new(m->event, &m->env.curl);
        if (r >= 0)
                r = discovery_cache_new(m->env.curl, &m->env.discovery);
        if (r < 0)
                return log_error_errno(r, "cannot set up the identity provider client: %m");

        m->env.refresh_max_in_flight = m->conf->refresh_max_in_flight;
        r = build_accounts(m, m->conf, NULL, 0, &m->accounts, &m->n_accounts);
        if (r < 0)
                return log_error_errno(r, "cannot set up accounts: %m");
        logind_setup(m);

        manager_notify_status(m);
        return 0;
}

int manager_reload(manager *m) {
        _cleanup_(conf_freep) conf *c = NULL;
        _cleanup_(strv_freep) char **errors = NULL;
        account **list = NULL;
        size_t n = 0;
        conf *old;
        int r;

        (void) sd_notify(false, "RELOADING=1\nSTATUS=Reloading configuration");

        r = conf_load(m->config_path, &c, &errors);
        if (r < 0) {
                for (char **e = errors; e && *e; e++)
                        log_error("%s", *e);
                log_error("reload: the new configuration is invalid, keeping the running one");
                (void) sd_notify(false, "READY=1");
                manager_notify_status(m);
                return r;
        }

        if (!streq(c->state_dir, m->conf->state_dir))
                log_warning("reload: state_dir changed; restart tesserad to use %s", c->state_dir);
        if (!streq(c->socket, m->conf->socket) || c->socket_mode != m->conf->socket_mode)
                log_warning("reload: socket settings changed; restart tesserad to apply them");
        /* Keep what cannot change on the fly, so status shows the truth. */
        r = free_and_strdup(&c->state_dir, m->conf->state_dir);
        if (r < 0)
                return log_error_errno(r, "reload: %m");
        r = free_and_strdup(&c->socket, m->conf->socket);
        if (r < 0)
                return log_error_errno(r, "reload: %m");
        c->socket_mode = m->conf->socket_mode;

        m->rebuilding = true;
        r = build_accounts(m, c, m->accounts, m->n_accounts, &list, &n);
        if (r < 0) {
                m->rebuilding = false;
                (void) sd_notify(false, "READY=1");
                return log_error_errno(r, "reload: cannot set up accounts: %m");
        }

        /* Accounts left in the old list were removed or changed. */
        for (size_t i = 0; i < m->n_accounts; i++)
                if (m->accounts[i]) {
                        log_info("reload: account %s removed or changed", m->accounts[i]->conf->name);
                        account_destroy(m->accounts[i], m->account_gone);
                }
        free(m->accounts);
        m->accounts = list;
        m->n_accounts = n;
        m->rebuilding = false;

        old = m->conf;
        m->conf = TAKE_PTR(c);
        m->env.refresh_max_in_flight = m->conf->refresh_max_in_flight;
        conf_free(old);
        log_set_max_level(m->conf->log_level);

        discovery_cache_invalidate_all(m->env.discovery);
        logind_setup(m);
        log_info("reload: configuration reloaded, %zu account(s)", m->n_accounts);
        (void) sd_notify(false, "READY=1");
        manager_notify_status(m);
        return 0;
}
