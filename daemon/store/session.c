/* SPDX-License-Identifier: MIT */
#include "util/secret.h"
#include "store/session.h"

session *session_new(void) {
        return calloc(1, sizeof(session));
}

static void tenant_done(session_tenant *t) {
        t->id = secret_free(t->id);
        t->name = secret_free(t->name);
}

session *session_free(session *s) {
        if (!s)
                return NULL;

        secret_free(s->access_token);
        secret_free(s->refresh_token);
        secret_free(s->scope);
        secret_free(s->sub);
        secret_free(s->user);
        secret_free(s->tenant_id);
        secret_free(s->tenant_name);
        for (size_t i = 0; i < s->n_tenants; i++)
                tenant_done(s->tenants + i);
        free(s->tenants);
        free(s);
        return NULL;
}

int session_set_string(char **field, const char *v) {
        char *n = NULL;

        if (!field)
                return -EINVAL;
        if (v) {
                if (strnlen(v, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX)
                        return -E2BIG;
                n = secret_strdup(v);
                if (!n)
                        return -ENOMEM;
        }
        secret_free(*field);
        *field = n;
        return 0;
}

int session_adopt_tenant(session *s, char **id, char **name) {
        session_tenant *t;

        if (s->n_tenants >= SESSION_TENANTS_MAX)
                return -E2BIG;

        t = reallocarray(s->tenants, s->n_tenants + 1, sizeof(session_tenant));
        if (!t)
                return -ENOMEM;
        s->tenants = t;
        s->tenants[s->n_tenants++] = (session_tenant) {
                .id = TAKE_PTR(*id),
                .name = TAKE_PTR(*name),
        };
        return 0;
}

int session_add_tenant(session *s, const char *id, const char *name) {
        _cleanup_(secret_freep) char *i = NULL, *n = NULL;
        int r;

        if (!s || !id)
                return -EINVAL;
        if (s->n_tenants >= SESSION_TENANTS_MAX)
                return -E2BIG;

        r = session_set_string(&i, id);
        if (r < 0)
                return r;
        r = session_set_string(&n, name);
        if (r < 0)
                return r;

        return session_adopt_tenant(s, &i, &n);
}

int session_dup(const session *s, session **ret) {
        _cleanup_(session_freep) session *d = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;

        d = session_new();
        if (!d)
                return -ENOMEM;

        d->expires_at = s->expires_at;
        d->refreshed_at = s->refreshed_at;
        d->logind_bound = s->logind_bound;

        struct {
                char **to;
                const char *from;
        } fields[] = {
                { &d->access_token,  s->access_token },
                { &d->refresh_token, s->refresh_token },
                { &d->scope,         s->scope },
                { &d->sub,           s->sub },
                { &d->user,          s->user },
                { &d->tenant_id,     s->tenant_id },
                { &d->tenant_name,   s->tenant_name },
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                r = session_set_string(fields[i].to, fields[i].from);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->n_tenants; i++) {
                r = session_add_tenant(d, s->tenants[i].id, s->tenants[i].name);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(d);
        return 0;
}

