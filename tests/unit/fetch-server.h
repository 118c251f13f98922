/* SPDX-License-Identifier: MIT */
#pragma once

/* A small HTTP/1.1 server for the http-fetch tests: it lives in the same
 * sd-event loop as the client, on 127.0.0.1 with an ephemeral port, and
 * answers a fixed set of paths (JSON echo, big and streamed bodies,
 * Retry-After, a discovery document, token, device, revocation and
 * userinfo endpoints, and /hang, which never answers). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#define MAX_CONNS 256

typedef struct conn conn;

typedef struct server {
        sd_event *event;
        int fd;
        sd_event_source *io;
        uint16_t port;
        unsigned n_accepts;
        unsigned n_requests;
        unsigned n_open;
        unsigned n_discovery;
        char last_head[8192];
        char last_body[8192];
        size_t last_body_len;
        conn *conns[MAX_CONNS];
} server;

/* Listens and serves on e; exits on failure. */
void server_start(server *s, sd_event *e);
/* Closes every connection and the listening socket. */
void server_stop(server *s);
