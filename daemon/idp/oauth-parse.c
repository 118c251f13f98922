/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <strings.h>

#include "idp/oauth-internal.h"
#include "util/secret.h"

#define TOKEN_TYPE_MAX ((size_t) 64)

typedef enum charset {
        CHARSET_VSCHAR_NOSPACE,         /* %x21-7E: tokens, codes */
        CHARSET_NQSCHAR,                /* RFC 6749 error, error_description */
        CHARSET_SCOPE,                  /* NQCHAR plus space */
        CHARSET_UNRESERVED,             /* RFC 3986 unreserved: URL path segments */
        CHARSET_TEXT,                   /* any UTF-8 without control characters */
        _CHARSET_MAX,
} charset;

static bool char_ok(unsigned char c, charset cs) {
        switch (cs) {
        case CHARSET_VSCHAR_NOSPACE:
                return c >= 0x21 && c <= 0x7e;
        case CHARSET_NQSCHAR:
                return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
        case CHARSET_SCOPE:
                return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
        case CHARSET_UNRESERVED:
                return is_unreserved(c);
        case CHARSET_TEXT:
                return c >= 0x20 && c != 0x7f;
        case _CHARSET_MAX:
                return false;
        }
        return false;
}

static bool string_in_charset(const char *s, charset cs) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (!char_ok(*p, cs))
                        return false;
        return true;
}

/* Reads member key into *ret (replacing nothing on failure): checks
 * presence when required, non-emptiness and character set. */
static int get_field(json_object *o, const char *what, const char *key, size_t max,
                     bool secret, bool required, charset cs, char **ret,
                     const http_response *resp, oauth_error *e) {
        char *s = NULL;
        int r;

        r = oauth_json_get_string(o, key, max, secret, &s);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");
        if (r < 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: \"%s\" is not a string of at most %zu bytes",
                                  what, key, max);
        if (r == 0) {
                if (required)
                        return oauth_fail(e, -EBADMSG, resp, "%s: \"%s\" is missing", what, key);
                return 0;
        }
        if (*s == '\0' || !string_in_charset(s, cs)) {
                if (secret)
                        secret_free(s);
                else
                        free(s);
                return oauth_fail(e, -EBADMSG, resp, "%s: \"%s\" is empty or has invalid characters",
                                  what, key);
        }
        *ret = s;
        return 1;
}

static int get_uint_field(json_object *o, const char *what, const char *key, uint64_t max,
                          bool required, uint64_t *ret, const http_response *resp, oauth_error *e) {
        int r;

        r = oauth_json_get_uint(o, key, max, ret);
        if (r < 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: \"%s\" is not an integer between 0 and %" PRIu64,
                                  what, key, max);
        if (r == 0 && required)
                return oauth_fail(e, -EBADMSG, resp, "%s: \"%s\" is missing", what, key);
        return r;
}

static int parse_error_object(json_object *o, const char *what, const http_response *resp,
                              oauth_error *e) {
        _cleanup_(freep) char *code = NULL, *desc = NULL;
        int r;

        r = oauth_json_get_string(o, "error", OAUTH_ERROR_CODE_MAX, false, &code);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");
        if (r <= 0 || *code == '\0' || !string_in_charset(code, CHARSET_NQSCHAR))
                return oauth_fail(e, -EBADMSG, resp, "%s: malformed OAuth error response (HTTP %ld)",
                                  what, resp->status);

        /* The description is only ever shown: keep what is printable and
         * cut what is long rather than lose the error code over it. */
        r = oauth_json_get_string(o, "error_description", SIZE_MAX, false, &desc);
        if (r > 0) {
                if (strlen(desc) > OAUTH_ERROR_DESCRIPTION_MAX)
                        desc[OAUTH_ERROR_DESCRIPTION_MAX] = '\0';
                for (char *p = desc; *p; p++)
                        if (!char_ok((unsigned char) *p, CHARSET_NQSCHAR))
                                *p = '?';
        }

        if (!e)
                return -EACCES;
        if (desc)
                (void) oauth_fail(e, -EACCES, resp, "%s: %s: %s", what, code, desc);
        else
                (void) oauth_fail(e, -EACCES, resp, "%s: %s", what, code);
        e->code = TAKE_PTR(code);
        return -EACCES;
}

static bool looks_like_html(const http_response *resp) {
        const char *b = resp->body;

        if (resp->content_type && startswith(resp->content_type, "text/html"))
                return true;
        while (b && is_json_space(*b))
                b++;
        return b && *b == '<';
}

/* Classifies a response. Returns 0 with the parsed JSON object for a 2xx
 * JSON response; otherwise fills e (OAuth error, rate limit, server error,
 * rejected credentials, unexpected status, not JSON). */
static int response_json(const http_response *resp, const char *what, json_object **ret,
                         oauth_error *e) {
        _cleanup_(json_wipe_putp) json_object *o = NULL;
        json_object *v;
        int r;

        if (!resp || !resp->body)
                return oauth_fail(e, -EINVAL, resp, "%s: no response", what);

        r = oauth_json_parse(resp->body, resp->body_size, &o);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");

        if (o && json_object_object_get_ex(o, "error", &v) && v &&
            ((resp->status >= 200 && resp->status <= 299) ||
             (resp->status >= 400 && resp->status <= 499)))
                return parse_error_object(o, what, resp, e);

        if (resp->status == 429)
                return oauth_fail(e, -EBUSY, resp, "%s: rate limited (HTTP 429)", what);
        if (resp->status >= 500)
                return oauth_fail(e, -EIO, resp, "%s: server error (HTTP %ld)", what, resp->status);
        if (resp->status == 401 || resp->status == 403)
                return oauth_fail(e, -EACCES, resp, "%s: access denied (HTTP %ld)", what, resp->status);
        if (resp->status < 200 || resp->status > 299)
                return oauth_fail(e, -EBADMSG, resp, "%s: unexpected HTTP status %ld", what, resp->status);
        if (!o)
                return oauth_fail(e, -EBADMSG, resp, "%s: response is %s, not a JSON object",
                                  what, looks_like_html(resp) ? "an HTML page" : "malformed");

        *ret = TAKE_PTR(o);
        return 0;
}

/* ---- Token responses (RFC 6749 §5) ---- */

oauth_token *oauth_token_free(oauth_token *t) {
        if (!t)
                return NULL;
        secret_free(t->access_token);
        secret_free(t->refresh_token);
        free(t->scope);
        free(t);
        return NULL;
}

int oauth_parse_token_response(const http_response *resp, const char *default_scope,
                               oauth_token **ret, oauth_error *e) {
        static const char what[] = "token response";
        _cleanup_(json_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_token_freep) oauth_token *t = NULL;
        _cleanup_(freep) char *token_type = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        t = calloc(1, sizeof *t);
        if (!t)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = get_field(o, what, "access_token", OAUTH_TOKEN_MAX, true, true,
                      CHARSET_VSCHAR_NOSPACE, &t->access_token, resp, e);
        if (r < 0)
                return r;
        r = get_field(o, what, "token_type", TOKEN_TYPE_MAX, false, true,
                      CHARSET_VSCHAR_NOSPACE, &token_type, resp, e);
        if (r < 0)
                return r;
        if (strcasecmp(token_type, "Bearer") != 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: token_type is not Bearer", what);

        r = get_uint_field(o, what, "expires_in", OAUTH_EXPIRES_IN_MAX, false,
                           &t->expires_in, resp, e);
        if (r < 0)
                return r;
        t->expires_in_known = r > 0;
        if (!t->expires_in_known)
                t->expires_in = OAUTH_EXPIRES_IN_DEFAULT;

        r = get_field(o, what, "refresh_token", OAUTH_TOKEN_MAX, true, false,
                      CHARSET_VSCHAR_NOSPACE, &t->refresh_token, resp, e);
        if (r < 0)
                return r;

        /* An empty scope is a legitimate (if useless) grant, so this one
         * is not read through get_field(). */
        r = oauth_json_get_string(o, "scope", OAUTH_SCOPE_MAX, false, &t->scope);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");
        if (r < 0 || (r > 0 && !string_in_charset(t->scope, CHARSET_SCOPE)))
                return oauth_fail(e, -EBADMSG, resp, "%s: \"scope\" is malformed", what);
        if (r == 0 && default_scope) {
                t->scope = strdup(default_scope);
                if (!t->scope)
                        return oauth_fail(e, -ENOMEM, resp, "out of memory");
        }

        /* id_token and unknown members are ignored; all are wiped with o. */
        *ret = TAKE_PTR(t);
        return 0;
}

/* ---- Device authorization responses (RFC 8628 §3.2) ---- */

oauth_device_auth *oauth_device_auth_free(oauth_device_auth *d) {
        if (!d)
                return NULL;
        secret_free(d->device_code);
        free(d->user_code);
        free(d->verification_uri);
        free(d->verification_uri_complete);
        free(d);
        return NULL;
}

int oauth_parse_device_response(const http_response *resp, oauth_device_auth **ret,
                                oauth_error *e) {
        static const char what[] = "device authorization response";
        _cleanup_(json_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_device_auth_freep) oauth_device_auth *d = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        d = calloc(1, sizeof *d);
        if (!d)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = get_field(o, what, "device_code", OAUTH_DEVICE_CODE_MAX, true, true,
                      CHARSET_VSCHAR_NOSPACE, &d->device_code, resp, e);
        if (r < 0)
                return r;
        r = get_field(o, what, "user_code", OAUTH_USER_CODE_MAX, false, true,
                      CHARSET_VSCHAR_NOSPACE, &d->user_code, resp, e);
        if (r < 0)
                return r;
        r = get_field(o, what, "verification_uri", OAUTH_URI_MAX, false, true,
                      CHARSET_VSCHAR_NOSPACE, &d->verification_uri, resp, e);
        if (r < 0)
                return r;
        if (!url_is_acceptable(d->verification_uri))
                return oauth_fail(e, -EBADMSG, resp, "%s: verification_uri is not an acceptable URL", what);
        r = get_field(o, what, "verification_uri_complete", OAUTH_URI_MAX, false, false,
                      CHARSET_VSCHAR_NOSPACE, &d->verification_uri_complete, resp, e);
        if (r < 0)
                return r;
        if (r > 0 && !url_is_acceptable(d->verification_uri_complete))
                return oauth_fail(e, -EBADMSG, resp,
                                  "%s: verification_uri_complete is not an acceptable URL", what);

        r = get_uint_field(o, what, "expires_in", OAUTH_DEVICE_EXPIRES_IN_MAX, true,
                           &d->expires_in, resp, e);
        if (r < 0)
                return r;
        if (d->expires_in == 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: expires_in is 0", what);

        r = get_uint_field(o, what, "interval", OAUTH_DEVICE_INTERVAL_MAX, false,
                           &d->interval, resp, e);
        if (r < 0)
                return r;
        /* 0 would mean polling without pause: take it as "not given". */
        if (d->interval == 0)
                d->interval = OAUTH_DEVICE_INTERVAL_DEFAULT;

        *ret = TAKE_PTR(d);
        return 0;
}

/* ---- GipoNext userinfo ---- */

oauth_userinfo *oauth_userinfo_free(oauth_userinfo *u) {
        if (!u)
                return NULL;
        free(u->sub);
        free(u->name);
        for (size_t i = 0; i < u->n_tenants; i++) {
                free(u->tenants[i].id);
                free(u->tenants[i].name);
        }
        free(u->tenants);
        free(u);
        return NULL;
}

int oauth_parse_userinfo_response(const http_response *resp, oauth_userinfo **ret,
                                  oauth_error *e) {
        static const char what[] = "userinfo response";
        _cleanup_(json_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_userinfo_freep) oauth_userinfo *u = NULL;
        json_object *tenants;
        size_t n;
        int r;

        if (!ret)
                return -EINVAL;
        r = response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        u = calloc(1, sizeof *u);
        if (!u)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = get_field(o, what, "sub", USERINFO_SUB_MAX, false, true, CHARSET_TEXT, &u->sub, resp, e);
        if (r < 0)
                return r;
        r = get_field(o, what, "name", USERINFO_NAME_MAX, false, false, CHARSET_TEXT,
                      &u->name, resp, e);
        if (r < 0)
                return r;

        if (!json_object_object_get_ex(o, "tenants", &tenants) || !tenants) {
                *ret = TAKE_PTR(u);
                return 0;
        }
        if (!json_object_is_type(tenants, json_type_array))
                return oauth_fail(e, -EBADMSG, resp, "%s: \"tenants\" is not an array", what);
        n = json_object_array_length(tenants);
        if (n > USERINFO_TENANTS_MAX)
                return oauth_fail(e, -EBADMSG, resp, "%s: more than %zu tenants", what, USERINFO_TENANTS_MAX);
        if (n > 0) {
                u->tenants = calloc(n, sizeof *u->tenants);
                if (!u->tenants)
                        return oauth_fail(e, -ENOMEM, resp, "out of memory");
        }

        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(tenants, i);
                userinfo_tenant *ut = &u->tenants[i];

                if (!json_object_is_type(t, json_type_object))
                        return oauth_fail(e, -EBADMSG, resp, "%s: tenant %zu is not an object", what, i);
                /* The id goes into API paths (/v2/tenants/{id}/...): only
                 * characters that need no escaping there. */
                r = get_field(t, what, "id", USERINFO_TENANT_ID_MAX, false, true,
                              CHARSET_UNRESERVED, &ut->id, resp, e);
                if (r < 0)
                        return r;
                u->n_tenants++;
                r = get_field(t, what, "name", USERINFO_NAME_MAX, false, false, CHARSET_TEXT,
                              &ut->name, resp, e);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(u);
        return 0;
}

/* ---- Revocation (RFC 7009 §2.2) ---- */

int oauth_parse_revocation_response(const http_response *resp, oauth_error *e) {
        _cleanup_(json_wipe_putp) json_object *o = NULL;
        int r;

        if (resp && resp->status >= 200 && resp->status <= 299)
                return 0;
        r = response_json(resp, "revocation response", &o, e);
        if (r < 0)
                return r;
        return oauth_fail(e, -EBADMSG, resp, "revocation response: unexpected HTTP status %ld",
                          resp->status);
}
