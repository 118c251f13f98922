/* SPDX-License-Identifier: MIT */
#pragma once

/* Who may do what: the one place that decides, from the caller's
 * SO_PEERCRED credentials and the configuration. The route table
 * (api-routes.c) names the permission each request needs. */

#include <stdbool.h>

#include "core/manager.h"
#include "http/http-api.h"

typedef enum api_permission {
        API_ALLOW_ANYONE,       /* the answer itself is filtered (status) */
        API_ALLOW_USERS,        /* the account's users= */
        API_ALLOW_ADMINS,       /* the daemon's admins= */
        API_ALLOW_SELF,         /* admins; and for a per-user account its users=, for their own session */
        API_ALLOW_METRICS,      /* admins and the daemon's metrics_users= (no account) */
        _API_PERMISSION_MAX,
} api_permission;

bool api_may_use_account(const manager *m, const conf_account *c, const peer *p);
bool api_may_administer(const manager *m, const peer *p);
bool api_may_read_metrics(const manager *m, const peer *p);

/* Whether uid (not a caller: named by root with ?uid=) is admitted by the
 * account's users=, its groups looked up in the user database. */
bool api_uid_may_use_account(const conf_account *c, uid_t uid);

/* 1 when r's caller has permission p on account a (NULL for routes
 * without an account); otherwise answers 403 and returns 0, or the
 * error of answering. */
int api_check_permission(api_request *r, const account *a, api_permission p);
