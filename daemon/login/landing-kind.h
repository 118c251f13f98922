/* SPDX-License-Identifier: MIT */
#pragma once

/* The landing pages there are, on their own so that the page texts
 * (landing-pages.h) and the renderer (landing.h) can both name them. */

#include <errno.h>

typedef enum landing_kind {
        LANDING_SUCCESS,
        LANDING_ACCESS_DENIED,          /* the user declined (error=access_denied) */
        LANDING_EXPIRED,                /* the pending login timed out */
        LANDING_BAD_STATE,              /* stale or forged callback link */
        LANDING_IDP_ERROR,              /* any other error= from the IdP */
        LANDING_TENANT_NOT_ALLOWED,     /* clinic not in allowed_tenants */
        LANDING_EXCHANGE_FAILED,        /* token request failed / IdP unreachable */
        LANDING_GENERIC,
        LANDING_ALREADY_HANDLED,        /* a second callback for the same login */
        LANDING_NOT_FOUND,              /* any other path on the redirect listener */
        _LANDING_KIND_MAX,
        _LANDING_KIND_INVALID = -EINVAL,
} landing_kind;
