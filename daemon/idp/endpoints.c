/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "idp/endpoints.h"

oidc_endpoints *oidc_endpoints_free(oidc_endpoints *e) {
        if (!e)
                return NULL;
        free(e->issuer);
        free(e->authorization_endpoint);
        free(e->token_endpoint);
        free(e->device_authorization_endpoint);
        free(e->revocation_endpoint);
        free(e->introspection_endpoint);
        free(e->userinfo_endpoint);
        free(e);
        return NULL;
}

int oidc_endpoints_dup(const oidc_endpoints *e, oidc_endpoints **ret) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *n = NULL;

        if (!e || !ret)
                return -EINVAL;
        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        if (free_and_strdup(&n->issuer, e->issuer) < 0 ||
            free_and_strdup(&n->authorization_endpoint, e->authorization_endpoint) < 0 ||
            free_and_strdup(&n->token_endpoint, e->token_endpoint) < 0 ||
            free_and_strdup(&n->device_authorization_endpoint, e->device_authorization_endpoint) < 0 ||
            free_and_strdup(&n->revocation_endpoint, e->revocation_endpoint) < 0 ||
            free_and_strdup(&n->introspection_endpoint, e->introspection_endpoint) < 0 ||
            free_and_strdup(&n->userinfo_endpoint, e->userinfo_endpoint) < 0)
                return -ENOMEM;
        n->pkce_s256 = e->pkce_s256;
        *ret = TAKE_PTR(n);
        return 0;
}

int oidc_endpoints_apply_overrides(oidc_endpoints *e, const conf_account *a) {
        const struct {
                char **dst;
                const char *src;
        } o[] = {
                { &e->authorization_endpoint, a->authorization_endpoint },
                { &e->token_endpoint, a->token_endpoint },
                { &e->device_authorization_endpoint, a->device_authorization_endpoint },
                { &e->revocation_endpoint, a->revocation_endpoint },
        };

        for (size_t i = 0; i < ELEMENTSOF(o); i++)
                if (o[i].src && free_and_strdup(o[i].dst, o[i].src) < 0)
                        return -ENOMEM;
        return 0;
}

int oidc_endpoints_from_config(const conf_account *a, oidc_endpoints **ret) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *e = NULL;

        if (!a || !ret)
                return -EINVAL;
        if (!a->authorization_endpoint || !a->token_endpoint ||
            !a->device_authorization_endpoint || !a->revocation_endpoint)
                return 0;

        e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;
        if (free_and_strdup(&e->issuer, a->issuer) < 0 ||
            oidc_endpoints_apply_overrides(e, a) < 0)
                return -ENOMEM;
        e->pkce_s256 = true;
        *ret = TAKE_PTR(e);
        return 1;
}
