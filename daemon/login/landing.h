/* SPDX-License-Identifier: MIT */
#pragma once

/* The pages the browser shows at the end of an Authorization Code login:
 * self-contained HTML (one inline <style>, no scripts, nothing fetched from
 * anywhere), Italian first, then English. Library-style: never logs. */

#include "login/landing-kind.h"
#include "util/util.h"

/* Everything optional (NULL: not shown). Values are HTML-escaped and
 * capped at LANDING_VALUE_MAX bytes. Never put a token or code here. */
typedef struct landing_info {
        const char *account;
        const char *user_name;
        const char *tenant_name;
        const char *idp_error;               /* e.g. "server_error" */
        const char *idp_error_description;
} landing_info;

#define LANDING_VALUE_MAX 256

/* ret_html: malloc'ed, NUL-terminated. -EINVAL for an unknown kind. */
int landing_render(landing_kind kind, const landing_info *info, char **ret_html);

/* The Content-Security-Policy header value matching the pages' inline
 * style (style-src by its sha256 hash, everything else 'none'). */
int landing_csp(char **ret);

/* The HTTP status that fits a page (200, 4xx or 5xx); 500 for an unknown kind. */
unsigned landing_http_status(landing_kind kind);
