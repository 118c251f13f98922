/* SPDX-License-Identifier: MIT */
#pragma once

#include <string.h>

/* Clears memory that held a secret in a way the compiler may not elide. */
static inline void wipe(void *p, size_t n) {
        if (p && n > 0)
                explicit_bzero(p, n);
}
