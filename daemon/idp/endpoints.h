/* SPDX-License-Identifier: MIT */
#pragma once

/* An identity provider's endpoints for one account: what discovery found,
 * with the account's *_endpoint overrides applied. Discovery produces
 * them, the OAuth requests use them. */

#include <stdbool.h>

#include "conf/conf.h"
#include "util/util.h"

typedef struct oidc_endpoints {
        char *issuer;
        char *authorization_endpoint;
        char *token_endpoint;
        char *device_authorization_endpoint;    /* NULL: device flow unavailable */
        char *revocation_endpoint;              /* NULL: no RFC 7009 revocation */
        char *introspection_endpoint;           /* NULL when not advertised */
        char *userinfo_endpoint;                /* the IdP's, not GipoNext's API */
        /* code_challenge_methods_supported lists S256. tessera sends S256
         * regardless; this is for diagnostics. True when not discovered. */
        bool pkce_s256;
} oidc_endpoints;

oidc_endpoints *oidc_endpoints_free(oidc_endpoints *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(oidc_endpoints *, oidc_endpoints_free);
int oidc_endpoints_dup(const oidc_endpoints *e, oidc_endpoints **ret);

/* Overrides from the account's *_endpoint keys win over discovery. */
int oidc_endpoints_apply_overrides(oidc_endpoints *e, const conf_account *a);
/* When the account overrides authorization, token, device authorization
 * and revocation endpoints no discovery is needed: returns 1 and the
 * endpoints. Returns 0 when discovery is needed. */
int oidc_endpoints_from_config(const conf_account *a, oidc_endpoints **ret);
