/* SPDX-License-Identifier: MIT */
#pragma once

/* POST /v1/accounts/{name}/login, GET .../login?wait=S and POST
 * .../logout: the answers of DESIGN.md §5 for login/ and core/revoke. */

#include "core/account.h"
#include "http/http-api.h"

int api_handle_login_start(api_request *r, account *a);
int api_handle_login_wait(api_request *r, account *a);
int api_handle_logout(api_request *r, account *a);

typedef struct login login;

/* 200 with what GET .../login says of l (NULL: "none"). */
int api_reply_login_state(api_request *r, const login *l);
/* 200 with the answer of a logout. */
int api_reply_logout(api_request *r, bool revoked, const char *message);
