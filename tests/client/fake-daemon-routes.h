/* SPDX-License-Identifier: MIT */
#pragma once

/* The fake daemon's canned answers, for its connection loop. */

#include <stdbool.h>
#include <stddef.h>

typedef struct req {
        char method[40];
        char path[16384];
        char content_type[320];
        char wait[32];
        char length[32];
        const char *body;
        size_t body_len;
} req;

/* Answers one request; returns false when the connection must be closed. */
bool route(int fd, const req *q, unsigned served);

/* Answers 413 to a request whose body is not read. */
void refuse_early(int fd, bool close_it);
