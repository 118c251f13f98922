/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the store tests: state dirs below one temp dir, file helpers,
 * a sample session, and load checks. Checks never print field values:
 * some are tokens. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/session-codec.h"
#include "store/store.h"

#define ISSUER "https://account.gipo.it"
#define ACCESS_TOKEN "eyJhbGciOi.at-Zq81-distinctive-access-token.sig"
#define ACCESS_PART "Zq81-distinctive"
#define REFRESH_TOKEN "rt-Pw47-distinctive-refresh-token"
#define REFRESH_PART "Pw47-distinctive"
#define HEADER_LEN 32U
#define TAG_LEN 16U

extern char *top;                       /* mkdtemp() root, removed at exit */

/* Initialises libsodium, clears $CREDENTIALS_DIRECTORY and makes top. */
void store_fixture_init(void);

char *path_join(const char *a, const char *b);
/* A fresh, not yet existing state dir two levels below a temp dir, so
 * store_open() has to create the path. */
char *new_state_dir(void);
uint8_t *read_file(const char *path, size_t *ret_len);
void write_file(const char *path, const void *p, size_t n, mode_t mode);
bool exists(const char *path);
mode_t file_mode(const char *path);
bool contains(const uint8_t *hay, size_t n, const char *needle);
/* How many names in dir, other than "." and "..", start with prefix. */
unsigned count_entries(const char *dir, const char *prefix);

session *make_session(const char *access, const char *tenant);
void check_equal(const session *a, const session *b);
/* Loads and expects exactly `want`. */
void check_loads(store *st, const char *account, const char *issuer, const session *want);
/* Loads expecting a quarantine; returns the quarantine file name. */
char *check_quarantined(store *st, const char *accounts, const char *account, const char *issuer);
