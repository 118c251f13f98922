/* SPDX-License-Identifier: MIT */
#pragma once

/* What every request to the outside shares, http-fetch's and the
 * gateway's upstream streams alike: curl settings, how a failed transfer
 * is reported, the Retry-After header. Never logs. */

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>

#include "util/util.h"

#define HTTP_FETCH_DEFAULT_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define HTTP_FETCH_CONNECT_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* A server cannot make us wait longer than this through Retry-After. */
#define HTTP_FETCH_MAX_RETRY_AFTER_SEC UINT64_C(3600)

/* curl_easy_setopt(), or return -EIO from the calling function. */
#define HTTP_SETOPT(easy, opt, val)                                     \
        do {                                                            \
                if (curl_easy_setopt((easy), (opt), (val)) != CURLE_OK) \
                        return -EIO;                                    \
        } while (0)

/* The settings every request to the outside shares: http/https only, no
 * redirects, TLS 1.2+ with peer and host verification, connect and total
 * timeouts (0: the default), our user agent. */
int http_easy_setup_common(CURL *easy, const char *url, uint64_t timeout_usec);

/* A finished transfer's CURLcode as a negative errno and a short message
 * without secrets. */
int http_map_curl_error(CURL *easy, CURLcode code, const char **ret_message);

/* Retry-After value: delay-seconds or an HTTP-date. Returns 0 and the
 * delay in seconds (0 for a date in the past), capped at
 * HTTP_FETCH_MAX_RETRY_AFTER_SEC, or -EINVAL. now is unix seconds. */
int http_parse_retry_after(const char *value, int64_t now, uint64_t *ret_sec);
