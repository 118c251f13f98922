/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "idp/oauth-form.h"
#include "idp/oauth-ops.h"
#include "util/secret.h"

/* ---- Asynchronous operations ---- */

typedef enum oauth_op_kind {
        OAUTH_OP_TOKEN,
        OAUTH_OP_DEVICE,
        OAUTH_OP_USERINFO,
        OAUTH_OP_REVOKE,
        _OAUTH_OP_KIND_MAX,
} oauth_op_kind;

struct oauth_op {
        oauth_op_kind kind;
        http_fetch *fetch;
        char *default_scope;
        union {
                oauth_token_callback_t token;
                oauth_device_callback_t device;
                oauth_userinfo_callback_t userinfo;
                oauth_done_callback_t done;
        } callback;
        void *userdata;
};

oauth_op *oauth_op_free(oauth_op *op) {
        if (!op)
                return NULL;
        http_fetch_free(op->fetch);
        free(op->default_scope);
        free(op);
        return NULL;
}

static void on_fetch_done(http_fetch *f, int error, const char *message,
                          const http_response *resp, void *userdata) {
        oauth_op *op = userdata;
        oauth_error e = {};
        oauth_token *token = NULL;
        oauth_device_auth *device = NULL;
        oauth_userinfo *userinfo = NULL;
        int r = error;

        if (r < 0) {
                e.error = r;
                e.description = strdup(message ?: "request failed");
        } else
                switch (op->kind) {
                case OAUTH_OP_TOKEN:
                        r = oauth_parse_token_response(resp, op->default_scope, &token, &e);
                        break;
                case OAUTH_OP_DEVICE:
                        r = oauth_parse_device_response(resp, &device, &e);
                        break;
                case OAUTH_OP_USERINFO:
                        r = oauth_parse_userinfo_response(resp, &userinfo, &e);
                        break;
                case OAUTH_OP_REVOKE:
                        r = oauth_parse_revocation_response(resp, &e);
                        break;
                case _OAUTH_OP_KIND_MAX:
                        r = oauth_fail(&e, -EINVAL, resp, "internal error");
                        break;
                }

        /* The response body held the tokens: wipe it now rather than when
         * the owner gets round to freeing the op. */
        op->fetch = http_fetch_free(op->fetch);

        /* The callback may free op: nothing of op is used after it. */
        switch (op->kind) {
        case OAUTH_OP_TOKEN:
                op->callback.token(op, r < 0 ? &e : NULL, token, op->userdata);
                break;
        case OAUTH_OP_DEVICE:
                op->callback.device(op, r < 0 ? &e : NULL, device, op->userdata);
                break;
        case OAUTH_OP_USERINFO:
                op->callback.userinfo(op, r < 0 ? &e : NULL, userinfo, op->userdata);
                break;
        case OAUTH_OP_REVOKE:
                op->callback.done(op, r < 0 ? &e : NULL, op->userdata);
                break;
        case _OAUTH_OP_KIND_MAX:
                break;
        }
        oauth_error_done(&e);
}

static int op_new(oauth_op_kind kind, void *userdata, oauth_op **ret) {
        oauth_op *op;

        op = calloc(1, sizeof *op);
        if (!op)
                return -ENOMEM;
        op->kind = kind;
        op->userdata = userdata;
        *ret = op;
        return 0;
}

static int op_start(oauth_op *op, curl_glue *g, const http_request *req) {
        return http_fetch_start(g, req, on_fetch_done, op, &op->fetch);
}

/* POSTs form to endpoint with the account's client authentication. */
static int op_start_post(oauth_op *op, curl_glue *g, const conf_account *a,
                         const char *endpoint, oauth_form *form, uint64_t timeout_usec) {
        _cleanup_(secret_freep) char *basic = NULL;
        http_request req;
        int r;

        r = oauth_client_auth(a, form, &basic);
        if (r < 0)
                return r;
        req = (http_request) {
                .method = HTTP_METHOD_POST,
                .url = endpoint,
                .form_body = form->buf.data,
                .basic_credentials = basic,
                .timeout_usec = timeout_usec,
        };
        return op_start(op, g, &req);
}

static int token_request(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                         oauth_form *form, const char *default_scope, uint64_t timeout_usec,
                         oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!e->token_endpoint)
                return -EINVAL;
        r = op_new(OAUTH_OP_TOKEN, userdata, &op);
        if (r < 0)
                return r;
        op->callback.token = callback;
        if (default_scope) {
                op->default_scope = strdup(default_scope);
                if (!op->default_scope)
                        return -ENOMEM;
        }
        r = op_start_post(op, g, a, e->token_endpoint, form, timeout_usec);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_exchange_code(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                        const char *code, const char *redirect_uri, const char *code_verifier,
                        oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(code) || isempty(redirect_uri) || isempty(code_verifier) ||
            !callback || !ret)
                return -EINVAL;

        if ((r = oauth_form_add(&form, "grant_type", "authorization_code")) < 0 ||
            (r = oauth_form_add(&form, "code", code)) < 0 ||
            (r = oauth_form_add(&form, "redirect_uri", redirect_uri)) < 0 ||
            (r = oauth_form_add(&form, "code_verifier", code_verifier)) < 0)
                return r;
        return token_request(g, a, e, &form, a->scope, 0, callback, userdata, ret);
}

int oauth_refresh(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                  const char *refresh_token, const char *granted_scope,
                  oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(refresh_token) || !callback || !ret)
                return -EINVAL;

        /* No scope parameter: the refreshed grant keeps the scope it had
         * (RFC 6749 §6). */
        if ((r = oauth_form_add(&form, "grant_type", "refresh_token")) < 0 ||
            (r = oauth_form_add(&form, "refresh_token", refresh_token)) < 0)
                return r;
        return token_request(g, a, e, &form, granted_scope ?: a->scope, OAUTH_REFRESH_TIMEOUT_USEC,
                             callback, userdata, ret);
}

int oauth_device_poll(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                      const char *device_code,
                      oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(device_code) || !callback || !ret)
                return -EINVAL;

        if ((r = oauth_form_add(&form, "grant_type",
                                "urn:ietf:params:oauth:grant-type:device_code")) < 0 ||
            (r = oauth_form_add(&form, "device_code", device_code)) < 0)
                return r;
        return token_request(g, a, e, &form, a->scope, 0, callback, userdata, ret);
}

int oauth_device_authorize(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                           oauth_device_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!g || !a || !e || isempty(a->client_id) || !callback || !ret)
                return -EINVAL;
        if (!e->device_authorization_endpoint)
                return -EOPNOTSUPP;

        /* RFC 8628 §3.1 shows client_id in the body; with Basic
         * authentication it is sent in both places, which servers accept. */
        if (a->client_auth == CLIENT_AUTH_BASIC && a->client_secret) {
                r = oauth_form_add(&form, "client_id", a->client_id);
                if (r < 0)
                        return r;
        }
        if (a->scope) {
                r = oauth_form_add(&form, "scope", a->scope);
                if (r < 0)
                        return r;
        }

        r = op_new(OAUTH_OP_DEVICE, userdata, &op);
        if (r < 0)
                return r;
        op->callback.device = callback;
        r = op_start_post(op, g, a, e->device_authorization_endpoint, &form, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_revoke(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                 const char *token, const char *token_type_hint,
                 oauth_done_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!g || !a || !e || isempty(token) || !callback || !ret)
                return -EINVAL;
        if (!e->revocation_endpoint)
                return -EOPNOTSUPP;

        r = oauth_form_add(&form, "token", token);
        if (r < 0)
                return r;
        if (token_type_hint) {
                r = oauth_form_add(&form, "token_type_hint", token_type_hint);
                if (r < 0)
                        return r;
        }

        r = op_new(OAUTH_OP_REVOKE, userdata, &op);
        if (r < 0)
                return r;
        op->callback.done = callback;
        r = op_start_post(op, g, a, e->revocation_endpoint, &form, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_fetch_userinfo(curl_glue *g, const char *url, const char *access_token,
                   oauth_userinfo_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        http_request req;
        int r;

        if (!g || isempty(url) || isempty(access_token) || !callback || !ret)
                return -EINVAL;

        r = op_new(OAUTH_OP_USERINFO, userdata, &op);
        if (r < 0)
                return r;
        op->callback.userinfo = callback;
        req = (http_request) {
                .method = HTTP_METHOD_GET,
                .url = url,
                .bearer_token = access_token,
        };
        r = op_start(op, g, &req);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}
