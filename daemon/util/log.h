/* SPDX-License-Identifier: MIT */
#pragma once

/* Daemon logging to stderr with sd-daemon "<N>" priority prefixes, so
 * journald files each line at the right level. Library-style modules
 * (conf, store, session, oauth parsers) never log; the caller that decides
 * what to do logs once. Nothing passed here may contain a token or secret. */

#include <syslog.h>

#include "util/util.h"

void log_set_max_level(int level);
int log_get_max_level(void);
/* Parses "debug", "info", "notice", "warning", "error". */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Returns -abs(error) (or 0 for error == 0) so callers can write
 * "return log_error_errno(r, ...)". %m in fmt prints strerror(error). */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...)                                       \
        ({                                                                      \
                int _l_ = (level), _e_ = (error);                               \
                (log_get_max_level() >= _l_) ? log_internal(_l_, _e_, __VA_ARGS__) \
                                             : -abs(_e_);                       \
        })

#define log_full(level, ...) (void) log_full_errno(level, 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
