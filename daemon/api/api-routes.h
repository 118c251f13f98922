/* SPDX-License-Identifier: MIT */
#pragma once

/* What each API request means: route parsing, authorisation against the
 * configuration, and the JSON answers of DESIGN.md §5. */

#include "core/account.h"
#include "http/http-api.h"

typedef enum api_route_kind {
        API_ROUTE_STATUS,
        API_ROUTE_TOKEN,
        API_ROUTE_LOGIN_START,
        API_ROUTE_LOGIN_WAIT,
        API_ROUTE_LOGOUT,
        API_ROUTE_GATEWAY,      /* .../api/<path> or .../tenant/<path> */
        _API_ROUTE_MAX,
} api_route_kind;

typedef struct api_route {
        api_route_kind kind;
        char account[65];
        const char *rest;       /* gateway: the path after api/ or tenant/, inside the parsed path */
        bool tenant;            /* gateway: relative to the account's tenant */
} api_route;

/* 0 and *ret on a match; -EINVAL: malformed account name (400);
 * -ENOENT: no such route (404); -EOPNOTSUPP: wrong method (405). */
int api_route_parse(const char *method, const char *path, api_route *ret);

/* Parses an unsigned decimal query value no larger than max. */
int api_parse_seconds(const char *s, unsigned max, unsigned *ret);

/* Dispatches one complete request; queues an answer or suspends it. */
int api_routes_handle(api_request *r);

/* The one place that decides what a caller may do with an account. */
bool api_may_use_account(const manager *m, const conf_account *c, const peer *p);
bool api_may_administer(const manager *m, const peer *p);

/* Answers with the account's current token, audited. */
int api_reply_token(api_request *r, account *a);
/* Answers why the account has no usable token. */
int api_reply_no_token(api_request *r, account *a);
