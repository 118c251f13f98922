/* SPDX-License-Identifier: MIT */
#pragma once

/* The daemon's API: the HTTP transport on the socket (http/) wired to the
 * route table, the layers that hold requests (logins, the gateway) told
 * when an account goes away, and the orderly stop. */

#include "core/manager.h"

typedef struct api_server api_server;

/* Starts listening; m must be started (manager_start()). */
int api_server_new(manager *m, api_server **ret);
api_server *api_server_free(api_server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(api_server *, api_server_free);

/* Stops accepting, answers waiting requests, and exits the loop once the
 * requests in flight are answered (or after a grace period). */
void api_server_begin_shutdown(api_server *s);
