/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "idp/discovery-document.h"
#include "idp/discovery.h"
#include "util/list.h"

typedef struct discovery_entry discovery_entry;

struct discovery_waiter {
        discovery_entry *entry;         /* whose list we are on, NULL when none */
        bool completing;                /* on entry's completing list, not its waiting one */
        LIST_FIELDS(discovery_waiter, waiters);
        oidc_endpoints overrides;       /* only the four *_endpoint fields */
        discovery_waiter_callback_t callback;
        void *userdata;
};

struct discovery_entry {
        char *issuer;
        oidc_endpoints *result;
        discovery_fetch *fetch;
        LIST_HEAD(discovery_waiter, waiting);           /* waiting for fetch */
        LIST_HEAD(discovery_waiter, completing);        /* being called back right now */
        LIST_FIELDS(discovery_entry, entries);
};

struct discovery_cache {
        curl_glue *glue;
        LIST_HEAD(discovery_entry, entries);
};

static void waiter_unlink(discovery_waiter *w) {
        discovery_entry *en = w->entry;

        if (!en)
                return;
        if (w->completing)
                LIST_REMOVE(waiters, en->completing, w);
        else
                LIST_REMOVE(waiters, en->waiting, w);
        w->entry = NULL;
        w->completing = false;
}

static void overrides_done(oidc_endpoints *o) {
        free(o->authorization_endpoint);
        free(o->token_endpoint);
        free(o->device_authorization_endpoint);
        free(o->revocation_endpoint);
        *o = (oidc_endpoints) {};
}

discovery_waiter *discovery_waiter_free(discovery_waiter *w) {
        if (!w)
                return NULL;
        waiter_unlink(w);
        overrides_done(&w->overrides);
        free(w);
        return NULL;
}

static discovery_entry *entry_free(discovery_entry *en) {
        if (!en)
                return NULL;
        /* Waiters belong to their owners: detach them, never call back. */
        while (en->waiting_head)
                waiter_unlink(en->waiting_head);
        while (en->completing_head)
                waiter_unlink(en->completing_head);
        discovery_fetch_free(en->fetch);
        oidc_endpoints_free(en->result);
        free(en->issuer);
        free(en);
        return NULL;
}

int discovery_cache_new(curl_glue *g, discovery_cache **ret) {
        discovery_cache *c;

        if (!g || !ret)
                return -EINVAL;
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->glue = g;
        *ret = c;
        return 0;
}

discovery_cache *discovery_cache_free(discovery_cache *c) {
        if (!c)
                return NULL;
        while (c->entries_head) {
                discovery_entry *en = c->entries_head;

                LIST_REMOVE(entries, c->entries, en);
                entry_free(en);
        }
        free(c);
        return NULL;
}

static discovery_entry *cache_find(discovery_cache *c, const char *issuer) {
        discovery_entry *en;

        LIST_FOREACH(entries, en, c->entries_head)
                if (streq(en->issuer, issuer))
                        return en;
        return NULL;
}

/* The account's view of the issuer's endpoints: a copy with its overrides. */
static int endpoints_for(const oidc_endpoints *discovered, const oidc_endpoints *overrides,
                         oidc_endpoints **ret) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *e = NULL;
        const conf_account a = {
                .authorization_endpoint = overrides->authorization_endpoint,
                .token_endpoint = overrides->token_endpoint,
                .device_authorization_endpoint = overrides->device_authorization_endpoint,
                .revocation_endpoint = overrides->revocation_endpoint,
        };
        int r;

        r = oidc_endpoints_dup(discovered, &e);
        if (r < 0)
                return r;
        r = oidc_endpoints_apply_overrides(e, &a);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

static void on_entry_fetched(discovery_fetch *d, int error, const char *message,
                             oidc_endpoints *endpoints, void *userdata) {
        discovery_entry *en = userdata;
        _cleanup_(freep) char *message_copy = NULL;
        discovery_waiter *w;

        en->fetch = discovery_fetch_free(en->fetch);
        if (error >= 0)
                en->result = endpoints;
        else {
                /* The fetch (and its message) is gone; keep the text. */
                message_copy = strdup(message ?: "discovery failed");
                message = message_copy ?: "discovery failed";
        }

        /* Waiters move to a private list first: a callback may start a new
         * request for this issuer, which must wait for a fresh fetch rather
         * than receive this result. */
        en->completing_head = en->waiting_head;
        en->completing_tail = en->waiting_tail;
        en->waiting_head = en->waiting_tail = NULL;
        LIST_FOREACH(waiters, w, en->completing_head)
                w->completing = true;

        while (en->completing_head) {
                oidc_endpoints *e = NULL;
                int r = error;

                w = en->completing_head;
                waiter_unlink(w);
                if (r >= 0 && !en->result) {
                        /* An earlier callback invalidated the result. */
                        r = -ESTALE;
                        message = "discovery: result invalidated";
                } else if (r >= 0) {
                        r = endpoints_for(en->result, &w->overrides, &e);
                        if (r < 0)
                                message = "out of memory";
                }
                /* May free w, other waiters, or add new ones. */
                w->callback(w, r, r < 0 ? message : NULL, e, w->userdata);
        }
}

static int entry_new(discovery_cache *c, const char *issuer, discovery_entry **ret) {
        discovery_entry *en;

        en = calloc(1, sizeof *en);
        if (!en)
                return -ENOMEM;
        en->issuer = strdup(issuer);
        if (!en->issuer) {
                free(en);
                return -ENOMEM;
        }
        LIST_PREPEND(entries, c->entries, en);
        *ret = en;
        return 0;
}

int discovery_cache_get(discovery_cache *c, const conf_account *a,
                        discovery_waiter_callback_t callback, void *userdata,
                        oidc_endpoints **ret_endpoints, discovery_waiter **ret_waiter) {
        _cleanup_(discovery_waiter_freep) discovery_waiter *w = NULL;
        discovery_entry *en;
        int r;

        if (!c || !a || isempty(a->issuer) || !callback || !ret_endpoints || !ret_waiter)
                return -EINVAL;

        r = oidc_endpoints_from_config(a, ret_endpoints);
        if (r != 0)
                return r;

        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->callback = callback;
        w->userdata = userdata;
        if (free_and_strdup(&w->overrides.authorization_endpoint, a->authorization_endpoint) < 0 ||
            free_and_strdup(&w->overrides.token_endpoint, a->token_endpoint) < 0 ||
            free_and_strdup(&w->overrides.device_authorization_endpoint,
                            a->device_authorization_endpoint) < 0 ||
            free_and_strdup(&w->overrides.revocation_endpoint, a->revocation_endpoint) < 0)
                return -ENOMEM;

        en = cache_find(c, a->issuer);
        if (en && en->result) {
                r = endpoints_for(en->result, &w->overrides, ret_endpoints);
                return r < 0 ? r : 1;
        }

        if (!en) {
                r = entry_new(c, a->issuer, &en);
                if (r < 0)
                        return r;
        }

        if (!en->fetch) {
                r = discovery_fetch_start(c->glue, en->issuer, on_entry_fetched, en, &en->fetch);
                if (r < 0)
                        return r;
        }

        w->entry = en;
        LIST_PREPEND(waiters, en->waiting, w);
        *ret_waiter = TAKE_PTR(w);
        return 0;
}

void discovery_cache_invalidate_all(discovery_cache *c) {
        discovery_entry *en;

        if (!c)
                return;
        LIST_FOREACH(entries, en, c->entries_head)
                en->result = oidc_endpoints_free(en->result);
}
