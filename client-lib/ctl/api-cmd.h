/* SPDX-License-Identifier: MIT */
#pragma once

/* The mechanics of `tessera api` (the command itself is cmd_api()):
 * reading the request body, telling tesserad's own errors from GipoNext's,
 * writing the answer. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <tessera/tessera.h>

/* An HTTP method as the command accepts it: upper case, 1 to 32 letters. */
bool api_method_is_valid(const char *s);

/* The --data argument: the text itself, "@FILE" or "@-" (standard input),
 * read as bytes. -EFBIG when longer than max, -errno when unreadable. */
int api_read_data(const char *arg, size_t max, char **ret, size_t *ret_len);

/* If the answer is an error tesserad made itself (a Tessera-Error header,
 * or an {"error","message"} body whose code belongs to the gateway and
 * matches the status), returns that code (valid while r is) and copies the
 * message, made terminal-safe, to msg. NULL for GipoNext's own answers. */
const char *api_daemon_error(const tessera_response *r, char *msg, size_t msg_size);

/* "403 Forbidden": the status and the reason phrase tesserad sent, or a
 * standard one, terminal-safe. */
void api_status_text(const tessera_response *r, char *dst, size_t n);

/* Writes the body exactly as received; with include, the status line and
 * headers and a blank line first. 0 or -errno. */
int api_write_response(FILE *f, const tessera_response *r, bool include);
