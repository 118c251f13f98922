/* SPDX-License-Identifier: MIT */
#pragma once

/* The OAuth requests (RFC 6749, 7636, 8628, 7009) and GipoNext's
 * userinfo as asynchronous operations on http-fetch: build the request,
 * send it with the account's client authentication, parse the answer. */

#include <stdint.h>

#include "conf/conf.h"
#include "glue/curl-glue.h"
#include "idp/endpoints.h"
#include "idp/oauth-error.h"
#include "idp/oauth-parse.h"
#include "util/util.h"

/* One request in flight. Free it to cancel; free it after its callback at
 * the latest (the callback may free it). */
typedef struct oauth_op oauth_op;

/* error is NULL on success; otherwise result is NULL. A non-NULL result
 * belongs to the callee. */
typedef void (*oauth_token_callback_t)(oauth_op *op, const oauth_error *error,
                                       oauth_token *token, void *userdata);
typedef void (*oauth_device_callback_t)(oauth_op *op, const oauth_error *error,
                                        oauth_device_auth *device, void *userdata);
typedef void (*oauth_userinfo_callback_t)(oauth_op *op, const oauth_error *error,
                                          oauth_userinfo *userinfo, void *userdata);
typedef void (*oauth_done_callback_t)(oauth_op *op, const oauth_error *error, void *userdata);

oauth_op *oauth_op_free(oauth_op *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(oauth_op *, oauth_op_free);

/* Authorization code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5). */
int oauth_exchange_code(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                        const char *code, const char *redirect_uri, const char *code_verifier,
                        oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* How long a refresh request is waited on once sent (the connect timeout
 * stays 10 s). With rotation, an IdP that took the request has consumed
 * the old refresh token: a late answer carries the only valid one, and a
 * request abandoned earlier is still worked through when the IdP resumes,
 * so that the next attempt replays a consumed token and loses the grant. */
#define OAUTH_REFRESH_TIMEOUT_USEC (300 * USEC_PER_SEC)

/* Refresh (RFC 6749 §6). granted_scope: the scope currently held, used
 * when the response omits scope (NULL: the account's configured scope). */
int oauth_refresh(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                  const char *refresh_token, const char *granted_scope,
                  oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* Device authorization request (RFC 8628 §3.1): client_id and scope.
 * -EOPNOTSUPP when the IdP has no device_authorization_endpoint. */
int oauth_device_authorize(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                           oauth_device_callback_t callback, void *userdata, oauth_op **ret);

/* One device access token poll (RFC 8628 §3.4). authorization_pending,
 * slow_down, expired_token and access_denied arrive as -EACCES with
 * that code; pacing is the caller's job. */
int oauth_device_poll(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                      const char *device_code,
                      oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* Token revocation (RFC 7009) with client authentication. token_type_hint
 * may be NULL. -EOPNOTSUPP when the IdP has no revocation_endpoint. */
int oauth_revoke(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                 const char *token, const char *token_type_hint,
                 oauth_done_callback_t callback, void *userdata, oauth_op **ret);

/* GET url with the bearer token; url is normally conf_account.userinfo_url. */
int oauth_fetch_userinfo(curl_glue *g, const char *url, const char *access_token,
                   oauth_userinfo_callback_t callback, void *userdata, oauth_op **ret);
