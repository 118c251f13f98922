/* SPDX-License-Identifier: MIT */
#pragma once

/* For the OAuth response parser tests: a JSON response as http-fetch
 * hands it over. */

#include <string.h>

#include "idp/oauth.h"

static inline http_response resp(long status, const char *body) {
        return (http_response) {
                .status = status,
                .content_type = "application/json",
                .body = body,
                .body_size = strlen(body),
        };
}
