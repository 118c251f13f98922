/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "idp/oauth-response.h"
#include "util/json-reader.h"
#include "util/secret.h"

/* The nesting limit for a peer's answer. */
#define OAUTH_JSON_DEPTH 16

static bool char_ok(unsigned char c, oauth_charset cs) {
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

bool oauth_string_in_charset(const char *s, oauth_charset cs) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (!char_ok(*p, cs))
                        return false;
        return true;
}

int oauth_get_field(json_object *o, const char *what, const char *key, size_t max,
                    bool secret, bool required, oauth_charset cs, char **ret,
                    const http_response *resp, oauth_error *e) {
        char *s = NULL;
        int r;

        r = json_reader_get_string(o, key, max, secret, &s);
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
        if (*s == '\0' || !oauth_string_in_charset(s, cs)) {
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

int oauth_get_uint_field(json_object *o, const char *what, const char *key, uint64_t max,
                         bool required, uint64_t *ret, const http_response *resp, oauth_error *e) {
        int r;

        r = json_reader_get_uint(o, key, max, ret);
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

        r = json_reader_get_string(o, "error", OAUTH_ERROR_CODE_MAX, false, &code);
        if (r == -ENOMEM)
                return oauth_fail(e, r, resp, "out of memory");
        if (r <= 0 || *code == '\0' || !oauth_string_in_charset(code, CHARSET_NQSCHAR))
                return oauth_fail(e, -EBADMSG, resp, "%s: malformed OAuth error response (HTTP %ld)",
                                  what, resp->status);

        /* The description is only ever shown: keep what is printable and
         * cut what is long rather than lose the error code over it. */
        r = json_reader_get_string(o, "error_description", SIZE_MAX, false, &desc);
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
        while (b && json_reader_is_space(*b))
                b++;
        return b && *b == '<';
}

int oauth_response_json(const http_response *resp, const char *what, json_object **ret,
                        oauth_error *e) {
        _cleanup_(json_reader_wipe_putp) json_object *o = NULL;
        json_object *v;
        int r;

        if (!resp || !resp->body)
                return oauth_fail(e, -EINVAL, resp, "%s: no response", what);

        r = json_reader_parse_object(resp->body, resp->body_size, OAUTH_JSON_DEPTH, &o);
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
