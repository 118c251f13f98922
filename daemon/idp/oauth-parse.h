/* SPDX-License-Identifier: MIT */
#pragma once

/* Parsers of the identity provider's and the API's answers (RFC 6749 §5,
 * RFC 8628 §3.2, RFC 7009 §2.2, GipoNext's userinfo): pure, and fuzz
 * targets. Tokens and codes land in secret memory; the JSON tree they
 * came from is wiped before it is released. */

#include <stdbool.h>
#include <stdint.h>

#include "idp/http-fetch.h"
#include "idp/oauth-error.h"
#include "util/util.h"

/* Peer-controlled sizes. */
#define OAUTH_TOKEN_MAX ((size_t) 16 * 1024)            /* access and refresh tokens */
#define OAUTH_SCOPE_MAX ((size_t) 4096)
#define OAUTH_DEVICE_CODE_MAX ((size_t) 4096)
#define OAUTH_USER_CODE_MAX ((size_t) 64)
#define OAUTH_URI_MAX ((size_t) 2048)
#define OAUTH_EXPIRES_IN_MAX (UINT64_C(10) * 365 * 24 * 3600)  /* 10 years */
/* RFC 6749 lets a server omit expires_in. We then assume a short life: the
 * daemon cannot learn that a token expired early, while refreshing too
 * early only costs one request. */
#define OAUTH_EXPIRES_IN_DEFAULT UINT64_C(300)
#define OAUTH_DEVICE_INTERVAL_DEFAULT UINT64_C(5)       /* RFC 8628 §3.2 */
#define OAUTH_DEVICE_INTERVAL_MAX UINT64_C(3600)
#define OAUTH_DEVICE_EXPIRES_IN_MAX UINT64_C(86400)
#define USERINFO_SUB_MAX ((size_t) 255)
#define USERINFO_NAME_MAX ((size_t) 256)
#define USERINFO_TENANT_ID_MAX ((size_t) 128)
#define USERINFO_TENANTS_MAX ((size_t) 256)

/* On failure these return a negative errno (see oauth_error) and, when
 * error is not NULL, fill *error, which must be zero-initialised (the
 * caller then calls oauth_error_done()). An object with an "error" string
 * member is an OAuth error response whatever its 2xx/4xx status. */

typedef struct oauth_token {
        char *access_token;             /* secret */
        char *refresh_token;            /* secret; NULL when none was issued */
        /* Granted scope; when the response omits it, the default_scope the
         * parser was given (RFC 6749 §5.1). NULL if both are absent. */
        char *scope;
        uint64_t expires_in;            /* seconds */
        bool expires_in_known;          /* false: OAUTH_EXPIRES_IN_DEFAULT assumed */
} oauth_token;

oauth_token *oauth_token_free(oauth_token *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(oauth_token *, oauth_token_free);

int oauth_parse_token_response(const http_response *resp, const char *default_scope,
                               oauth_token **ret, oauth_error *error);

typedef struct oauth_device_auth {
        char *device_code;              /* secret */
        char *user_code;
        char *verification_uri;
        char *verification_uri_complete;        /* NULL when not given */
        uint64_t expires_in;            /* 1..OAUTH_DEVICE_EXPIRES_IN_MAX */
        uint64_t interval;              /* 1..OAUTH_DEVICE_INTERVAL_MAX; 5 when not given (or 0) */
} oauth_device_auth;

oauth_device_auth *oauth_device_auth_free(oauth_device_auth *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(oauth_device_auth *, oauth_device_auth_free);

int oauth_parse_device_response(const http_response *resp, oauth_device_auth **ret,
                                oauth_error *error);

typedef struct userinfo_tenant {
        char *id;                       /* RFC 3986 unreserved characters only: safe in a URL path */
        char *name;                     /* may be NULL */
} userinfo_tenant;

typedef struct oauth_userinfo {
        char *sub;
        char *name;                     /* may be NULL */
        userinfo_tenant *tenants;
        size_t n_tenants;
} oauth_userinfo;

oauth_userinfo *oauth_userinfo_free(oauth_userinfo *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(oauth_userinfo *, oauth_userinfo_free);

int oauth_parse_userinfo_response(const http_response *resp, oauth_userinfo **ret,
                                  oauth_error *error);

/* RFC 7009 §2.2: 200 is success (body ignored). */
int oauth_parse_revocation_response(const http_response *resp, oauth_error *error);
