/* SPDX-License-Identifier: MIT */
#include <systemd/sd-daemon.h>

#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "gateway/gateway.h"
#include "http/http-api.h"
#include "util/log.h"
#include "login/login.h"
#include "core/manager.h"
#include "core/refresh.h"
#include "core/revoke.h"

#define SHUTDOWN_GRACE_USEC (5 * USEC_PER_SEC)
#define SHUTDOWN_POLL_USEC (20 * USEC_PER_MSEC)

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
        (void) sd_event_now(e, CLOCK_MONOTONIC, &m->started_usec);
        *ret = m;
        return 0;
}

static void account_gone(account *a) {
        gateway_account_gone(a);
        login_account_gone(a);
        refresh_account_gone(a);
        revoke_account_gone(a);
        account_free(a);
}

static void free_accounts(account **accounts, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (accounts[i])
                        account_gone(accounts[i]);
        free(accounts);
}

manager *manager_free(manager *m) {
        if (!m)
                return NULL;
        m->api = http_api_free(m->api);
        free_accounts(m->accounts, m->n_accounts);
        revoke_manager_done(m);
        discovery_cache_free(m->discovery);
        curl_glue_free(m->curl);
        store_free(m->store);
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

void manager_notify_status(manager *m) {
        size_t n[_ACCOUNT_STATE_MAX] = {};
        char line[256];
        int k;

        for (size_t i = 0; i < m->n_accounts; i++)
                n[m->accounts[i]->state]++;
        /* "3 accounts: 2 valid, 1 needs_login" */
        k = snprintf(line, sizeof line, "%zu account%s", m->n_accounts, m->n_accounts == 1 ? "" : "s");
        for (account_state s = 0; s < _ACCOUNT_STATE_MAX && k > 0 && (size_t) k < sizeof line; s++)
                if (n[s] > 0)
                        k += snprintf(line + k, sizeof line - (size_t) k, "%s %zu %s",
                                      k > 0 && strchr(line, ':') ? "," : ":", n[s], account_state_to_string(s));
        (void) sd_notifyf(false, "STATUS=%s", line);
}

static int build_accounts(manager *m, const conf *c, account **old, size_t n_old,
                          account ***ret, size_t *ret_n) {
        account **list;
        int r;

        list = calloc(c->n_accounts ? c->n_accounts : 1, sizeof *list);
        if (!list)
                return -ENOMEM;

        for (size_t i = 0; i < c->n_accounts; i++) {
                const conf_account *ca = c->accounts[i];
                account *a = NULL;

                for (size_t j = 0; j < n_old; j++)
                        if (old[j] && streq(old[j]->conf->name, ca->name) &&
                            conf_account_equal(old[j]->conf, ca)) {
                                a = old[j];
                                old[j] = NULL;
                                a->conf = ca;
                                break;
                        }
                if (a) {
                        list[i] = a;
                        continue;
                }

                r = account_new(m, ca, &a);
                if (r < 0) {
                        free_accounts(list, i);
                        return r;
                }
                (void) account_load(a);
                if (a->session)
                        account_session_changed(a);
                list[i] = a;
        }

        *ret = list;
        *ret_n = c->n_accounts;
        return 0;
}

int manager_start(manager *m) {
        int r;

        r = store_open(m->conf->state_dir, &m->store);
        if (r == -EPERM)
                return log_error_errno(r, "store: the key file in %s is accessible to other users; fix with: chmod 0600 %s/key",
                                       m->conf->state_dir, m->conf->state_dir);
        if (r < 0)
                return log_error_errno(r, "store: cannot open %s: %m", m->conf->state_dir);
        r = store_cleanup_temp(m->store);
        if (r < 0)
                log_warning_errno(r, "store: cannot remove stale temporary files: %m");

        r = curl_glue_new(m->event, &m->curl);
        if (r >= 0)
                r = discovery_cache_new(m->curl, &m->discovery);
        if (r < 0)
                return log_error_errno(r, "cannot set up the identity provider client: %m");

        r = build_accounts(m, m->conf, NULL, 0, &m->accounts, &m->n_accounts);
        if (r < 0)
                return log_error_errno(r, "cannot set up accounts: %m");

        r = http_api_new(m, &m->api);
        if (r < 0)
                return r;

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

        r = build_accounts(m, c, m->accounts, m->n_accounts, &list, &n);
        if (r < 0) {
                (void) sd_notify(false, "READY=1");
                return log_error_errno(r, "reload: cannot set up accounts: %m");
        }

        /* Accounts left in the old list were removed or changed. */
        for (size_t i = 0; i < m->n_accounts; i++)
                if (m->accounts[i]) {
                        log_info("reload: account %s removed or changed", m->accounts[i]->conf->name);
                        account_gone(m->accounts[i]);
                }
        free(m->accounts);
        m->accounts = list;
        m->n_accounts = n;

        old = m->conf;
        m->conf = TAKE_PTR(c);
        conf_free(old);
        log_set_max_level(m->conf->log_level);

        discovery_cache_invalidate_all(m->discovery);
        log_info("reload: configuration reloaded, %zu account(s)", m->n_accounts);
        (void) sd_notify(false, "READY=1");
        manager_notify_status(m);
        return 0;
}

static int on_shutdown_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        manager *m = userdata;
        uint64_t now = 0;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (http_api_requests_in_flight(m->api) == 0 || now >= m->stop_deadline_usec)
                return sd_event_exit(m->event, 0);

        (void) sd_event_source_set_time(s, now + SHUTDOWN_POLL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

void manager_begin_shutdown(manager *m) {
        uint64_t now = 0;
        int r;

        if (m->stopping)
                return;
        m->stopping = true;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        log_info("shutting down");

        login_manager_shutdown(m);
        for (size_t i = 0; i < m->n_accounts; i++)
                gateway_account_gone(m->accounts[i]);
        http_api_quiesce(m->api);

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        m->stop_deadline_usec = now + SHUTDOWN_GRACE_USEC;
        r = sd_event_add_time(m->event, NULL, CLOCK_MONOTONIC, now, 0, on_shutdown_poll, m);
        if (r < 0)
                (void) sd_event_exit(m->event, 0);
}
