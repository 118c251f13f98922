/* SPDX-License-Identifier: MIT */
#pragma once

/* The client side of RFC 7636 (PKCE, S256 only) plus the `state` value of
 * the authorization request, and the builder of the authorization URL that
 * carries both. Library-style: never logs. */

#include "util/util.h"

/* 32 random bytes in unpadded base64url are 43 characters (RFC 7636 §4.1). */
#define PKCE_VALUE_LEN 43

/* Limits on what authorize_url_build() accepts: far above any real value,
 * low enough that the URL stays usable in a browser's address bar. */
#define AUTHORIZE_ENDPOINT_MAX 2048
#define AUTHORIZE_CLIENT_ID_MAX 256
#define AUTHORIZE_REDIRECT_URI_MAX 512
#define AUTHORIZE_SCOPE_MAX 1024
#define AUTHORIZE_STATE_MAX 128
#define AUTHORIZE_CHALLENGE_MAX 128

typedef struct pkce pkce;

/* Fresh code_verifier, its S256 code_challenge and a fresh state, all in
 * sodium_malloc memory. */
int pkce_new(pkce **ret);
pkce *pkce_free(pkce *p);              /* wipes; NULL-safe, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(pkce *, pkce_free);

const char *pkce_verifier(const pkce *p);   /* secret: only for the token request */
const char *pkce_challenge(const pkce *p);
const char *pkce_state(const pkce *p);

/* BASE64URL(SHA256(ASCII(verifier))) without padding; ret must have room for
 * PKCE_VALUE_LEN + 1 bytes. -EINVAL for a verifier that RFC 7636 §4.1
 * forbids (length outside 43..128 or a character outside the unreserved set). */
int pkce_challenge_from_verifier(const char *verifier, char ret[static PKCE_VALUE_LEN + 1]);

/* endpoint + '?' (or '&' when the endpoint already has a query) +
 * response_type=code&client_id=..&redirect_uri=..&scope=..&state=..
 * &code_challenge=..&code_challenge_method=S256, each value percent-encoded
 * keeping only RFC 3986 unreserved characters. -EINVAL for a missing or
 * over-long argument or an endpoint with a fragment, whitespace or control
 * characters. ret is plain malloc memory: the URL goes to the browser. */
int authorize_url_build(
                const char *endpoint,
                const char *client_id,
                const char *redirect_uri,
                const char *scope,
                const char *state,
                const char *challenge,
                char **ret);
