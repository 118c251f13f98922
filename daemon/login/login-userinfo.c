/* SPDX-License-Identifier: MIT */
#include "core/logind-watch.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "login/login-internal.h"
#include "util/log.h"

static bool tenant_allowed(const conf_account *c, const char *id) {
        if (strv_length(c->allowed_tenants) == 0)
                return true;
        for (char **t = c->allowed_tenants; *t; t++)
                if (streq(*t, id))
                        return true;
        return false;
}

static const userinfo_tenant *pick_tenant(const conf_account *c, const oauth_userinfo *u) {
        /* The first tenant the allow-list accepts; without a list, the first. */
        for (size_t i = 0; i < u->n_tenants; i++)
                if (tenant_allowed(c, u->tenants[i].id))
                        return &u->tenants[i];
        return NULL;
}

static int build_session(login *l, const oauth_userinfo *u, const userinfo_tenant *t, session **ret) {
        _cleanup_(session_freep) session *s = NULL;
        int64_t now = now_realtime();
        int r;

        s = session_new();
        if (!s)
                return -ENOMEM;
        s->access_token = TAKE_PTR(l->token->access_token);
        s->refresh_token = TAKE_PTR(l->token->refresh_token);
        r = session_set_string(&s->scope, l->token->scope);
        if (r >= 0)
                r = session_set_string(&s->sub, u->sub);
        if (r >= 0)
                r = session_set_string(&s->user, u->name);
        if (r >= 0 && t)
                r = session_set_string(&s->tenant_id, t->id);
        if (r >= 0 && t)
                r = session_set_string(&s->tenant_name, t->name);
        for (size_t i = 0; r >= 0 && i < u->n_tenants; i++)
                r = session_add_tenant(s, u->tenants[i].id, u->tenants[i].name);
        if (r < 0)
                return r;
        s->refreshed_at = now;
        s->expires_at = now + (int64_t) l->token->expires_in;
        /* One person's session, logged in during their desktop session:
         * it ends with that (core/logind-watch.h). */
        s->logind_bound = l->account->parent && l->account->conf->end_with_logout &&
                logind_uid_is_logged_in(l->account->uid);
        *ret = TAKE_PTR(s);
        return 0;
}

static void on_userinfo(oauth_op *op, const oauth_error *error, oauth_userinfo *userinfo, void *userdata) {
        _cleanup_(oauth_userinfo_freep) oauth_userinfo *u = userinfo;
        _cleanup_(session_freep) session *s = NULL;
        login *l = userdata;
        account *a = l->account;
        const userinfo_tenant *t;
        int r;

        l->op = oauth_op_free(l->op);

        if (error) {
                /* Nothing stored yet: give the grant back rather than leave
                 * it behind at the IdP. */
                revoke_tokens(a, l->endpoints, l->token->refresh_token, l->token->access_token);
                login_respond_page(l, LANDING_EXCHANGE_FAILED, NULL, NULL, NULL, NULL);
                login_finish(l, false, "userinfo_failed", "GipoNext userinfo request failed: %s",
                             strempty(error->description));
                return;
        }

        t = pick_tenant(a->conf, u);
        if (!t) {
                revoke_tokens(a, l->endpoints, l->token->refresh_token, l->token->access_token);
                login_respond_page(l, LANDING_TENANT_NOT_ALLOWED, u->name,
                                   u->n_tenants > 0 ? u->tenants[0].name : NULL, NULL, NULL);
                if (u->n_tenants == 0)
                        login_finish(l, false, "tenant_not_allowed",
                                     "user %s belongs to no GipoNext tenant; the tokens were revoked",
                                     strempty(u->name));
                else
                        login_finish(l, false, "tenant_not_allowed",
                                     "tenant %s of user %s is not in allowed_tenants; the tokens were revoked",
                                     u->tenants[0].id, strempty(u->name));
                return;
        }

        r = build_session(l, u, t, &s);
        if (r >= 0) {
                (void) free_and_strdup(&l->user, u->name ? u->name : u->sub);
                (void) free_and_strdup(&l->tenant_id, t->id);
                r = account_install_session(a, s);
                if (r >= 0)
                        s = NULL;       /* the account's now */
                else
                        /* Nothing usable stays here: give the grant back
                         * instead of leaving live tokens at the IdP. */
                        revoke_tokens(a, l->endpoints, s->refresh_token, s->access_token);
        }
        if (r < 0) {
                login_respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "store_failed", "cannot store the new session: %s", strerror(-r));
                return;
        }

        free(l->scope_missing);
        l->scope_missing = NULL;
        (void) account_scope_missing(a, &l->scope_missing);
        if (l->scope_missing)
                log_warning("account %s: the user did not grant: %s", a->store_key, l->scope_missing);

        login_respond_page(l, LANDING_SUCCESS, u->name, t->name, NULL, NULL);
        login_finish(l, true, NULL, NULL);
        account_session_changed(a);
}

void login_tokens_arrived(login *l, oauth_token *token) {
        int r;

        l->token = token;
        if (!token->refresh_token)
                log_warning("account %s: the identity provider issued no refresh token (is offline_access granted?)",
                            l->account->store_key);

        l->phase = LOGIN_USERINFO;
        r = oauth_fetch_userinfo(l->account->env->curl, l->account->conf->userinfo_url, token->access_token,
                                 on_userinfo, l, &l->op);
        if (r < 0) {
                login_respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                login_finish(l, false, "internal_error", "cannot call userinfo: %s", strerror(-r));
        }
}
