/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "idp/discovery-document.h"
#include "idp/http-fetch.h"
#include "util/json-reader.h"

#define WELL_KNOWN "/.well-known/openid-configuration"
#define ISSUER_MAX ((size_t) 2048)
/* A discovery document lists dozens of fields and some providers are
 * verbose, but nothing legitimate comes near this. */
#define DISCOVERY_MAX_BODY ((size_t) 256 * 1024)
/* The parser's nesting limit for a peer's document. */
#define DISCOVERY_JSON_DEPTH 16

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

        r = json_reader_get_string(o, key, ISSUER_MAX, false, &s);
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

        r = json_reader_parse_object(json, size, DISCOVERY_JSON_DEPTH, &o);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return parse_fail(error_message, -EBADMSG, "discovery: document is not a JSON object");

        e = calloc(1, sizeof *e);
        if (!e) {
                r = -ENOMEM;
                goto finish;
        }

        r = json_reader_get_string(o, "issuer", ISSUER_MAX, false, &e->issuer);
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
