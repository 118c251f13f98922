/* SPDX-License-Identifier: MIT */
#pragma once

/* What happened to one account (or one person's session of a per-user
 * account) since the daemon started, for GET /v1/metrics: plain counters
 * bumped where the events happen, no allocation, no lookup. Labels come
 * only from the fixed enums below, never from a peer or the IdP. */

#include <stdbool.h>
#include <stdint.h>

#include "idp/oauth-error.h"

/* The refresh duration histogram's upper bounds, in usec, ascending;
 * the +Inf bucket comes after them. */
#define ACCOUNT_REFRESH_BUCKETS 12
extern const uint64_t account_refresh_bucket_usec[ACCOUNT_REFRESH_BUCKETS];

typedef enum refresh_result {
        REFRESH_RESULT_SUCCESS,
        REFRESH_RESULT_REJECTED,        /* the IdP refused the grant: a new login is needed */
        REFRESH_RESULT_FAILED,          /* transient: retried later */
        _REFRESH_RESULT_MAX,
} refresh_result;

typedef enum idp_error_kind {
        IDP_ERROR_UNREACHABLE,          /* no answer: connection, TLS, DNS */
        IDP_ERROR_TIMEOUT,
        IDP_ERROR_HTTP_429,
        IDP_ERROR_HTTP_5XX,
        IDP_ERROR_INVALID_GRANT,
        IDP_ERROR_OAUTH_ERROR,          /* another OAuth error code (invalid_client...) */
        IDP_ERROR_INVALID_RESPONSE,     /* malformed, unexpected or too large */
        _IDP_ERROR_KIND_MAX,
        _IDP_ERROR_KIND_INVALID = -EINVAL,      /* not the IdP's doing (out of memory) */
} idp_error_kind;

typedef enum http_code_class {
        HTTP_CODE_2XX,
        HTTP_CODE_3XX,
        HTTP_CODE_4XX,
        HTTP_CODE_5XX,
        HTTP_CODE_ERROR,                /* no answer reached the caller */
        _HTTP_CODE_CLASS_MAX,
} http_code_class;

typedef enum account_login_flow {
        ACCOUNT_LOGIN_CODE,
        ACCOUNT_LOGIN_DEVICE,
        _ACCOUNT_LOGIN_FLOW_MAX,
} account_login_flow;

const char *refresh_result_to_string(refresh_result r);
const char *idp_error_kind_to_string(idp_error_kind k);
const char *http_code_class_to_string(http_code_class c);
const char *account_login_flow_to_string(account_login_flow f);

typedef struct account_metrics {
        uint64_t refreshes[_REFRESH_RESULT_MAX];
        uint64_t refresh_buckets[ACCOUNT_REFRESH_BUCKETS + 1];  /* per bucket, not cumulative; last: +Inf */
        uint64_t refresh_usec_sum;
        uint64_t idp_errors[_IDP_ERROR_KIND_MAX];
        uint64_t gateway_requests[_HTTP_CODE_CLASS_MAX];
        uint64_t rate_limit_pauses;     /* the configured account's: its sessions share the pause */
        uint64_t rate_limit_pause_usec;
        uint64_t logins[_ACCOUNT_LOGIN_FLOW_MAX][2];            /* [flow][ok] */
} account_metrics;

idp_error_kind idp_error_kind_of(const oauth_error *e);
http_code_class http_code_class_of(long status);

/* A refresh attempt ended after usec, with e when it failed. */
void account_metrics_refresh(account_metrics *m, refresh_result result, uint64_t usec, const oauth_error *e);
/* A gateway call ended; status 0: the caller got no answer. */
void account_metrics_gateway(account_metrics *m, long status);
/* A 429 paused the account: started (else extended), for usec more. */
void account_metrics_pause(account_metrics *m, bool started, uint64_t usec);
void account_metrics_login(account_metrics *m, account_login_flow flow, bool ok);
