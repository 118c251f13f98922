/* SPDX-License-Identifier: MIT */
#pragma once

/* The redirect listener's HTTP plumbing, under the callback logic of
 * redirect.c: the libmicrohttpd daemon on 127.0.0.1 and a kernel-chosen
 * port, sized for one browser's few requests, and the one kind of answer it
 * sends, an HTML page with the headers that keep it from being cached,
 * framed, sniffed or told the URL it came from. Never logs a query string. */

#include <microhttpd.h>
#include <stdint.h>

/* Starts the daemon (MHD_USE_EPOLL, suspend/resume allowed; the caller
 * drives it, e.g. with mhd_glue) and reads the port the kernel chose. */
int redirect_http_start(
                MHD_AccessHandlerCallback on_request,
                MHD_RequestCompletedCallback on_completed,
                void *cls,
                struct MHD_Daemon **ret_daemon,
                uint16_t *ret_port);

/* Queues html (copied) with status and the page headers, csp being the
 * Content-Security-Policy (landing_csp()). MHD_NO when out of memory. */
enum MHD_Result redirect_http_queue_html(struct MHD_Connection *c, unsigned status, const char *html, const char *csp);
