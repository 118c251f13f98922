/* SPDX-License-Identifier: MIT */
#pragma once

/* POST /v1/accounts/{name}/login, GET .../login?wait=S and POST
 * .../logout: the answers of DESIGN.md §5 for login/ and core/revoke. */

#include "core/account.h"
#include "http/http-api.h"

int api_handle_login_start(api_request *r, account *a);
int api_handle_login_wait(api_request *r, account *a);
int api_handle_logout(api_request *r, account *a);
