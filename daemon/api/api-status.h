/* SPDX-License-Identifier: MIT */
#pragma once

/* GET /v1/status: the accounts the caller may see, DESIGN.md §5. */

#include "core/account.h"
#include "http/http-api.h"

int api_handle_status(api_request *r, account *a);
