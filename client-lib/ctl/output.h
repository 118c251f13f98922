/* SPDX-License-Identifier: MIT */
#pragma once

/* Output helpers of the tessera command: JSON re-serialisation of a parsed
 * tree, terminal-safe text and relative times. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json-reader.h"

/* Writes n as compact JSON. */
void json_write(FILE *f, const jr_node *n);
void json_write_string(FILE *f, const char *s);
/* n and a newline. */
void json_write_line(FILE *f, const jr_node *n);

/* Copies s to dst (size n), replacing control characters by '?', so that a
 * daemon-supplied string cannot drive the terminal. NULL or "" gives "-". */
const char *safe_text(const char *s, char *dst, size_t n);

/* "in 54m", "in 2h03m", "in 3d", "expired 5m ago", "-" for 0. */
void format_relative(int64_t when, int64_t now, char *dst, size_t n);
