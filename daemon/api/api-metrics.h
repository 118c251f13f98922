/* SPDX-License-Identifier: MIT */
#pragma once

#include "http/http-api.h"

/* GET /v1/metrics: every account's and session's counters and the
 * daemon's, in the Prometheus text format (DESIGN.md §11). */
int api_handle_metrics(api_request *r);
