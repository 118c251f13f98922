/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>

#include <sodium.h>

#include "oauth.h"
#include "secret.h"

#define JSON_MAX_DEPTH 16
#define TOKEN_TYPE_MAX ((size_t) 64)

/* ---- Errors ---- */

void oauth_error_done(oauth_error *e) {
        if (!e)
                return;
        free(e->code);
        free(e->description);
        *e = (oauth_error) {};
}

static const char * const error_code_table[_OAUTH_ERROR_CODE_MAX] = {
        [OAUTH_ERROR_INVALID_REQUEST] = "invalid_request",
        [OAUTH_ERROR_INVALID_CLIENT] = "invalid_client",
        [OAUTH_ERROR_INVALID_GRANT] = "invalid_grant",
        [OAUTH_ERROR_UNAUTHORIZED_CLIENT] = "unauthorized_client",
        [OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE] = "unsupported_grant_type",
        [OAUTH_ERROR_INVALID_SCOPE] = "invalid_scope",
        [OAUTH_ERROR_ACCESS_DENIED] = "access_denied",
        [OAUTH_ERROR_AUTHORIZATION_PENDING] = "authorization_pending",
        [OAUTH_ERROR_SLOW_DOWN] = "slow_down",
        [OAUTH_ERROR_EXPIRED_TOKEN] = "expired_token",
        [OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE] = "unsupported_token_type",
        [OAUTH_ERROR_TEMPORARILY_UNAVAILABLE] = "temporarily_unavailable",
        [OAUTH_ERROR_SERVER_ERROR] = "server_error",
};

oauth_error_code oauth_error_code_from_string(const char *s) {
        if (!s)
                return OAUTH_ERROR_NONE;
        for (size_t i = 0; i < ELEMENTSOF(error_code_table); i++)
                if (error_code_table[i] && streq(error_code_table[i], s))
                        return (oauth_error_code) i;
        return OAUTH_ERROR_OTHER;
}

bool oauth_error_is_transient(const oauth_error *e) {
        if (!e || e->error >= 0)
                return false;
        switch (e->error) {
        case -EACCES:
                switch (oauth_error_code_from_string(e->code)) {
                case OAUTH_ERROR_TEMPORARILY_UNAVAILABLE:
                case OAUTH_ERROR_SERVER_ERROR:
                        return true;
                case OAUTH_ERROR_NONE:
                case OAUTH_ERROR_OTHER:
                case OAUTH_ERROR_INVALID_REQUEST:
                case OAUTH_ERROR_INVALID_CLIENT:
                case OAUTH_ERROR_INVALID_GRANT:
                case OAUTH_ERROR_UNAUTHORIZED_CLIENT:
                case OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE:
                case OAUTH_ERROR_INVALID_SCOPE:
                case OAUTH_ERROR_ACCESS_DENIED:
                case OAUTH_ERROR_AUTHORIZATION_PENDING:
                case OAUTH_ERROR_SLOW_DOWN:
                case OAUTH_ERROR_EXPIRED_TOKEN:
                case OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE:
                case _OAUTH_ERROR_CODE_MAX:
                        return false;
                }
                return false;
        case -EBADMSG:
        case -EINVAL:
        case -ENOMEM:
        case -EOPNOTSUPP:
        case -EFBIG:
                return false;
        }
        /* -EBUSY, -EIO and transport failures. */
        return true;
}

_printf_(4, 5)
static int fail(oauth_error *e, int error, const http_response *resp, const char *fmt, ...) {
        va_list ap;

        if (!e)
                return error;
        e->error = error;
        if (resp) {
                e->http_status = resp->status;
                e->has_retry_after = resp->has_retry_after;
                e->retry_after_sec = resp->retry_after_sec;
        }
        free(e->description);
        va_start(ap, fmt);
        if (vasprintf(&e->description, fmt, ap) < 0)
                e->description = NULL;
        va_end(ap);
        return error;
}

/* ---- Form encoding ---- */

static bool is_unreserved(unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~';
}

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
        size_t nn, nv, need;
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
        /* size + '&' + name + '=' + value + NUL, each bounded by SIZE_MAX/3. */
        if (__builtin_add_overflow(f->size, nn, &need) ||
            __builtin_add_overflow(need, nv, &need) ||
            __builtin_add_overflow(need, 3, &need))
                return -ENOMEM;

        if (need > f->cap) {
                size_t cap = MAX(need, MAX(f->cap * 2, (size_t) 256));

                p = secret_alloc(cap);
                if (!p)
                        return -ENOMEM;
                if (f->data)
                        memcpy(p, f->data, f->size + 1);
                secret_free(f->data);
                f->data = p;
                f->cap = cap;
        }

        p = f->data + f->size;
        if (f->size > 0)
                *p++ = '&';
        p = urlencode_into(p, name);
        *p++ = '=';
        p = urlencode_into(p, value);
        f->size = (size_t) (p - f->data);
        return 0;
}

void oauth_form_done(oauth_form *f) {
        if (!f)
                return;
        secret_free(f->data);
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

/* ---- JSON ---- */

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int oauth_json_parse(const char *body, size_t size, json_object **ret) {
        struct json_tokener *tok;
        json_object *o;
        size_t end;
        bool ok;

        if (!body || !ret)
                return -EINVAL;
        if (size == 0 || size > INT_MAX)
                return -EBADMSG;

        tok = json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, body, (int) size);
        ok = o && json_tokener_get_error(tok) == json_tokener_success;
        end = json_tokener_get_parse_end(tok);

        /* The tokener assembles every string in its own buffer; that buffer
         * is plain heap, so wipe it before it is freed. (Fields of struct
         * json_tokener are public but marked "do not touch"; no other API
         * reaches this buffer.) Not covered: copies left behind when json-c
         * grew that buffer with realloc(), and partial objects of a document
         * that failed to parse. */
        if (tok->pb && tok->pb->buf && tok->pb->size > 0)
                sodium_memzero(tok->pb->buf, (size_t) tok->pb->size);
        json_tokener_free(tok);

        if (ok)
                for (; end < size; end++)
                        if (!is_json_space(body[end])) {
                                ok = false;
                                break;
                        }
        if (!ok || !json_object_is_type(o, json_type_object)) {
                oauth_json_wipe_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

static void json_wipe(json_object *o) {
        size_t n;

        if (!o)
                return;
        switch (json_object_get_type(o)) {
        case json_type_string: {
                int l = json_object_get_string_len(o);

                /* json-c hands out const, but the bytes are its private
                 * heap copy of the value: wipe them before release. */
                if (l > 0)
                        sodium_memzero((char *) json_object_get_string(o), (size_t) l);
                break;
        }
        case json_type_object: {
                json_object_object_foreach(o, key, value) {
                        (void) key;
                        json_wipe(value);
                }
                break;
        }
        case json_type_array:
                n = json_object_array_length(o);
                for (size_t i = 0; i < n; i++)
                        json_wipe(json_object_array_get_idx(o, i));
                break;
        case json_type_null:
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
                break;
        }
}

void oauth_json_wipe_put(json_object *o) {
        if (!o)
                return;
        json_wipe(o);
        json_object_put(o);
}

static void json_wipe_putp(json_object **o) {
        oauth_json_wipe_put(*o);
}

int oauth_json_get_string(json_object *o, const char *key, size_t max, bool secret, char **ret) {
        json_object *v;
        const char *s;
        char *copy;
        int l;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;               /* absent or JSON null */
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        l = json_object_get_string_len(v);
        if (!s || l < 0 || (size_t) l > max || strlen(s) != (size_t) l)
                return -EBADMSG;
        copy = secret ? secret_strndup(s, (size_t) l) : strndup(s, (size_t) l);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 1;
}

/* 0 when absent or null, 1 with a value in [0, max], -EBADMSG otherwise. */
static int json_get_uint(json_object *o, const char *key, uint64_t max, uint64_t *ret) {
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        errno = 0;
        i = json_object_get_int64(v);
        if (i < 0 || (uint64_t) i > max)
                return -EBADMSG;
        *ret = (uint64_t) i;
        return 1;
}

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
                return fail(e, r, resp, "out of memory");
        if (r < 0)
                return fail(e, -EBADMSG, resp, "%s: \"%s\" is not a string of at most %zu bytes",
                            what, key, max);
        if (r == 0) {
                if (required)
                        return fail(e, -EBADMSG, resp, "%s: \"%s\" is missing", what, key);
                return 0;
        }
        if (*s == '\0' || !string_in_charset(s, cs)) {
                if (secret)
                        secret_free(s);
                else
                        free(s);
                return fail(e, -EBADMSG, resp, "%s: \"%s\" is empty or has invalid characters",
                            what, key);
        }
        *ret = s;
        return 1;
}

static int get_uint_field(json_object *o, const char *what, const char *key, uint64_t max,
                          bool required, uint64_t *ret, const http_response *resp, oauth_error *e) {
        int r;

        r = json_get_uint(o, key, max, ret);
        if (r < 0)
                return fail(e, -EBADMSG, resp, "%s: \"%s\" is not an integer between 0 and %" PRIu64,
                            what, key, max);
        if (r == 0 && required)
                return fail(e, -EBADMSG, resp, "%s: \"%s\" is missing", what, key);
        return r;
}

static int parse_error_object(json_object *o, const char *what, const http_response *resp,
                              oauth_error *e) {
        _cleanup_(freep) char *code = NULL, *desc = NULL;
        int r;

        r = oauth_json_get_string(o, "error", OAUTH_ERROR_CODE_MAX, false, &code);
        if (r == -ENOMEM)
                return fail(e, r, resp, "out of memory");
        if (r <= 0 || *code == '\0' || !string_in_charset(code, CHARSET_NQSCHAR))
                return fail(e, -EBADMSG, resp, "%s: malformed OAuth error response (HTTP %ld)",
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
                (void) fail(e, -EACCES, resp, "%s: %s: %s", what, code, desc);
        else
                (void) fail(e, -EACCES, resp, "%s: %s", what, code);
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
                return fail(e, -EINVAL, resp, "%s: no response", what);

        r = oauth_json_parse(resp->body, resp->body_size, &o);
        if (r == -ENOMEM)
                return fail(e, r, resp, "out of memory");

        if (o && json_object_object_get_ex(o, "error", &v) && v &&
            ((resp->status >= 200 && resp->status <= 299) ||
             (resp->status >= 400 && resp->status <= 499)))
                return parse_error_object(o, what, resp, e);

        if (resp->status == 429)
                return fail(e, -EBUSY, resp, "%s: rate limited (HTTP 429)", what);
        if (resp->status >= 500)
                return fail(e, -EIO, resp, "%s: server error (HTTP %ld)", what, resp->status);
        if (resp->status == 401 || resp->status == 403)
                return fail(e, -EACCES, resp, "%s: access denied (HTTP %ld)", what, resp->status);
        if (resp->status < 200 || resp->status > 299)
                return fail(e, -EBADMSG, resp, "%s: unexpected HTTP status %ld", what, resp->status);
        if (!o)
                return fail(e, -EBADMSG, resp, "%s: response is %s, not a JSON object",
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
                return fail(e, -ENOMEM, resp, "out of memory");

        r = get_field(o, what, "access_token", OAUTH_TOKEN_MAX, true, true,
                      CHARSET_VSCHAR_NOSPACE, &t->access_token, resp, e);
        if (r < 0)
                return r;
        r = get_field(o, what, "token_type", TOKEN_TYPE_MAX, false, true,
                      CHARSET_VSCHAR_NOSPACE, &token_type, resp, e);
        if (r < 0)
                return r;
        if (strcasecmp(token_type, "Bearer") != 0)
                return fail(e, -EBADMSG, resp, "%s: token_type is not Bearer", what);

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
                return fail(e, r, resp, "out of memory");
        if (r < 0 || (r > 0 && !string_in_charset(t->scope, CHARSET_SCOPE)))
                return fail(e, -EBADMSG, resp, "%s: \"scope\" is malformed", what);
        if (r == 0 && default_scope) {
                t->scope = strdup(default_scope);
                if (!t->scope)
                        return fail(e, -ENOMEM, resp, "out of memory");
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
                return fail(e, -ENOMEM, resp, "out of memory");

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
                return fail(e, -EBADMSG, resp, "%s: verification_uri is not an acceptable URL", what);
        r = get_field(o, what, "verification_uri_complete", OAUTH_URI_MAX, false, false,
                      CHARSET_VSCHAR_NOSPACE, &d->verification_uri_complete, resp, e);
        if (r < 0)
                return r;
        if (r > 0 && !url_is_acceptable(d->verification_uri_complete))
                return fail(e, -EBADMSG, resp,
                            "%s: verification_uri_complete is not an acceptable URL", what);

        r = get_uint_field(o, what, "expires_in", OAUTH_DEVICE_EXPIRES_IN_MAX, true,
                           &d->expires_in, resp, e);
        if (r < 0)
                return r;
        if (d->expires_in == 0)
                return fail(e, -EBADMSG, resp, "%s: expires_in is 0", what);

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
                return fail(e, -ENOMEM, resp, "out of memory");

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
                return fail(e, -EBADMSG, resp, "%s: \"tenants\" is not an array", what);
        n = json_object_array_length(tenants);
        if (n > USERINFO_TENANTS_MAX)
                return fail(e, -EBADMSG, resp, "%s: more than %zu tenants", what, USERINFO_TENANTS_MAX);
        if (n > 0) {
                u->tenants = calloc(n, sizeof *u->tenants);
                if (!u->tenants)
                        return fail(e, -ENOMEM, resp, "out of memory");
        }

        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(tenants, i);
                userinfo_tenant *ut = &u->tenants[i];

                if (!json_object_is_type(t, json_type_object))
                        return fail(e, -EBADMSG, resp, "%s: tenant %zu is not an object", what, i);
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
        return fail(e, -EBADMSG, resp, "revocation response: unexpected HTTP status %ld",
                    resp->status);
}

/* ---- Asynchronous operations ---- */

typedef enum oauth_op_kind {
        OAUTH_OP_TOKEN,
        OAUTH_OP_DEVICE,
        OAUTH_OP_USERINFO,
        OAUTH_OP_REVOKE,
        _OAUTH_OP_KIND_MAX,
} oauth_op_kind;

struct oauth_op {
        oauth_op_kind kind;
        http_fetch *fetch;
        char *default_scope;
        union {
                oauth_token_callback_t token;
                oauth_device_callback_t device;
                oauth_userinfo_callback_t userinfo;
                oauth_done_callback_t done;
        } callback;
        void *userdata;
};

oauth_op *oauth_op_free(oauth_op *op) {
        if (!op)
                return NULL;
        http_fetch_free(op->fetch);
        free(op->default_scope);
        free(op);
        return NULL;
}

static void on_fetch_done(http_fetch *f, int error, const char *message,
                          const http_response *resp, void *userdata) {
        oauth_op *op = userdata;
        oauth_error e = {};
        oauth_token *token = NULL;
        oauth_device_auth *device = NULL;
        oauth_userinfo *userinfo = NULL;
        int r = error;

        if (r < 0) {
                e.error = r;
                e.description = strdup(message ?: "request failed");
        } else
                switch (op->kind) {
                case OAUTH_OP_TOKEN:
                        r = oauth_parse_token_response(resp, op->default_scope, &token, &e);
                        break;
                case OAUTH_OP_DEVICE:
                        r = oauth_parse_device_response(resp, &device, &e);
                        break;
                case OAUTH_OP_USERINFO:
                        r = oauth_parse_userinfo_response(resp, &userinfo, &e);
                        break;
                case OAUTH_OP_REVOKE:
                        r = oauth_parse_revocation_response(resp, &e);
                        break;
                case _OAUTH_OP_KIND_MAX:
                        r = fail(&e, -EINVAL, resp, "internal error");
                        break;
                }

        /* The response body held the tokens: wipe it now rather than when
         * the owner gets round to freeing the op. */
        op->fetch = http_fetch_free(op->fetch);

        /* The callback may free op: nothing of op is used after it. */
        switch (op->kind) {
        case OAUTH_OP_TOKEN:
                op->callback.token(op, r < 0 ? &e : NULL, token, op->userdata);
                break;
        case OAUTH_OP_DEVICE:
                op->callback.device(op, r < 0 ? &e : NULL, device, op->userdata);
                break;
        case OAUTH_OP_USERINFO:
                op->callback.userinfo(op, r < 0 ? &e : NULL, userinfo, op->userdata);
                break;
        case OAUTH_OP_REVOKE:
                op->callback.done(op, r < 0 ? &e : NULL, op->userdata);
                break;
        case _OAUTH_OP_KIND_MAX:
                break;
        }
        oauth_error_done(&e);
}

static int op_new(oauth_op_kind kind, void *userdata, oauth_op **ret) {
        oauth_op *op;

        op = calloc(1, sizeof *op);
        if (!op)
                return -ENOMEM;
        op->kind = kind;
        op->userdata = userdata;
        *ret = op;
        return 0;
}

static int op_start(oauth_op *op, curl_glue *g, const http_request *req) {
        return http_fetch_start(g, req, on_fetch_done, op, &op->fetch);
}

/* POSTs form to endpoint with the account's client authentication. */
static int op_start_post(oauth_op *op, curl_glue *g, const conf_account *a,
                         const char *endpoint, oauth_form *form) {
        _cleanup_(secret_freep) char *basic = NULL;
        http_request req;
        int r;

        r = oauth_client_auth(a, form, &basic);
        if (r < 0)
                return r;
        req = (http_request) {
                .method = HTTP_METHOD_POST,
                .url = endpoint,
                .form_body = form->data,
                .basic_credentials = basic,
        };
        return op_start(op, g, &req);
}

static int token_request(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                         oauth_form *form, const char *default_scope,
                         oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!e->token_endpoint)
                return -EINVAL;
        r = op_new(OAUTH_OP_TOKEN, userdata, &op);
        if (r < 0)
                return r;
        op->callback.token = callback;
        if (default_scope) {
                op->default_scope = strdup(default_scope);
                if (!op->default_scope)
                        return -ENOMEM;
        }
        r = op_start_post(op, g, a, e->token_endpoint, form);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_exchange_code(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                        const char *code, const char *redirect_uri, const char *code_verifier,
                        oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(code) || isempty(redirect_uri) || isempty(code_verifier) ||
            !callback || !ret)
                return -EINVAL;

        if ((r = oauth_form_add(&form, "grant_type", "authorization_code")) < 0 ||
            (r = oauth_form_add(&form, "code", code)) < 0 ||
            (r = oauth_form_add(&form, "redirect_uri", redirect_uri)) < 0 ||
            (r = oauth_form_add(&form, "code_verifier", code_verifier)) < 0)
                return r;
        return token_request(g, a, e, &form, a->scope, callback, userdata, ret);
}

int oauth_refresh(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                  const char *refresh_token, const char *granted_scope,
                  oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(refresh_token) || !callback || !ret)
                return -EINVAL;

        /* No scope parameter: the refreshed grant keeps the scope it had
         * (RFC 6749 §6). */
        if ((r = oauth_form_add(&form, "grant_type", "refresh_token")) < 0 ||
            (r = oauth_form_add(&form, "refresh_token", refresh_token)) < 0)
                return r;
        return token_request(g, a, e, &form, granted_scope ?: a->scope, callback, userdata, ret);
}

int oauth_device_poll(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                      const char *device_code,
                      oauth_token_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        int r;

        if (!g || !a || !e || isempty(device_code) || !callback || !ret)
                return -EINVAL;

        if ((r = oauth_form_add(&form, "grant_type",
                                "urn:ietf:params:oauth:grant-type:device_code")) < 0 ||
            (r = oauth_form_add(&form, "device_code", device_code)) < 0)
                return r;
        return token_request(g, a, e, &form, a->scope, callback, userdata, ret);
}

int oauth_device_authorize(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                           oauth_device_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!g || !a || !e || isempty(a->client_id) || !callback || !ret)
                return -EINVAL;
        if (!e->device_authorization_endpoint)
                return -EOPNOTSUPP;

        /* RFC 8628 §3.1 shows client_id in the body; with Basic
         * authentication it is sent in both places, which servers accept. */
        if (a->client_auth == CLIENT_AUTH_BASIC && a->client_secret) {
                r = oauth_form_add(&form, "client_id", a->client_id);
                if (r < 0)
                        return r;
        }
        if (a->scope) {
                r = oauth_form_add(&form, "scope", a->scope);
                if (r < 0)
                        return r;
        }

        r = op_new(OAUTH_OP_DEVICE, userdata, &op);
        if (r < 0)
                return r;
        op->callback.device = callback;
        r = op_start_post(op, g, a, e->device_authorization_endpoint, &form);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_revoke(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                 const char *token, const char *token_type_hint,
                 oauth_done_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_form_done) oauth_form form = {};
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        int r;

        if (!g || !a || !e || isempty(token) || !callback || !ret)
                return -EINVAL;
        if (!e->revocation_endpoint)
                return -EOPNOTSUPP;

        r = oauth_form_add(&form, "token", token);
        if (r < 0)
                return r;
        if (token_type_hint) {
                r = oauth_form_add(&form, "token_type_hint", token_type_hint);
                if (r < 0)
                        return r;
        }

        r = op_new(OAUTH_OP_REVOKE, userdata, &op);
        if (r < 0)
                return r;
        op->callback.done = callback;
        r = op_start_post(op, g, a, e->revocation_endpoint, &form);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}

int oauth_fetch_userinfo(curl_glue *g, const char *url, const char *access_token,
                   oauth_userinfo_callback_t callback, void *userdata, oauth_op **ret) {
        _cleanup_(oauth_op_freep) oauth_op *op = NULL;
        http_request req;
        int r;

        if (!g || isempty(url) || isempty(access_token) || !callback || !ret)
                return -EINVAL;

        r = op_new(OAUTH_OP_USERINFO, userdata, &op);
        if (r < 0)
                return r;
        op->callback.userinfo = callback;
        req = (http_request) {
                .method = HTTP_METHOD_GET,
                .url = url,
                .bearer_token = access_token,
        };
        r = op_start(op, g, &req);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(op);
        return 0;
}
