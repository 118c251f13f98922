/* SPDX-License-Identifier: MIT */
#include <limits.h>

#include "core/manager.h"
#include "login/login-internal.h"
#include "util/json-reader.h"
#include "util/log.h"

#define LOGIN_BODY_FLOW_MAX 16

int login_parse_flow(const char *body, size_t len, login_flow *ret) {
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        _cleanup_(freep) char *name = NULL;
        json_object *v;

        if (!ret || (!body && len > 0))
                return -EINVAL;
        if (len == 0) {
                *ret = LOGIN_FLOW_CODE;
                return 0;
        }
        if (len > INT_MAX)
                return -E2BIG;
        /* The strict reader of every JSON we take in: depth 4 at most,
         * nothing but white space after the object. */
        if (json_reader_parse_object(body, len, 4, &o) < 0)
                return -EINVAL;
        if (!json_object_object_get_ex(o, "flow", &v)) {
                *ret = LOGIN_FLOW_CODE;
                return 0;
        }
        /* null, numbers, arrays are no flow; the reader refuses
         * "code\u0000x". */
        if (!json_object_is_type(v, json_type_string) ||
            json_reader_get_string(o, "flow", LOGIN_BODY_FLOW_MAX, false, &name) <= 0)
                return -EINVAL;
        if (streq(name, "code"))
                *ret = LOGIN_FLOW_CODE;
        else if (streq(name, "device"))
                *ret = LOGIN_FLOW_DEVICE;
        else
                return -EINVAL;
        return 0;
}

static unsigned pending_logins(manager *m) {
        unsigned n = 0;

        for (size_t i = 0; i < m->n_accounts; i++) {
                const account *a = m->accounts[i];

                n += login_is_pending(a->login);
                for (size_t j = 0; j < a->n_sessions; j++)
                        n += login_is_pending(a->sessions[j]->login);
        }
        return n;
}

static void endpoints_known(login *l) {
        switch (l->flow) {
        case LOGIN_FLOW_CODE:
                login_code_begin(l);
                return;
        case LOGIN_FLOW_DEVICE:
                login_device_begin(l);
                return;
        case _LOGIN_FLOW_MAX:
                break;
        }
        login_finish(l, false, "internal_error", "unknown login flow");
}

static void on_discovered(discovery_waiter *dw, int error, const char *message, oidc_endpoints *endpoints,
                          void *userdata) {
        login *l = userdata;

        l->discovery = discovery_waiter_free(l->discovery);
        if (error < 0) {
                login_finish(l, false, "idp_unavailable", "cannot read the identity provider's configuration: %s",
                             strempty(message));
                return;
        }
        l->endpoints = endpoints;
        endpoints_known(l);
}

int login_start(account *a, login_flow flow, uid_t uid, login_start_fn done, void *userdata) {
        manager *m = a->manager;
        login *l;
        int k;

        login_read_environment();

        if (login_is_pending(a->login))
                return -EBUSY;
        if (pending_logins(m) >= LOGIN_PENDING_MAX)
                return -EUSERS;

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->account = a;
        l->manager = m;
        l->flow = flow;
        l->phase = LOGIN_DISCOVERING;
        l->state_before = a->state;
        l->start_done = done;
        l->start_userdata = userdata;

        /* The previous result is superseded; whoever waited on it was
         * already answered. */
        login_free(a->login);
        a->login = l;
        account_set_state(a, ACCOUNT_LOGIN_PENDING);
        log_info("account %s: %s login requested by uid %u", a->store_key, login_flow_to_string(flow),
                 (unsigned) uid);

        k = discovery_cache_get(a->env->discovery, a->conf, on_discovered, l, &l->endpoints, &l->discovery);
        if (k < 0)
                login_finish(l, false, "internal_error", "cannot look up the identity provider: %s", strerror(-k));
        else if (k > 0)
                endpoints_known(l);
        return 0;
}

void login_account_gone(account *a) {
        login *l = a->login;

        if (!l)
                return;
        login_finish(l, false, "account_removed", "the account was removed or changed by a configuration reload");
        a->login = login_free(l);
}

static void shutdown_login(login *l) {
        if (!l)
                return;
        login_respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
        login_finish(l, false, "shutting_down", "tesserad is stopping");
        /* No one is left to sign in for. */
        if (l->listener_expired)
                login_close_listener_now(l);
}

void login_manager_shutdown(manager *m) {
        for (size_t i = 0; i < m->n_accounts; i++) {
                account *a = m->accounts[i];

                shutdown_login(a->login);
                for (size_t j = 0; j < a->n_sessions; j++)
                        shutdown_login(a->sessions[j]->login);
        }
}
