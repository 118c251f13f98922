/* SPDX-License-Identifier: MIT */
#pragma once

/* One OpenID Provider configuration document: its URL
 * ({issuer}/.well-known/openid-configuration), its strict parser, and one
 * asynchronous fetch of it. The per-issuer cache is discovery.h. */

#include <stddef.h>

#include "glue/curl-glue.h"
#include "idp/endpoints.h"
#include "util/util.h"

/* "{issuer without trailing slashes}/.well-known/openid-configuration". */
int oidc_discovery_url(const char *issuer, char **ret);

/* Pure parser for a discovery document (also the fuzz target). Requires
 * issuer == expected_issuer byte for byte, authorization_endpoint and
 * token_endpoint; every endpoint present must be a string accepted by
 * url_is_acceptable(). Unknown fields are ignored, JSON null counts as
 * absent for optional fields. On failure returns -EBADMSG (or -ENOMEM) and,
 * when error_message is not NULL, sets it to a newly allocated
 * explanation. */
int oidc_discovery_parse(const char *json, size_t size, const char *expected_issuer,
                         oidc_endpoints **ret, char **error_message);

/* One asynchronous discovery fetch. */
typedef struct discovery_fetch discovery_fetch;

/* endpoints is owned by the callee on success (NULL on error); message
 * explains error and is valid during the call. The callback may free d. */
typedef void (*discovery_fetch_callback_t)(discovery_fetch *d, int error, const char *message,
                                           oidc_endpoints *endpoints, void *userdata);

int discovery_fetch_start(curl_glue *g, const char *issuer,
                          discovery_fetch_callback_t callback, void *userdata,
                          discovery_fetch **ret);
discovery_fetch *discovery_fetch_free(discovery_fetch *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(discovery_fetch *, discovery_fetch_free);
