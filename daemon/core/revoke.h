/* SPDX-License-Identifier: MIT */
#pragma once

/* Giving tokens back to the identity provider (RFC 7009): at logout, and
 * when a login is rejected after the tokens were issued (tenant not
 * allowed). Fire and forget: the local side never waits for it. */

#include "core/account.h"
#include "idp/discovery.h"

/* Starts revocation of the refresh token, then the access token (either
 * may be NULL; both are copied). e: the endpoints when known, else they
 * are looked up first. */
void revoke_tokens(account *a, const oidc_endpoints *e, const char *refresh_token, const char *access_token);

/* The same, and done runs exactly once when it is over: revoked is true
 * when every token was revoked, else message says why not. It may run
 * before this returns. */
typedef void (*revoke_done_fn)(bool revoked, const char *message, void *userdata);
void revoke_tokens_then(account *a, const oidc_endpoints *e, const char *refresh_token,
                        const char *access_token, revoke_done_fn done, void *userdata);

/* Cancels the account's revocations still in flight (reload removed it). */
void revoke_account_gone(account *a);
void revoke_env_done(account_env *env);

/* Logout: revocation started (done reports how it went, see above), the
 * local session erased durably at once, whatever the IdP says. */
int account_logout(account *a, int *ret_erase, revoke_done_fn done, void *userdata);
