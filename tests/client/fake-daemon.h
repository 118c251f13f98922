/* SPDX-License-Identifier: MIT */
#pragma once

/* A fake tesserad for the libtessera tests: a listener thread in the test's
 * own process answers canned HTTP responses on a Unix socket in a temporary
 * directory and counts the connections it accepts. */

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tessera/tessera.h>

#include "checks.h"

extern char tmpdir[PATH_MAX];
extern char sock_path[PATH_MAX + 16];
extern atomic_int n_accepted;
extern atomic_int drop_reused;         /* one shot: close a reused connection without answering */
extern atomic_int close_after_answer;  /* claim keep-alive, then close anyway */
extern atomic_int n_posts;             /* gateway POSTs to a path with "count" in it */

int64_t now_ms(void);

/* Byte i of the large bodies the server streams (/v2/bigchunked/N, /v2/biglen/N). */
uint8_t pattern(size_t i);

int bind_unix(const char *path, bool do_listen);

/* Starts the listener on sock_path in a new tmpdir. */
void start_server(void);

/* Removes the socket and tmpdir, reports the failed checks: main's exit status. */
int stop_server(const char *test_name);

/* A client of the fake daemon; aborts when it cannot be made. */
tessera_client *new_client(void);

/* tessera_get_token()'s result for account, checking that a token comes
 * with success and only then. */
int token_err(tessera_client *c, const char *account);
