/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed check names itself and stops the test with a failure. */
#define CHECK(expr)                                                             \
        do {                                                                    \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #expr);                     \
                        abort();                                                \
                }                                                               \
        } while (0)

/* expr (an int: 0 or a negative errno) must return want; on failure the
 * two codes are printed, never any other value. */
#define CHECK_R(expr, want)                                                     \
        do {                                                                    \
                int _r_ = (expr), _w_ = (want);                                 \
                if (_r_ != _w_) {                                               \
                        fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d\n", \
                                __FILE__, __LINE__, #expr, _r_,                 \
                                strerror(_r_ < 0 ? -_r_ : _r_), _w_);           \
                        abort();                                                \
                }                                                               \
        } while (0)

/* Two strings (not secrets: both are printed on failure) must be equal;
 * NULL equals nothing. */
#define CHECK_STREQ(a, b)                                                       \
        do {                                                                    \
                const char *_a_ = (a), *_b_ = (b);                              \
                if (!_a_ || !_b_ || strcmp(_a_, _b_) != 0) {                    \
                        fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", \
                                __FILE__, __LINE__, _b_ ? _b_ : "(null)",       \
                                _a_ ? _a_ : "(null)");                          \
                        abort();                                                \
                }                                                               \
        } while (0)

/* The same for secrets: never prints the values. */
#define CHECK_SECRET_EQ(a, b)                                                   \
        do {                                                                    \
                const char *_a_ = (a), *_b_ = (b);                              \
                if (!_a_ || !_b_ || strcmp(_a_, _b_) != 0) {                    \
                        fprintf(stderr, "%s:%d: secret value differs from expected\n", \
                                __FILE__, __LINE__);                            \
                        abort();                                                \
                }                                                               \
        } while (0)
