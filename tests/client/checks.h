/* SPDX-License-Identifier: MIT */
#pragma once

/* The client tests' checks. Unlike tests/unit/tests.h's, a failed check is
 * counted and the test goes on, so that one run names every broken check;
 * main() fails when any did. Each test program defines failures once. */

#include <stdio.h>

extern int failures;

#define CHECK(cond)                                                             \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #cond);                     \
                        failures++;                                             \
                }                                                               \
        } while (0)

#define CHECK_EQ(a, b)                                                          \
        do {                                                                    \
                long long _a = (a), _b = (b);                                   \
                if (_a != _b) {                                                 \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",   \
                                __FILE__, __LINE__, #a, _a, _b);                \
                        failures++;                                             \
                }                                                               \
        } while (0)
