/* SPDX-License-Identifier: MIT */
#pragma once

/* .../api/<path> and .../tenant/<path>: the caller's request checked
 * (path, query, Tessera-Wait) and handed to the gateway; the gateway's
 * errors turned into their answers. */

#include <stdbool.h>

#include "core/account.h"
#include "http/http-api.h"

/* The caller is authorised already. tenant selects .../tenant/<rest>
 * (relative to the account's tenant) over .../api/<rest>. */
int api_gateway_handle(api_request *r, account *a, bool tenant, const char *rest);
