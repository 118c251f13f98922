/* SPDX-License-Identifier: MIT */
#pragma once

/* The URL policy of every URL the configuration names, and the parsers of
 * URL keys. url_is_acceptable() is for all of the daemon (conf.h). */

#include <stdbool.h>

#include "conf/conf-parse.h"

/* https, or http to a loopback host (127.0.0.0/8, [::1], localhost). */
bool url_is_acceptable(const char *url);

/* An endpoint: url_is_acceptable() and no fragment (RFC 6749 §3.1). */
int conf_parse_url(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
/* An issuer (RFC 8414 §2) or a base that paths are appended to: no query
 * either. */
int conf_parse_base_url(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);
