/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "idp/discovery.h"
#include "idp/http-fetch.h"
#include "idp/oauth.h"

#define WELL_KNOWN "/.well-known/openid-configuration"
#define ISSUER_MAX ((size_t) 2048)
/* A discovery document lists dozens of fields and some providers are
 * verbose, but nothing legitimate comes near this. */
#define DISCOVERY_MAX_BODY ((size_t) 256 * 1024)

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

static int dup_field(char **dst, const char *src) {
        return free_and_strdup(dst, src);
}

int oidc_endpoints_dup(const oidc_endpoints *e, oidc_endpoints **ret) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *n = NULL;

        if (!e || !ret)
                return -EINVAL;
        n = calloc(1, sizeof *n);
        if (!n)
                return -ENOMEM;
        if (dup_field(&n->issuer, e->issuer) < 0 ||
            dup_field(&n->authorization_endpoint, e->authorization_endpoint) < 0 ||
            dup_field(&n->token_endpoint, e->token_endpoint) < 0 ||
            dup_field(&n->device_authorization_endpoint, e->device_authorization_endpoint) < 0 ||
            dup_field(&n->revocation_endpoint, e->revocation_endpoint) < 0 ||
            dup_field(&n->introspection_endpoint, e->introspection_endpoint) < 0 ||
            dup_field(&n->userinfo_endpoint, e->userinfo_endpoint) < 0)
                return -ENOMEM;
        n->pkce_s256 = e->pkce_s256;
        *ret = TAKE_PTR(n);
        return 0;
}

int oidc_discovery_url(const char *issuer, char **ret) {
        size_t n;
        char *u;

        if (isempty(issuer) || !ret)
                return -EINVAL;
        n = strlen(issuer);
        if (n > ISSUER_MAX)
                return -EINVAL;
        while (n > 0 && issuer[n - 1] == '/')
                n--;
        if (n == 0)
                return -EINVAL;
        if (asprintf(&u, "%.*s" WELL_KNOWN, (int) n, issuer) < 0)
                return -ENOMEM;
        *ret = u;
        return 0;
}

_printf_(3, 4)
static int parse_fail(char **error_message, int error, const char *fmt, ...) {
        va_list ap;

        if (!error_message)
                return error;
        va_start(ap, fmt);
        if (vasprintf(error_message, fmt, ap) < 0)
                *error_message = NULL;
        va_end(ap);
        return error;
}

static int get_endpoint(json_object *o, const char *key, bool required, char **ret,
                        char **error_message) {
        _cleanup_(freep) char *s = NULL;
        int r;

        r = oauth_json_get_string(o, key, ISSUER_MAX, false, &s);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return parse_fail(error_message, -EBADMSG,
                                  "discovery: \"%s\" is not a string of at most %zu bytes",
                                  key, ISSUER_MAX);
        if (r == 0) {
                if (required)
                        return parse_fail(error_message, -EBADMSG, "discovery: \"%s\" is missing", key);
                return 0;
        }
        if (!url_is_acceptable(s))
                return parse_fail(error_message, -EBADMSG,
                                  "discovery: \"%s\" is not an acceptable URL (https, or http to loopback)",
                                  key);
        *ret = TAKE_PTR(s);
        return 1;
}

static int parse_s256(json_object *o, bool *ret, char **error_message) {
        json_object *methods;
        size_t n;

        if (!json_object_object_get_ex(o, "code_challenge_methods_supported", &methods) || !methods) {
                *ret = false;
                return 0;
        }
        if (!json_object_is_type(methods, json_type_array))
                return parse_fail(error_message, -EBADMSG,
                                  "discovery: \"code_challenge_methods_supported\" is not an array");
        n = json_object_array_length(methods);
        *ret = false;
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(methods, i);

                if (!json_object_is_type(m, json_type_string))
                        return parse_fail(error_message, -EBADMSG,
                                          "discovery: \"code_challenge_methods_supported\" has a non-string entry");
                if (streq(json_object_get_string(m), "S256"))
                        *ret = true;
        }
        return 0;
}

int oidc_discovery_parse(const char *json, size_t size, const char *expected_issuer,
                         oidc_endpoints **ret, char **error_message) {
        _cleanup_(oidc_endpoints_freep) oidc_endpoints *e = NULL;
        json_object *o = NULL;
        int r;

        if (!json || isempty(expected_issuer) || !ret)
                return -EINVAL;

        r = oauth_json_parse(json, size, &o);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return parse_fail(error_message, -EBADMSG, "discovery: document is not a JSON object");

        e = calloc(1, sizeof *e);
        if (!e) {
                r = -ENOMEM;
                goto finish;
        }

        r = oauth_json_get_string(o, "issuer", ISSUER_MAX, false, &e->issuer);
        if (r == -ENOMEM)
                goto finish;
        if (r <= 0) {
                r = parse_fail(error_message, -EBADMSG, "discovery: \"issuer\" missing or not a string");
                goto finish;
        }
        /* OpenID Connect Discovery §4.3: exactly the issuer we asked for, or
         * a document from somewhere else is being passed off as this one. */
        if (!streq(e->issuer, expected_issuer)) {
                r = parse_fail(error_message, -EBADMSG,
                               "discovery: issuer in the document does not match the configured issuer");
                goto finish;
        }

        if ((r = get_endpoint(o, "authorization_endpoint", true, &e->authorization_endpoint, error_message)) < 0 ||
            (r = get_endpoint(o, "token_endpoint", true, &e->token_endpoint, error_message)) < 0 ||
            (r = get_endpoint(o, "device_authorization_endpoint", false,
                              &e->device_authorization_endpoint, error_message)) < 0 ||
            (r = get_endpoint(o, "revocation_endpoint", false, &e->revocation_endpoint, error_message)) < 0 ||
            (r = get_endpoint(o, "introspection_endpoint", false, &e->introspection_endpoint, error_message)) < 0 ||
            (r = get_endpoint(o, "userinfo_endpoint", false, &e->userinfo_endpoint, error_message)) < 0)
                goto finish;

        r = parse_s256(o, &e->pkce_s256, error_message);
        if (r < 0)
                goto finish;

        *ret = TAKE_PTR(e);
        r = 0;
finish:
        json_object_put(o);
        return r;
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

/* ---- One fetch ---- */

struct discovery_fetch {
        http_fetch *fetch;
        char *issuer;
        discovery_fetch_callback_t callback;
        void *userdata;
};

discovery_fetch *discovery_fetch_free(discovery_fetch *d) {
        if (!d)
                return NULL;
        http_fetch_free(d->fetch);
        free(d->issuer);
        free(d);
        return NULL;
}

static void on_discovery_fetched(http_fetch *f, int error, const char *message,
                                 const http_response *resp, void *userdata) {
        discovery_fetch *d = userdata;
        _cleanup_(freep) char *parse_message = NULL;
        oidc_endpoints *e = NULL;
        int r = error;

        if (r >= 0) {
                if (resp->status == 200) {
                        r = oidc_discovery_parse(resp->body, resp->body_size, d->issuer, &e,
                                                 &parse_message);
                        message = parse_message ?: "discovery: cannot parse document";
                } else if (resp->status == 404) {
                        r = -ENOENT;
                        message = "discovery: no OpenID configuration at the issuer (HTTP 404)";
                } else if (resp->status == 429) {
                        r = -EBUSY;
                        message = "discovery: rate limited (HTTP 429)";
                } else if (resp->status >= 500) {
                        r = -EIO;
                        message = "discovery: server error (HTTP 5xx)";
                } else {
                        r = -EBADMSG;
                        message = "discovery: unexpected HTTP status";
                }
        }

        d->fetch = http_fetch_free(d->fetch);
        /* May free d. */
        d->callback(d, r < 0 ? r : 0, r < 0 ? message : NULL, r < 0 ? NULL : e, d->userdata);
}

int discovery_fetch_start(curl_glue *g, const char *issuer,
                          discovery_fetch_callback_t callback, void *userdata,
                          discovery_fetch **ret) {
        _cleanup_(discovery_fetch_freep) discovery_fetch *d = NULL;
        _cleanup_(freep) char *url = NULL;
        http_request req;
        int r;

        if (!g || isempty(issuer) || !callback || !ret)
                return -EINVAL;

        r = oidc_discovery_url(issuer, &url);
        if (r < 0)
                return r;

        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->callback = callback;
        d->userdata = userdata;
        d->issuer = strdup(issuer);
        if (!d->issuer)
                return -ENOMEM;

        req = (http_request) {
                .method = HTTP_METHOD_GET,
                .url = url,
                .max_body = DISCOVERY_MAX_BODY,
        };
        r = http_fetch_start(g, &req, on_discovery_fetched, d, &d->fetch);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(d);
        return 0;
}

/* ---- Cache ---- */

typedef struct discovery_entry discovery_entry;

struct discovery_waiter {
        discovery_entry *entry;
        discovery_waiter **list;        /* the list we are on, NULL when none */
        discovery_waiter *prev, *next;
        oidc_endpoints overrides;       /* only the four *_endpoint fields */
        discovery_waiter_callback_t callback;
        void *userdata;
};

struct discovery_entry {
        discovery_cache *cache;
        char *issuer;
        oidc_endpoints *result;
        discovery_fetch *fetch;
        discovery_waiter *waiters;      /* waiting for fetch */
        discovery_waiter *completing;   /* being called back right now */
        discovery_entry *next;
};

struct discovery_cache {
        curl_glue *glue;
        discovery_entry *entries;
};

static void waiter_unlink(discovery_waiter *w) {
        if (!w->list)
                return;
        if (w->next)
                w->next->prev = w->prev;
        if (w->prev)
                w->prev->next = w->next;
        else
                *w->list = w->next;
        w->prev = w->next = NULL;
        w->list = NULL;
}

static void waiter_link(discovery_waiter **list, discovery_waiter *w) {
        w->prev = NULL;
        w->next = *list;
        if (*list)
                (*list)->prev = w;
        *list = w;
        w->list = list;
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
        while (en->waiters)
                waiter_unlink(en->waiters);
        while (en->completing)
                waiter_unlink(en->completing);
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
        while (c->entries) {
                discovery_entry *en = c->entries;

                c->entries = en->next;
                entry_free(en);
        }
        free(c);
        return NULL;
}

static discovery_entry *cache_find(discovery_cache *c, const char *issuer) {
        for (discovery_entry *en = c->entries; en; en = en->next)
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
        en->completing = en->waiters;
        en->waiters = NULL;
        for (discovery_waiter *w = en->completing; w; w = w->next)
                w->list = &en->completing;

        while (en->completing) {
                discovery_waiter *w = en->completing;
                oidc_endpoints *e = NULL;
                int r = error;

                waiter_unlink(w);
                w->entry = NULL;
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
                en = calloc(1, sizeof *en);
                if (!en)
                        return -ENOMEM;
                en->cache = c;
                en->issuer = strdup(a->issuer);
                if (!en->issuer) {
                        free(en);
                        return -ENOMEM;
                }
                en->next = c->entries;
                c->entries = en;
        }

        if (!en->fetch) {
                r = discovery_fetch_start(c->glue, en->issuer, on_entry_fetched, en, &en->fetch);
                if (r < 0)
                        return r;
        }

        w->entry = en;
        waiter_link(&en->waiters, w);
        *ret_waiter = TAKE_PTR(w);
        return 0;
}

void discovery_cache_invalidate_all(discovery_cache *c) {
        if (!c)
                return;
        for (discovery_entry *en = c->entries; en; en = en->next)
                en->result = oidc_endpoints_free(en->result);
}
