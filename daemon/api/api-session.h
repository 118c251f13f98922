/* SPDX-License-Identifier: MIT */
#pragma once

/* Which person's session of a per-user account a request acts on
 * (DESIGN.md §10): the caller's own, by SO_PEERCRED uid. root may name
 * another with ?uid=N on a token, login or logout request, admins on a
 * logout; that uid must be one that users= admits. Gateway calls always
 * use the caller's own session: their query string goes to the API. */

#include "core/account.h"
#include "http/http-api.h"

typedef enum api_session_use {
        API_SESSION_NONE,               /* the route does not act on a session (status) */
        API_SESSION_TOKEN,              /* token: a logged-in session is needed */
        API_SESSION_GATEWAY,            /* the same, always the caller's: the query is the API's */
        API_SESSION_LOGIN_START,        /* created when missing */
        API_SESSION_LOGIN_WAIT,
        API_SESSION_LOGOUT,
        _API_SESSION_USE_MAX,
} api_session_use;

/* 1 and *ret: the session to act on. 0: r is answered (403 for a uid the
 * caller may not name, 401 when there is no session to take a token
 * from, or what a login wait or logout says of no session). <0: the
 * error of answering. */
int api_pick_session(api_request *r, account *parent, api_session_use use, account **ret);
