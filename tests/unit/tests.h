/* SPDX-License-Identifier: MIT */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* What the code under test writes to stderr (its log lines), through a
 * pipe: begin, call, then end reads it into buf ("" when nothing). */
static inline int stderr_capture_begin(int *ret_saved) {
        int p[2];

        CHECK(pipe2(p, O_NONBLOCK) == 0);
        *ret_saved = dup(STDERR_FILENO);
        CHECK(*ret_saved >= 0);
        CHECK(dup2(p[1], STDERR_FILENO) == STDERR_FILENO);
        close(p[1]);
        return p[0];
}

static inline void stderr_capture_end(int fd, int saved, char *buf, size_t size) {
        ssize_t n;

        fflush(stderr);
        CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        n = read(fd, buf, size - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
}
