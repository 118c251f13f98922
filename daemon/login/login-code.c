/* SPDX-License-Identifier: MIT */
/* The Authorization Code flow with PKCE (RFC 7636) through the loopback
 * redirect listener (RFC 8252), and the landing page each outcome shows. */
#include "login/login-internal.h"
#include "util/log.h"

static void on_code_exchanged(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        login *l = userdata;

        l->op = oauth_op_free(l->op);
        if (error) {
                login_respond_page(l, LANDING_EXCHANGE_FAILED, NULL, NULL, error->code, error->description);
                login_finish(l, false, error->code ? error->code : "idp_unavailable",
                             "the code exchange failed: %s", strempty(error->description));
                return;
        }
        login_tokens_arrived(l, token);
}

static void on_redirect(redirect_listener *listener, const redirect_result *res, void *userdata) {
        login *l = userdata;
        /* awaiting_response is false exactly when the state was not
         * verified, for the outcomes whose page depends on it. */
        landing_kind page = redirect_outcome_landing(res->outcome, res->awaiting_response, res->error);
        int r;

        if (res->outcome == REDIRECT_EXPIRED) {
                /* Answered already; the login itself ended at the timeout. */
                log_notice("account %s: the browser came back after the login had expired; "
                           "showed the \"login expired\" page, the code was not used", l->account->store_key);
                return;
        }

        if (!login_is_pending(l) || l->phase != LOGIN_WAITING_USER) {
                if (res->awaiting_response)
                        login_respond_page(l, LANDING_ALREADY_HANDLED, NULL, NULL, NULL, NULL);
                return;
        }

        switch (res->outcome) {
        case REDIRECT_CODE:
                l->phase = LOGIN_EXCHANGING;
                r = oauth_exchange_code(l->account->env->curl, l->account->conf, l->endpoints, res->code,
                                        l->redirect_uri, pkce_verifier(l->pkce), on_code_exchanged, l, &l->op);
                if (r < 0) {
                        login_respond_page(l, LANDING_GENERIC, NULL, NULL, NULL, NULL);
                        login_finish(l, false, "internal_error", "cannot start the code exchange: %s", strerror(-r));
                }
                return;
        case REDIRECT_ERROR:
                login_respond_page(l, page, NULL, NULL, res->error, res->error_description);
                login_finish(l, false, res->error ? res->error : "idp_error",
                             "the identity provider refused the login: %s%s%s", strempty(res->error),
                             res->error_description ? ": " : "", strempty(res->error_description));
                return;
        case REDIRECT_BAD_STATE:
                /* The listener already showed the browser an "invalid link"
                 * page. Any local process can reach the port, so a stray
                 * request must not cancel the real login: keep waiting. */
                log_warning("account %s: redirect listener got a callback with a wrong state, ignored",
                            l->account->store_key);
                if (res->awaiting_response)
                        login_respond_page(l, page, NULL, NULL, NULL, NULL);
                return;
        case REDIRECT_BAD_ISSUER:
                if (res->awaiting_response)
                        login_respond_page(l, page, NULL, NULL, "invalid_issuer", NULL);
                login_finish(l, false, "issuer_mismatch",
                             "the authorization response names another issuer (RFC 9207)");
                return;
        case REDIRECT_EXPIRED:          /* handled above */
        case REDIRECT_MALFORMED:
        case _REDIRECT_OUTCOME_MAX:
        case _REDIRECT_OUTCOME_INVALID:
                if (!res->awaiting_response) {
                        log_warning("account %s: redirect listener got a malformed callback, ignored",
                                    l->account->store_key);
                        return;
                }
                login_respond_page(l, page, NULL, NULL, NULL, NULL);
                login_finish(l, false, "bad_redirect", "the browser's redirect was malformed");
                return;
        }
}

static int code_start(login *l) {
        _cleanup_(freep) char *url = NULL;
        const conf_account *c = l->account->conf;
        int k;

        k = login_arm_expiry(l, login_timeout_sec());
        if (k < 0)
                return k;
        k = pkce_new(&l->pkce);
        if (k < 0)
                return k;
        k = redirect_listener_new(l->account->env->event, pkce_state(l->pkce), c->issuer, on_redirect, l,
                                  &l->listener);
        if (k < 0)
                return k;
        (void) redirect_listener_set_account(l->listener, c->name);
        k = redirect_listener_uri(l->listener, &l->redirect_uri);
        if (k < 0)
                return k;
        k = authorize_url_build(l->endpoints->authorization_endpoint, c->client_id, l->redirect_uri, c->scope,
                                pkce_state(l->pkce), pkce_challenge(l->pkce), &url);
        if (k < 0)
                return k;

        l->phase = LOGIN_WAITING_USER;
        log_info("account %s: code login started, redirect listener on 127.0.0.1:%u", c->name,
                 (unsigned) redirect_listener_port(l->listener));

        /* The URL carries state and the PKCE challenge: both are safe to
         * show, neither lets anyone redeem the code without the verifier. */
        login_report_started(l, &(login_started) {
                .flow = LOGIN_FLOW_CODE,
                .authorize_url = url,
                .expires_in = login_timeout_sec(),
        });
        return 0;
}

void login_code_begin(login *l) {
        int r;

        r = code_start(l);
        if (r < 0)
                login_finish(l, false, "internal_error", "cannot start the code login: %s", strerror(-r));
}
