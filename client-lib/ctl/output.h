/* SPDX-License-Identifier: MIT */
#pragma once

/* Output helpers of the tessera command: JSON re-serialisation of a parsed
 * tree, terminal-safe text, relative times and the QR code. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json-reader.h"

/* Writes n as compact JSON. */
void json_write(FILE *f, const jr_node *n);
void json_write_string(FILE *f, const char *s);

/* Copies s to dst (size n), replacing control characters by '?', so that a
 * daemon-supplied string cannot drive the terminal. NULL or "" gives "-". */
const char *safe_text(const char *s, char *dst, size_t n);

/* "in 54m", "in 2h03m", "in 3d", "expired 5m ago", "-" for 0. */
void format_relative(int64_t when, int64_t now, char *dst, size_t n);

/* Draws text as a QR code with Unicode half blocks, black on white whatever
 * the terminal's colours. Returns 0, or -EOPNOTSUPP when built without
 * libqrencode or when libqrencode cannot be opened, or -EINVAL if the text
 * cannot be encoded. */
int print_qr(FILE *f, const char *text);
