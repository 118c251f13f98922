/* SPDX-License-Identifier: MIT */
#pragma once

/* The store's key: $CREDENTIALS_DIRECTORY/tessera.key when systemd passes
 * one, else <state_dir>/key, created with random bytes and mode 0600 on
 * first use. Never logs. */

#include <stdint.h>

#include "store/sealed-file.h"

#define STORE_KEY_LEN SEALED_FILE_KEY_LEN

/* Loads (or creates) the key into key, which should be secret memory. A
 * key file in dir_fd readable or writable by group or others, or owned by
 * another user, is refused (-EPERM); a key of the wrong size or not a
 * regular file is -EBADMSG. */
int store_key_load(int dir_fd, uint8_t key[static STORE_KEY_LEN]);
