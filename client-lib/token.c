/* SPDX-License-Identifier: MIT */

/* tessera_get_token() and the token object. Every buffer that held the
 * token is wiped before it is freed. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/tessera.h"

#include "client.h"
#include "json-reader.h"
#include "wipe.h"

struct tessera_token {
        char *value;
        size_t value_len;
        int64_t expires_at;
        char *tenant;
        char *type;
        char *scope;
};

static int dup_checked(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : TESSERA_E_NOMEM;
}

/* Error body: {"error":CODE,...}; anything unparsable falls back to the status. */
static int error_from_body(int status, char *body, size_t len) {
        jr_doc *d = NULL;
        int r;

        if (jr_parse(body, len, &d) < 0)
                return tessera_error_from_http(status, NULL);
        r = tessera_error_from_http(status, jr_get_string(jr_root(d), "error"));
        jr_doc_free(d);
        return r;
}

static bool valid_token_chars(const char *s, size_t n) {
        /* RFC 6750 b64token plus anything printable: it goes into an HTTP
         * header, so no spaces or control characters. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7F)
                        return false;
        return n > 0;
}

static int token_from_body(char *body, size_t len, tessera_token **ret) {
        tessera_token *t = NULL;
        const jr_node *root, *n;
        jr_doc *d = NULL;
        int r;

        if (jr_parse(body, len, &d) < 0)
                return TESSERA_E_PROTOCOL;
        root = jr_root(d);

        n = jr_get(root, "access_token");
        r = TESSERA_E_PROTOCOL;
        if (!n || n->type != JR_STRING || !valid_token_chars(n->str, n->len))
                goto out;

        t = calloc(1, sizeof(*t));
        if (!t) {
                r = TESSERA_E_NOMEM;
                goto out;
        }
        t->value = malloc(n->len + 1);
        if (!t->value) {
                r = TESSERA_E_NOMEM;
                goto out;
        }
        memcpy(t->value, n->str, n->len + 1);
        t->value_len = n->len;

        r = TESSERA_E_PROTOCOL;
        if (!jr_get_int(root, "expires_at", &t->expires_at))
                goto out;

        n = jr_get(root, "tenant_id");
        if (n && n->type == JR_NUMBER) {
                /* Numeric ids are handed out as their decimal text. */
                t->tenant = strndup(n->str, n->len);
                if (!t->tenant) {
                        r = TESSERA_E_NOMEM;
                        goto out;
                }
        } else if ((r = dup_checked(n && n->type == JR_STRING ? n->str : NULL, &t->tenant)) < 0)
                goto out;

        const char *type = jr_get_string(root, "token_type");
        if ((r = dup_checked(type ? type : "Bearer", &t->type)) < 0)
                goto out;
        if ((r = dup_checked(jr_get_string(root, "scope"), &t->scope)) < 0)
                goto out;

        *ret = t;
        t = NULL;
        r = 0;
out:
        tessera_token_free(t);
        jr_doc_free(d);
        return r;
}

_public_ int tessera_get_token_timeout(tessera_client *c, const char *account,
                                       unsigned min_valid_s, unsigned timeout_ms,
                                       tessera_token **ret) {
        char path[128], *body = NULL;
        size_t len = 0;
        int status = 0, r;

        if (!c || !ret)
                return TESSERA_E_INVALID;
        if (!account)
                account = "default";
        if (!tessera_account_name_is_valid(account))
                return TESSERA_E_INVALID;

        if (min_valid_s > 0)
                snprintf(path, sizeof(path), "/v1/accounts/%s/token?min_valid=%u", account, min_valid_s);
        else
                snprintf(path, sizeof(path), "/v1/accounts/%s/token", account);

        r = client_daemon_request(c, "GET", path, NULL, timeout_ms, &status, &body, &len);
        if (r < 0)
                return r;

        if (status == 200)
                r = token_from_body(body, len, ret);
        else
                r = error_from_body(status, body, len);

        /* The JSON was decoded in place: the buffer still holds the token. */
        wipe_free(body, len);
        return r;
}

_public_ int tessera_get_token(tessera_client *c, const char *account,
                               unsigned min_valid_s, tessera_token **ret) {
        return tessera_get_token_timeout(c, account, min_valid_s, 0, ret);
}

_public_ const char *tessera_token_value(const tessera_token *t) {
        return t ? t->value : NULL;
}

_public_ int64_t tessera_token_expires_at(const tessera_token *t) {
        return t ? t->expires_at : 0;
}

_public_ const char *tessera_token_tenant(const tessera_token *t) {
        return t ? t->tenant : NULL;
}

_public_ const char *tessera_token_type(const tessera_token *t) {
        return t ? t->type : NULL;
}

_public_ const char *tessera_token_scope(const tessera_token *t) {
        return t ? t->scope : NULL;
}

_public_ tessera_token *tessera_token_free(tessera_token *t) {
        if (!t)
                return NULL;
        wipe_free(t->value, t->value_len);
        free(t->tenant);
        free(t->type);
        free(t->scope);
        wipe_free(t, sizeof(*t));
        return NULL;
}
