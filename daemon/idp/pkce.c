/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "idp/pkce.h"
#include "util/secret.h"

#define PKCE_RANDOM_BYTES 32
#define PKCE_VERIFIER_MIN 43
#define PKCE_VERIFIER_MAX 128

/* Kept whole in one sodium_malloc block, so the verifier is wiped with it. */
struct pkce {
        char verifier[PKCE_VALUE_LEN + 1];
        char challenge[PKCE_VALUE_LEN + 1];
        char state[PKCE_VALUE_LEN + 1];
};

static void random_base64url(char out[static PKCE_VALUE_LEN + 1]) {
        unsigned char raw[PKCE_RANDOM_BYTES];

        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(out, PKCE_VALUE_LEN + 1, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof raw);
}

int pkce_challenge_from_verifier(const char *verifier, char ret[static PKCE_VALUE_LEN + 1]) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        size_t n;

        if (!verifier)
                return -EINVAL;
        n = strnlen(verifier, PKCE_VERIFIER_MAX + 1);
        if (n < PKCE_VERIFIER_MIN || n > PKCE_VERIFIER_MAX)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!is_unreserved((unsigned char) verifier[i]))
                        return -EINVAL;

        crypto_hash_sha256(digest, (const unsigned char *) verifier, n);
        /* A 32-byte digest is exactly PKCE_VALUE_LEN characters unpadded. */
        sodium_bin2base64(ret, PKCE_VALUE_LEN + 1, digest, sizeof digest,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        return 0;
}

int pkce_new(pkce **ret) {
        pkce *p;
        int r;

        if (!ret)
                return -EINVAL;

        p = secret_alloc(sizeof *p);
        if (!p)
                return -ENOMEM;

        random_base64url(p->verifier);
        random_base64url(p->state);
        r = pkce_challenge_from_verifier(p->verifier, p->challenge);
        if (r < 0) {
                secret_free(p);
                return r;
        }

        *ret = p;
        return 0;
}

pkce *pkce_free(pkce *p) {
        return secret_free(p);
}

const char *pkce_verifier(const pkce *p) {
        return p ? p->verifier : NULL;
}

const char *pkce_challenge(const pkce *p) {
        return p ? p->challenge : NULL;
}

const char *pkce_state(const pkce *p) {
        return p ? p->state : NULL;
}

static int check_arg(const char *s, size_t max) {
        size_t n;

        if (isempty(s))
                return -EINVAL;
        n = strnlen(s, max + 1);
        if (n > max)
                return -EINVAL;
        return 0;
}

static int append_param(FILE *f, const char *key, const char *value, bool *first) {
        if (!*first && fputc('&', f) == EOF)
                return -ENOMEM;
        *first = false;

        if (fputs(key, f) == EOF || fputc('=', f) == EOF)
                return -ENOMEM;
        for (const char *p = value; *p; p++) {
                int r;

                if (is_unreserved((unsigned char) *p))
                        r = fputc(*p, f) == EOF ? -1 : 0;
                else
                        r = fprintf(f, "%%%02X", (unsigned) (unsigned char) *p) < 0 ? -1 : 0;
                if (r < 0)
                        return -ENOMEM;
        }
        return 0;
}

int authorize_url_build(
                const char *endpoint,
                const char *client_id,
                const char *redirect_uri,
                const char *scope,
                const char *state,
                const char *challenge,
                char **ret) {

        _cleanup_(freep) char *buf = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size = 0;
        const char *q;
        bool first = true;
        int r;

        if (!ret)
                return -EINVAL;
        if (check_arg(endpoint, AUTHORIZE_ENDPOINT_MAX) < 0 ||
            check_arg(client_id, AUTHORIZE_CLIENT_ID_MAX) < 0 ||
            check_arg(redirect_uri, AUTHORIZE_REDIRECT_URI_MAX) < 0 ||
            check_arg(scope, AUTHORIZE_SCOPE_MAX) < 0 ||
            check_arg(state, AUTHORIZE_STATE_MAX) < 0 ||
            check_arg(challenge, AUTHORIZE_CHALLENGE_MAX) < 0)
                return -EINVAL;

        /* RFC 6749 §3.1: the endpoint URI must not include a fragment; and
         * it is copied verbatim, so it must already be a clean URI. */
        for (const char *p = endpoint; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f || *p == '#')
                        return -EINVAL;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        if (fputs(endpoint, f) == EOF)
                return -ENOMEM;
        q = strchr(endpoint, '?');
        if (!q) {
                if (fputc('?', f) == EOF)
                        return -ENOMEM;
        } else if (q[1] != '\0' && endpoint[strlen(endpoint) - 1] != '&') {
                if (fputc('&', f) == EOF)
                        return -ENOMEM;
        }

        r = append_param(f, "response_type", "code", &first);
        if (r >= 0)
                r = append_param(f, "client_id", client_id, &first);
        if (r >= 0)
                r = append_param(f, "redirect_uri", redirect_uri, &first);
        if (r >= 0)
                r = append_param(f, "scope", scope, &first);
        if (r >= 0)
                r = append_param(f, "state", state, &first);
        if (r >= 0)
                r = append_param(f, "code_challenge", challenge, &first);
        if (r >= 0)
                r = append_param(f, "code_challenge_method", "S256", &first);
        if (r < 0)
                return r;

        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        *ret = TAKE_PTR(buf);
        return 0;
}
