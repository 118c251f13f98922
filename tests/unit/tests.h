/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>
#include <stdlib.h>

/* A failed check names itself and stops the test with a failure. */
#define CHECK(expr)                                                             \
        do {                                                                    \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #expr);                     \
                        abort();                                                \
                }                                                               \
        } while (0)
