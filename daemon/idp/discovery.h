/* SPDX-License-Identifier: MIT */
#pragma once

/* OpenID Provider discovery for accounts: the endpoints of an account's
 * issuer, fetched and checked once per issuer (discovery-document.h)
 * however many callers wait for them, with the account's endpoint
 * overrides merged in. */

#include "conf/conf.h"
#include "glue/curl-glue.h"
#include "idp/endpoints.h"
#include "util/util.h"

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
