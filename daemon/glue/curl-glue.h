/* SPDX-License-Identifier: MIT */
#pragma once

/* Drives libcurl's multi interface from the sd-event loop: curl's sockets
 * become I/O sources, curl's single timeout becomes one CLOCK_MONOTONIC
 * timer, and finished transfers are handed back through a per-transfer
 * completion callback. Nothing here ever blocks.
 *
 * The multi handle owns the connection cache, so sequential requests to
 * the same host reuse connections. */

#include <curl/curl.h>
#include <systemd/sd-event.h>

#include "util/util.h"

typedef struct curl_glue curl_glue;

/* Called once per transfer, after the easy handle has been detached from
 * the multi handle. The callback may free this easy handle, remove or free
 * any other transfer, and add new ones; it must not free the glue. */
typedef void (*curl_glue_done_t)(CURL *easy, CURLcode result, void *userdata);

int curl_glue_new(sd_event *event, curl_glue **ret);
/* Every transfer must have completed or been removed before the glue is
 * freed (transfers still attached are detached without their callback). */
curl_glue *curl_glue_free(curl_glue *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(curl_glue *, curl_glue_free);

/* Starts easy on the loop. CURLOPT_PRIVATE of easy is reserved for the
 * glue from here on. The caller keeps ownership of easy. */
int curl_glue_add(curl_glue *g, CURL *easy, curl_glue_done_t done, void *userdata);
/* Cancels a transfer without calling its callback. A no-op for a handle
 * that is not (or no longer) attached. */
void curl_glue_remove(curl_glue *g, CURL *easy);

/* Number of transfers attached, for tests and status. */
size_t curl_glue_n_transfers(const curl_glue *g);
