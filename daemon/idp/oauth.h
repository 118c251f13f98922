/* SPDX-License-Identifier: MIT */
#pragma once

/* OAuth 2.0 client side (RFC 6749, 7636, 8628, 7009) plus GipoNext's
 * userinfo: pure builders and parsers, and asynchronous operations on
 * http-fetch. Library-style: never logs. Every token, code, verifier and
 * client secret handled here lives in secret memory (secret.h); strings
 * taken from a parsed JSON tree are wiped inside json-c before it is
 * released. */

#include <json-c/json.h>
#include <stdint.h>

#include "conf/conf.h"
#include "glue/curl-glue.h"
#include "idp/discovery.h"
#include "idp/http-fetch.h"
#include "util/util.h"

/* Peer-controlled sizes. */
#define OAUTH_TOKEN_MAX ((size_t) 16 * 1024)            /* access and refresh tokens */
#define OAUTH_SCOPE_MAX ((size_t) 4096)
#define OAUTH_ERROR_CODE_MAX ((size_t) 128)
#define OAUTH_ERROR_DESCRIPTION_MAX ((size_t) 512)
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

/* ---- Errors ---- */

/* What went wrong with a request to the IdP or the API. error is the
 * negative errno that classifies it:
 *   -EACCES    the server answered with an OAuth error (code set), or
 *              401/403 from the userinfo endpoint
 *   -EBUSY     429 Too Many Requests (see retry_after)
 *   -EIO       5xx server error (see retry_after)
 *   -EBADMSG   malformed or unexpected response (bad JSON, wrong types,
 *              HTML, limits exceeded, unexpected status)
 *   anything from http_fetch (-ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EFBIG...)
 * code: the OAuth "error" value (RFC 6749 §5.2 charset checked) or NULL.
 * description: the server's error_description (non-printable bytes
 * replaced, truncated) or our own explanation; never contains a secret. */
typedef struct oauth_error {
        int error;
        char *code;
        char *description;
        long http_status;               /* 0 when no response arrived */
        bool has_retry_after;
        uint64_t retry_after_sec;
} oauth_error;

void oauth_error_done(oauth_error *e);

typedef enum oauth_error_code {
        OAUTH_ERROR_NONE,               /* no OAuth error code given */
        OAUTH_ERROR_OTHER,              /* a code not listed here */
        OAUTH_ERROR_INVALID_REQUEST,
        OAUTH_ERROR_INVALID_CLIENT,
        OAUTH_ERROR_INVALID_GRANT,
        OAUTH_ERROR_UNAUTHORIZED_CLIENT,
        OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE,
        OAUTH_ERROR_INVALID_SCOPE,
        OAUTH_ERROR_ACCESS_DENIED,
        OAUTH_ERROR_AUTHORIZATION_PENDING,
        OAUTH_ERROR_SLOW_DOWN,
        OAUTH_ERROR_EXPIRED_TOKEN,
        OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE,
        OAUTH_ERROR_TEMPORARILY_UNAVAILABLE,
        OAUTH_ERROR_SERVER_ERROR,
        _OAUTH_ERROR_CODE_MAX,
} oauth_error_code;

oauth_error_code oauth_error_code_from_string(const char *s);   /* NULL → NONE */
/* True for failures worth retrying later with the same grant: transport
 * errors, 429, 5xx, temporarily_unavailable/server_error. False for OAuth
 * rejections and malformed responses. */
bool oauth_error_is_transient(const oauth_error *e);

/* ---- Request building (pure) ---- */

/* An application/x-www-form-urlencoded body in secret memory. */
typedef struct oauth_form {
        char *data;                     /* NUL-terminated; NULL while empty */
        size_t size, cap;
} oauth_form;

/* Appends "name=value" (both encoded per RFC 6749 Appendix B: RFC 3986
 * unreserved characters kept, space as '+', every other byte %XX). */
int oauth_form_add(oauth_form *f, const char *name, const char *value);
void oauth_form_done(oauth_form *f);

/* The encoding alone, into secret memory. */
int oauth_form_urlencode(const char *s, char **ret);

/* client_secret_basic credentials (RFC 6749 §2.3.1): base64(urlencode(id)
 * ":" urlencode(secret)), in secret memory, for http_request's
 * basic_credentials. */
int oauth_basic_credentials(const char *client_id, const char *client_secret, char **ret);

/* Adds the account's client authentication: for "post" (or when there is
 * no secret) client_id and client_secret form fields, for "basic" sets
 * *ret_basic (secret memory, caller frees) and leaves the form alone. */
int oauth_client_auth(const conf_account *a, oauth_form *form, char **ret_basic);

/* ---- Response parsing (pure; also fuzz targets) ---- */

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

/* Strict JSON for peer documents: one object, the whole body, depth and
 * UTF-8 checked; json-c's parse buffer is wiped. -EBADMSG on failure. */
int oauth_json_parse(const char *body, size_t size, json_object **ret);
/* Wipes every string value in the tree, then drops the reference. */
void oauth_json_wipe_put(json_object *o);
/* Optional string member: 0 when absent or null, 1 with *ret (a copy,
 * secret memory when secret, else malloc) when a string of 1..max bytes
 * without NUL bytes, -EBADMSG otherwise, -ENOMEM. */
int oauth_json_get_string(json_object *o, const char *key, size_t max, bool secret, char **ret);

/* ---- Asynchronous operations ---- */

/* One request in flight. Free it to cancel; free it after its callback at
 * the latest (the callback may free it). */
typedef struct oauth_op oauth_op;

/* error is NULL on success; otherwise result is NULL. A non-NULL result
 * belongs to the callee. */
typedef void (*oauth_token_callback_t)(oauth_op *op, const oauth_error *error,
                                       oauth_token *token, void *userdata);
typedef void (*oauth_device_callback_t)(oauth_op *op, const oauth_error *error,
                                        oauth_device_auth *device, void *userdata);
typedef void (*oauth_userinfo_callback_t)(oauth_op *op, const oauth_error *error,
                                          oauth_userinfo *userinfo, void *userdata);
typedef void (*oauth_done_callback_t)(oauth_op *op, const oauth_error *error, void *userdata);

oauth_op *oauth_op_free(oauth_op *op);
DEFINE_TRIVIAL_CLEANUP_FUNC(oauth_op *, oauth_op_free);

/* Authorization code grant with PKCE (RFC 6749 §4.1.3, RFC 7636 §4.5). */
int oauth_exchange_code(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                        const char *code, const char *redirect_uri, const char *code_verifier,
                        oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* How long a refresh request is waited on once sent (the connect timeout
 * stays 10 s). With rotation, an IdP that took the request has consumed
 * the old refresh token: a late answer carries the only valid one, and a
 * request abandoned earlier is still worked through when the IdP resumes,
 * so that the next attempt replays a consumed token and loses the grant. */
#define OAUTH_REFRESH_TIMEOUT_USEC (300 * USEC_PER_SEC)

/* Refresh (RFC 6749 §6). granted_scope: the scope currently held, used
 * when the response omits scope (NULL: the account's configured scope). */
int oauth_refresh(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                  const char *refresh_token, const char *granted_scope,
                  oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* Device authorization request (RFC 8628 §3.1): client_id and scope.
 * -EOPNOTSUPP when the IdP has no device_authorization_endpoint. */
int oauth_device_authorize(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                           oauth_device_callback_t callback, void *userdata, oauth_op **ret);

/* One device access token poll (RFC 8628 §3.4). authorization_pending,
 * slow_down, expired_token and access_denied arrive as -EACCES with
 * that code; pacing is the caller's job. */
int oauth_device_poll(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                      const char *device_code,
                      oauth_token_callback_t callback, void *userdata, oauth_op **ret);

/* Token revocation (RFC 7009) with client authentication. token_type_hint
 * may be NULL. -EOPNOTSUPP when the IdP has no revocation_endpoint. */
int oauth_revoke(curl_glue *g, const conf_account *a, const oidc_endpoints *e,
                 const char *token, const char *token_type_hint,
                 oauth_done_callback_t callback, void *userdata, oauth_op **ret);

/* GET url with the bearer token; url is normally conf_account.userinfo_url. */
int oauth_fetch_userinfo(curl_glue *g, const char *url, const char *access_token,
                   oauth_userinfo_callback_t callback, void *userdata, oauth_op **ret);
