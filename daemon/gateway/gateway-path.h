/* SPDX-License-Identifier: MIT */
#pragma once

/* Pure helpers of the gateway: what a caller may ask for (path, query),
 * the upstream URL made of it, the request headers passed on, and the
 * pause a 429's Retry-After asks for. */

#include <stdbool.h>
#include <stdint.h>

#define GATEWAY_PATH_MAX 4096U
#define GATEWAY_PAUSE_DEFAULT_SEC 1U    /* a 429 without Retry-After */
#define GATEWAY_PAUSE_MAX_SEC 3600U

/* Relative, percent-encoded, no "." or ".." segment (in any spelling), at
 * most GATEWAY_PATH_MAX bytes. */
bool gateway_path_is_safe(const char *path);
/* At most GATEWAY_PATH_MAX bytes of the characters a path may hold, and '?'. */
bool gateway_query_is_safe(const char *query);

/* api_base/rest, or api_base/v2/tenants/<tenant_id>/rest; "?query" when
 * query is not empty. */
int gateway_build_url(const char *api_base, const char *tenant_id, const char *rest, const char *query,
                      char **ret);

/* Seconds from a Retry-After value (delta-seconds or HTTP-date), clamped
 * to 1..GATEWAY_PAUSE_MAX_SEC; GATEWAY_PAUSE_DEFAULT_SEC when absent or
 * unreadable. */
unsigned gateway_retry_after(const char *value, int64_t now);

/* The request headers an application may set for the API ("Name: value"
 * lines, NULL-terminated; free with strv_free()), read with lookup; a
 * value with a line break is dropped. A request with a body and no
 * Content-Type gets "Content-Type: application/json". */
typedef const char *(*gateway_header_lookup_fn)(const char *name, void *userdata);
int gateway_forwarded_headers(gateway_header_lookup_fn lookup, void *userdata, bool has_body, char ***ret);
