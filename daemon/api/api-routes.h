/* SPDX-License-Identifier: MIT */
#pragma once

/* The one route table of the API (DESIGN.md §5): method, path, the
 * permission a caller needs, and the handler that answers. */

#include "core/manager.h"
#include "http/http-api.h"

typedef enum api_route_kind {
        API_ROUTE_STATUS,
        API_ROUTE_METRICS,
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

/* The http_api handler: dispatches one complete request (queues an
 * answer or suspends it), and the body limit of a path. userdata is the
 * manager. */
int api_routes_handle(api_request *r, void *userdata);
size_t api_routes_body_max(const char *path, void *userdata);
