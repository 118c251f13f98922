/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <strings.h>

#include "conf/conf.h"
#include "idp/oauth-parse.h"
#include "idp/oauth-response.h"
#include "util/json-reader.h"
#include "util/secret.h"

#define TOKEN_TYPE_MAX ((size_t) 64)

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
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_token_freep) oauth_token *t = NULL;
        _cleanup_(freep) char *token_type = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = oauth_response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        t = calloc(1, sizeof *t);
        if (!t)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = oauth_get_field(o, what, "access_token", OAUTH_TOKEN_MAX, true, true,
                            CHARSET_VSCHAR_NOSPACE, &t->access_token, resp, e);
        if (r < 0)
                return r;
        r = oauth_get_field(o, what, "token_type", TOKEN_TYPE_MAX, false, true,
                            CHARSET_VSCHAR_NOSPACE, &token_type, resp, e);
        if (r < 0)
                return r;
        if (strcasecmp(token_type, "Bearer") != 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: token_type is not Bearer", what);

        r = oauth_get_uint_field(o, what, "expires_in", OAUTH_EXPIRES_IN_MAX, false,
                                 &t->expires_in, resp, e);
        if (r < 0)
                return r;
        t->expires_in_known = r > 0;
        if (!t->expires_in_known)
                t->expires_in = OAUTH_EXPIRES_IN_DEFAULT;

        r = oauth_get_field(o, what, "refresh_token", OAUTH_TOKEN_MAX, true, false,
                            CHARSET_VSCHAR_NOSPACE, &t->refresh_token, resp, e);
        if (r < 0)
                return r;

        /* An empty scope is a legitimate (if useless) grant, so this one
         * is not read through oauth_get_field(). */
        r = json_reader_get_string(o, "scope", OAUTH_SCOPE_MAX, false, &t->scope);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");
        if (r < 0 || (r > 0 && !oauth_string_in_charset(t->scope, CHARSET_SCOPE)))
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
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_device_auth_freep) oauth_device_auth *d = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = oauth_response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        d = calloc(1, sizeof *d);
        if (!d)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = oauth_get_field(o, what, "device_code", OAUTH_DEVICE_CODE_MAX, true, true,
                            CHARSET_VSCHAR_NOSPACE, &d->device_code, resp, e);
        if (r < 0)
                return r;
        r = oauth_get_field(o, what, "user_code", OAUTH_USER_CODE_MAX, false, true,
                            CHARSET_VSCHAR_NOSPACE, &d->user_code, resp, e);
        if (r < 0)
                return r;
        r = oauth_get_field(o, what, "verification_uri", OAUTH_URI_MAX, false, true,
                            CHARSET_VSCHAR_NOSPACE, &d->verification_uri, resp, e);
        if (r < 0)
                return r;
        if (!url_is_acceptable(d->verification_uri))
                return oauth_fail(e, -EBADMSG, resp, "%s: verification_uri is not an acceptable URL", what);
        r = oauth_get_field(o, what, "verification_uri_complete", OAUTH_URI_MAX, false, false,
                            CHARSET_VSCHAR_NOSPACE, &d->verification_uri_complete, resp, e);
        if (r < 0)
                return r;
        if (r > 0 && !url_is_acceptable(d->verification_uri_complete))
                return oauth_fail(e, -EBADMSG, resp,
                                  "%s: verification_uri_complete is not an acceptable URL", what);

        r = oauth_get_uint_field(o, what, "expires_in", OAUTH_DEVICE_EXPIRES_IN_MAX, true,
                                 &d->expires_in, resp, e);
        if (r < 0)
                return r;
        if (d->expires_in == 0)
                return oauth_fail(e, -EBADMSG, resp, "%s: expires_in is 0", what);

        r = oauth_get_uint_field(o, what, "interval", OAUTH_DEVICE_INTERVAL_MAX, false,
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
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        _cleanup_(oauth_userinfo_freep) oauth_userinfo *u = NULL;
        json_object *tenants;
        size_t n;
        int r;

        if (!ret)
                return -EINVAL;
        r = oauth_response_json(resp, what, &o, e);
        if (r < 0)
                return r;

        u = calloc(1, sizeof *u);
        if (!u)
                return oauth_fail(e, -ENOMEM, resp, "out of memory");

        r = oauth_get_field(o, what, "sub", USERINFO_SUB_MAX, false, true, CHARSET_TEXT, &u->sub, resp, e);
        if (r < 0)
                return r;
        r = oauth_get_field(o, what, "name", USERINFO_NAME_MAX, false, false, CHARSET_TEXT,
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
                r = oauth_get_field(t, what, "id", USERINFO_TENANT_ID_MAX, false, true,
                                    CHARSET_UNRESERVED, &ut->id, resp, e);
                if (r < 0)
                        return r;
                u->n_tenants++;
                r = oauth_get_field(t, what, "name", USERINFO_NAME_MAX, false, false, CHARSET_TEXT,
                                    &ut->name, resp, e);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(u);
        return 0;
}

/* ---- Revocation (RFC 7009 §2.2) ---- */

int oauth_parse_revocation_response(const http_response *resp, oauth_error *e) {
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        int r;

        if (resp && resp->status >= 200 && resp->status <= 299)
                return 0;
        r = oauth_response_json(resp, "revocation response", &o, e);
        if (r < 0)
                return r;
        return oauth_fail(e, -EBADMSG, resp, "revocation response: unexpected HTTP status %ld",
                          resp->status);
}
