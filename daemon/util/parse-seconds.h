/* SPDX-License-Identifier: MIT */
#pragma once

/* Numbers of seconds that a peer sends in a query or header (?wait=,
 * ?min_valid=, Tessera-Wait:) or the environment: decimal digits only, no
 * sign, no spaces, at most 10 digits, checked against max without
 * overflow. */

/* 0 and *ret on success; -EINVAL: not a plain decimal number (or NULL);
 * -ERANGE: larger than max. */
int parse_seconds(const char *s, unsigned max, unsigned *ret);
