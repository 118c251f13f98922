/* SPDX-License-Identifier: MIT */
#pragma once

/* OpenID Provider discovery: fetches {issuer}/.well-known/openid-configuration,
 * checks it strictly, merges the account's endpoint overrides, and caches
 * the result per issuer (one fetch however many callers wait for it). */

#include "conf/conf.h"
#include "glue/curl-glue.h"
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

/* Overrides from the account's *_endpoint keys win over discovery. */
int oidc_endpoints_apply_overrides(oidc_endpoints *e, const conf_account *a);
/* When the account overrides authorization, token, device authorization
 * and revocation endpoints no discovery is needed: returns 1 and the
 * endpoints. Returns 0 when discovery is needed. */
int oidc_endpoints_from_config(const conf_account *a, oidc_endpoints **ret);

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

/* Per-issuer cache with request coalescing. Successful results are kept
 * for the cache's lifetime (or until invalidated); failures are not
 * cached, the next request fetches again. */
typedef struct discovery_cache discovery_cache;
typedef struct discovery_waiter discovery_waiter;

/* endpoints (overrides applied) is owned by the callee on success. The
 * callback may free w, other waiters, and start new requests; it must not
 * free the cache. */
typedef void (*discovery_waiter_callback_t)(discovery_waiter *w, int error, const char *message,
                                            oidc_endpoints *endpoints, void *userdata);

int discovery_cache_new(curl_glue *g, discovery_cache **ret);
/* Cancels every fetch; waiters still pending are never called back and
 * must be freed (before or after) by their owners. */
discovery_cache *discovery_cache_free(discovery_cache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(discovery_cache *, discovery_cache_free);

/* Endpoints for account a. Returns 1 with *ret_endpoints (owned by the
 * caller) when known now: fully overridden in the configuration or already
 * cached; the callback is not called. Returns 0 with *ret_waiter when a
 * fetch was started or joined: the callback runs later, and the caller
 * frees the waiter (freeing it earlier cancels the wait). */
int discovery_cache_get(discovery_cache *c, const conf_account *a,
                        discovery_waiter_callback_t callback, void *userdata,
                        oidc_endpoints **ret_endpoints, discovery_waiter **ret_waiter);
discovery_waiter *discovery_waiter_free(discovery_waiter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(discovery_waiter *, discovery_waiter_free);

/* Forgets every cached document, so each is fetched again when next
 * needed (SIGHUP: an admin who reloads expects changes at the IdP to be
 * seen). Fetches in flight are left alone. */
void discovery_cache_invalidate_all(discovery_cache *c);
