/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdlib.h>
#include <string.h>

/* Clears memory that held a secret in a way the compiler may not elide. */
static inline void wipe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}

/* Wipes the n bytes at p and frees it; NULL-safe. Returns NULL so that
 * `p = wipe_free(p, n);` leaves no dangling pointer. */
static inline void *wipe_free(void *p, size_t n) {
        wipe(p, n);
        free(p);
        return NULL;
}
