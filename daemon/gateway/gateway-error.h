/* SPDX-License-Identifier: MIT */
#pragma once

/* Why the gateway cannot pass a call on, as the gateway sees it. The
 * gateway builds no answer: it hands these to the api layer's fail
 * callback, which turns each kind into its HTTP status, code and text. */

#include "core/account.h"
#include "http/api-request.h"

typedef enum gateway_error_kind {
        GATEWAY_ERROR_NO_TOKEN,                 /* no usable token; the account's state says why */
        GATEWAY_ERROR_NO_TENANT,                /* a tenant call for an account without one */
        GATEWAY_ERROR_BUSY,                     /* the queue is full; number: calls waiting */
        GATEWAY_ERROR_NO_MEMORY,
        GATEWAY_ERROR_START_FAILED,             /* detail: why the request could not start */
        GATEWAY_ERROR_API_TIMEOUT,              /* detail: the transfer's error */
        GATEWAY_ERROR_API_UNREACHABLE,          /* detail: the transfer's error */
        GATEWAY_ERROR_TOKEN_REFUSED,            /* 401 from the API, no newer token */
        GATEWAY_ERROR_TOKEN_REFUSED_IDP_DOWN,   /* same while the IdP is not answering */
        GATEWAY_ERROR_TOKEN_REFUSED_AGAIN,      /* 401 even for a freshly refreshed token */
        GATEWAY_ERROR_RATE_LIMITED,             /* paused by a 429; number: seconds left */
        GATEWAY_ERROR_SHUTTING_DOWN,
        GATEWAY_ERROR_ACCOUNT_GONE,             /* removed by a reload, or shutdown */
        _GATEWAY_ERROR_KIND_MAX,
        _GATEWAY_ERROR_KIND_INVALID = -EINVAL,
} gateway_error_kind;

const char *gateway_error_kind_to_string(gateway_error_kind k);
gateway_error_kind gateway_error_kind_from_string(const char *s);

typedef struct gateway_error {
        gateway_error_kind kind;
        const char *detail;     /* see the kind; NULL when none */
        unsigned number;        /* see the kind */
} gateway_error;

/* Answers r for account a with e; a is NULL for a call that outlived its
 * account (then e is GATEWAY_ERROR_SHUTTING_DOWN). Returns the HTTP status of the answer
 * (for the audit line), or a negative errno. */
typedef int (*gateway_fail_fn)(api_request *r, account *a, const gateway_error *e);
