/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "idp/oauth-form.h"
#include "util/secret.h"

/* No real limit: the parts are bounded by what the caller holds. */
#define FORM_MAX (SIZE_MAX / 2)

/* ---- Form encoding ---- */

static int urlencoded_size(const char *s, size_t *ret) {
        size_t n = 0, l = strlen(s);

        if (l > SIZE_MAX / 3 - 1)
                return -ENOMEM;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                n += (is_unreserved(*p) || *p == ' ') ? 1 : 3;
        *ret = n;
        return 0;
}

static char *urlencode_into(char *dst, const char *s) {
        static const char hex[] = "0123456789ABCDEF";

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (is_unreserved(*p))
                        *dst++ = (char) *p;
                else if (*p == ' ')
                        *dst++ = '+';
                else {
                        *dst++ = '%';
                        *dst++ = hex[*p >> 4];
                        *dst++ = hex[*p & 15];
                }
        }
        *dst = '\0';
        return dst;
}

int oauth_form_urlencode(const char *s, char **ret) {
        size_t n;
        char *p;
        int r;

        if (!s || !ret)
                return -EINVAL;
        r = urlencoded_size(s, &n);
        if (r < 0)
                return r;
        p = secret_alloc(n + 1);
        if (!p)
                return -ENOMEM;
        urlencode_into(p, s);
        *ret = p;
        return 0;
}

int oauth_form_add(oauth_form *f, const char *name, const char *value) {
        size_t nn, nv, n;
        char *p;
        int r;

        if (!f || isempty(name) || !value)
                return -EINVAL;
        r = urlencoded_size(name, &nn);
        if (r < 0)
                return r;
        r = urlencoded_size(value, &nv);
        if (r < 0)
                return r;
        /* '&' + name + '=' + value, each bounded by SIZE_MAX/3. */
        if (__builtin_add_overflow(nn, nv, &n) || __builtin_add_overflow(n, 2, &n))
                return -ENOMEM;

        /* A zero form is empty; its buffer learns it is secret here. */
        if (!f->buf.data)
                growbuf_init(&f->buf, FORM_MAX, true);
        r = growbuf_reserve(&f->buf, n);
        if (r < 0)
                return -ENOMEM;         /* -E2BIG: no body could be that long */

        /* Encoded straight into the reserved room: no unwiped copy. */
        p = f->buf.data + f->buf.len;
        if (f->buf.len > 0)
                *p++ = '&';
        p = urlencode_into(p, name);
        *p++ = '=';
        p = urlencode_into(p, value);
        f->buf.len = (size_t) (p - f->buf.data);
        return 0;
}

void oauth_form_done(oauth_form *f) {
        if (!f)
                return;
        growbuf_done(&f->buf);
        *f = (oauth_form) {};
}

int oauth_basic_credentials(const char *client_id, const char *client_secret, char **ret) {
        _cleanup_(secret_freep) char *id = NULL, *secret = NULL, *joined = NULL;
        size_t lid, ls, lj, lb;
        char *b64;
        int r;

        if (isempty(client_id) || !client_secret || !ret)
                return -EINVAL;

        r = oauth_form_urlencode(client_id, &id);
        if (r < 0)
                return r;
        r = oauth_form_urlencode(client_secret, &secret);
        if (r < 0)
                return r;

        lid = strlen(id);
        ls = strlen(secret);
        if (lid > SIZE_MAX / 4 || ls > SIZE_MAX / 4)
                return -ENOMEM;
        lj = lid + 1 + ls;
        joined = secret_alloc(lj + 1);
        if (!joined)
                return -ENOMEM;
        memcpy(joined, id, lid);
        joined[lid] = ':';
        memcpy(joined + lid + 1, secret, ls);

        lb = sodium_base64_ENCODED_LEN(lj, sodium_base64_VARIANT_ORIGINAL);
        b64 = secret_alloc(lb);
        if (!b64)
                return -ENOMEM;
        sodium_bin2base64(b64, lb, (const unsigned char *) joined, lj, sodium_base64_VARIANT_ORIGINAL);
        *ret = b64;
        return 0;
}

int oauth_client_auth(const conf_account *a, oauth_form *form, char **ret_basic) {
        char *basic = NULL;
        int r;

        if (!a || isempty(a->client_id) || !form || !ret_basic)
                return -EINVAL;

        switch (a->client_auth) {
        case CLIENT_AUTH_BASIC:
                if (a->client_secret) {
                        r = oauth_basic_credentials(a->client_id, a->client_secret, &basic);
                        if (r < 0)
                                return r;
                        *ret_basic = basic;
                        return 0;
                }
                break;          /* a public client identifies itself in the form */
        case CLIENT_AUTH_POST:
                break;
        case _CLIENT_AUTH_MAX:
                return -EINVAL;
        }

        r = oauth_form_add(form, "client_id", a->client_id);
        if (r < 0)
                return r;
        if (a->client_secret) {
                r = oauth_form_add(form, "client_secret", a->client_secret);
                if (r < 0)
                        return r;
        }
        *ret_basic = NULL;
        return 0;
}
