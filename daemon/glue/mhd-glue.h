/* SPDX-License-Identifier: MIT */
#pragma once

/* Plugs a libmicrohttpd daemon running in external-epoll mode
 * (MHD_USE_EPOLL, no internal thread) into the sd-event loop: MHD's epoll
 * fd becomes an I/O source, MHD's timeout re-arms a timer, and after every
 * MHD_run() both are refreshed. Used by the API socket and the redirect
 * listener. */

#include <microhttpd.h>
#include <systemd/sd-event.h>

#include "util/util.h"

typedef struct mhd_glue mhd_glue;

int mhd_glue_new(sd_event *e, struct MHD_Daemon *d, const char *description, mhd_glue **ret);
/* Detaches from the loop; does not stop the MHD daemon. NULL-safe. */
mhd_glue *mhd_glue_free(mhd_glue *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(mhd_glue *, mhd_glue_free);

/* Makes the loop call MHD_run() on its next iteration: needed after
 * MHD_resume_connection() from outside an MHD callback. */
void mhd_glue_kick(mhd_glue *g);
