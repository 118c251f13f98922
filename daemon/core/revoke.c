/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "util/log.h"
#include "idp/oauth.h"
#include "core/refresh.h"
#include "core/revoke.h"
#include "util/secret.h"

typedef struct revoke_job revoke_job;

struct revoke_job {
        account_env *env;
        account *account;
        char label[ACCOUNT_STORE_KEY_MAX + 1];  /* whose tokens, for the log */
        discovery_waiter *discovery;
        oidc_endpoints *endpoints;
        oauth_op *op;
        char *tokens[2];                /* refresh, access; secret memory */
        unsigned next;                  /* index of the token being revoked */
        revoke_done_fn done;
        void *userdata;
        char *failure;                  /* the first thing that went wrong */
        revoke_job *next_job, *prev_job;
};

static const char *const token_hint[2] = { "refresh_token", "access_token" };

static void job_fail(revoke_job *j, const char *fmt, ...) _printf_(2, 3);
static void job_fail(revoke_job *j, const char *fmt, ...) {
        va_list ap;

        if (j->failure)
                return;
        va_start(ap, fmt);
        if (vasprintf(&j->failure, fmt, ap) < 0)
                j->failure = NULL;
        va_end(ap);
}

static void job_free(revoke_job *j) {
        account_env *env = j->env;

        if (j->done) {
                revoke_done_fn done = j->done;

                j->done = NULL;
                done(!j->failure, j->failure ? j->failure : "revoked at the identity provider", j->userdata);
        }
        free(j->failure);
        if (j->prev_job)
                j->prev_job->next_job = j->next_job;
        else
                env->revocations = j->next_job;
        if (j->next_job)
                j->next_job->prev_job = j->prev_job;

        discovery_waiter_free(j->discovery);
        oauth_op_free(j->op);
        oidc_endpoints_free(j->endpoints);
        for (size_t i = 0; i < ELEMENTSOF(j->tokens); i++)
                secret_free(j->tokens[i]);
        free(j);
}

static void job_step(revoke_job *j);

static void on_revoked(oauth_op *op, const oauth_error *error, void *userdata) {
        revoke_job *j = userdata;

        j->op = oauth_op_free(j->op);
        if (error) {
                log_warning("account %s: revoking the %s at the identity provider failed: %s",
                            j->label, token_hint[j->next], strempty(error->description));
                job_fail(j, "revoking the %s failed: %s", token_hint[j->next], strempty(error->description));
        } else
                log_info("account %s: %s revoked at the identity provider",
                         j->label, token_hint[j->next]);
        j->next++;
        job_step(j);
}

static void job_step(revoke_job *j) {
        int r;

        for (; j->next < ELEMENTSOF(j->tokens); j->next++) {
                if (!j->tokens[j->next])
                        continue;
                r = oauth_revoke(j->env->curl, j->account->conf, j->endpoints, j->tokens[j->next],
                                 token_hint[j->next], on_revoked, j, &j->op);
                if (r == -EOPNOTSUPP) {
                        log_warning("account %s: the identity provider offers no revocation endpoint; "
                                    "the tokens stay valid there until they expire", j->label);
                        job_fail(j, "the identity provider offers no revocation endpoint");
                        break;
                }
                if (r < 0) {
                        log_warning_errno(r, "account %s: cannot start revocation: %m", j->label);
                        job_fail(j, "cannot start revocation: %s", strerror(-r));
                        continue;
                }
                return;
        }
        job_free(j);
}

static void on_discovered(discovery_waiter *w, int error, const char *message, oidc_endpoints *endpoints,
                          void *userdata) {
        revoke_job *j = userdata;

        j->discovery = discovery_waiter_free(j->discovery);
        if (error < 0) {
                log_warning("account %s: cannot revoke the tokens, the identity provider's configuration is unavailable: %s",
                            j->label, strempty(message));
                job_fail(j, "the identity provider cannot be reached: %s", strempty(message));
                job_free(j);
                return;
        }
        j->endpoints = endpoints;
        job_step(j);
}

void revoke_tokens(account *a, const oidc_endpoints *e, const char *refresh_token, const char *access_token) {
        revoke_tokens_then(a, e, refresh_token, access_token, NULL, NULL);
}

void revoke_tokens_then(account *a, const oidc_endpoints *e, const char *refresh_token,
                        const char *access_token, revoke_done_fn done, void *userdata) {
        account_env *env = a->env;
        revoke_job *j;
        int r;

        if (!refresh_token && !access_token) {
                if (done)
                        done(true, "there were no tokens to revoke", userdata);
                return;
        }

        j = calloc(1, sizeof *j);
        if (!j) {
                if (done)
                        done(false, "out of memory", userdata);
                goto oom;
        }
        j->done = done;
        j->userdata = userdata;
        j->env = env;
        /* One person's revocation outlives their session object (a
         * desktop logout frees it at once): it belongs to the account. */
        j->account = a->parent ? a->parent : a;
        memcpy(j->label, a->store_key, sizeof j->label);
        j->next_job = env->revocations;
        if (j->next_job)
                j->next_job->prev_job = j;
        env->revocations = j;

        j->tokens[0] = secret_strdup(refresh_token);
        j->tokens[1] = secret_strdup(access_token);
        if ((refresh_token && !j->tokens[0]) || (access_token && !j->tokens[1]))
                goto oom_job;

        if (e) {
                r = oidc_endpoints_dup(e, &j->endpoints);
                if (r < 0)
                        goto oom_job;
                job_step(j);
                return;
        }

        r = discovery_cache_get(env->discovery, a->conf, on_discovered, j, &j->endpoints, &j->discovery);
        if (r < 0) {
                log_warning_errno(r, "account %s: cannot look up the revocation endpoint: %m", a->store_key);
                job_fail(j, "cannot look up the revocation endpoint: %s", strerror(-r));
                job_free(j);
                return;
        }
        if (r > 0)
                job_step(j);
        return;

oom_job:
        job_fail(j, "out of memory");
        job_free(j);
oom:
        log_warning("account %s: out of memory, tokens not revoked at the identity provider", a->store_key);
}

void revoke_account_gone(account *a) {
        revoke_job *j = a->env->revocations;

        while (j) {
                revoke_job *next = j->next_job;

                if (j->account == a)
                        job_free(j);
                j = next;
        }
}

void revoke_env_done(account_env *env) {
        while (env->revocations)
                job_free(env->revocations);
}

int account_logout(account *a, int *ret_erase, revoke_done_fn done, void *userdata) {
        _cleanup_(secret_freep) char *refresh_token = NULL, *access_token = NULL;
        int r;

        if (a->session) {
                refresh_token = secret_strdup(a->session->refresh_token);
                access_token = secret_strdup(a->session->access_token);
        }
        /* Local erase first, whatever the IdP will say. */
        r = account_forget_session(a);
        /* Waiters for a refresh now learn that there is no session. */
        refresh_account_stop(a);
        if (ret_erase)
                *ret_erase = r;
        /* done may free what ret_erase points to: nothing after this. */
        if (refresh_token || access_token)
                revoke_tokens_then(a, NULL, refresh_token, access_token, done, userdata);
        else if (done)
                done(true, "there was no session", userdata);
        return r;
}
