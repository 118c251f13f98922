/* SPDX-License-Identifier: MIT */
#include "gateway/gateway-error.h"
#include "util/string-table.h"

static const char *const gateway_error_kind_table[_GATEWAY_ERROR_KIND_MAX] = {
        [GATEWAY_ERROR_NO_TOKEN] = "no_token",
        [GATEWAY_ERROR_NO_TENANT] = "no_tenant",
        [GATEWAY_ERROR_BUSY] = "busy",
        [GATEWAY_ERROR_NO_MEMORY] = "no_memory",
        [GATEWAY_ERROR_START_FAILED] = "start_failed",
        [GATEWAY_ERROR_API_TIMEOUT] = "api_timeout",
        [GATEWAY_ERROR_API_UNREACHABLE] = "api_unreachable",
        [GATEWAY_ERROR_TOKEN_REFUSED] = "token_refused",
        [GATEWAY_ERROR_TOKEN_REFUSED_IDP_DOWN] = "token_refused_idp_down",
        [GATEWAY_ERROR_TOKEN_REFUSED_AGAIN] = "token_refused_again",
        [GATEWAY_ERROR_RATE_LIMITED] = "rate_limited",
        [GATEWAY_ERROR_SHUTTING_DOWN] = "shutting_down",
        [GATEWAY_ERROR_ACCOUNT_GONE] = "account_gone",
};

DEFINE_STRING_TABLE_LOOKUP(gateway_error_kind, gateway_error_kind);
