/* SPDX-License-Identifier: MIT */
#pragma once

/* One log line with structured fields for the journal. Under journald
 * (stderr is the stream named by $JOURNAL_STREAM, systemd.exec(5)) it goes
 * out as one native entry: MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER
 * and the TESSERA_* fields, all formatted into the record's own buffer (no
 * allocation). Anywhere else only the MESSAGE goes to stderr, exactly as
 * log_info() & co print it, and the fields are not even formatted.
 * $TESSERAD_LOG_TARGET=journal|stderr|auto (default auto) overrides the
 * choice. No field may carry a token or secret.
 *
 *     log_record rec;
 *     log_record_begin(&rec, LOG_INFO, LOG_ID_LOGOUT);
 *     log_record_add(&rec, "TESSERA_ACCOUNT", "%s", name);
 *     log_record_emit(&rec, "account %s: logged out", name);
 */

#include <stdbool.h>
#include <sys/uio.h>

#include "util/log.h"

#define LOG_RECORD_FIELDS_MAX 24U
/* Room for every field (an exe path may be PATH_MAX long); a field that
 * does not fit is left out whole, never cut. */
#define LOG_RECORD_BUFFER 8192U
#define LOG_RECORD_MESSAGE_MAX 2048U

typedef struct log_record {
        int level;
        bool wanted;            /* at or above the max level */
        bool structured;        /* fields go to the journal */
        unsigned n_iov;
        size_t used;
        struct iovec iov[LOG_RECORD_FIELDS_MAX];
        char buffer[LOG_RECORD_BUFFER];
} log_record;

/* message_id: 32 hex digits (util/log-ids.h). */
void log_record_begin(log_record *rec, int level, const char *message_id);

/* key: "TESSERA_..." (upper case, digits, '_'). A no-op when the record
 * goes to stderr or is below the level. */
void log_record_add(log_record *rec, const char *key, const char *fmt, ...) _printf_(3, 4);

/* Formats the MESSAGE and sends the record; when the journal refuses it,
 * the line goes to stderr instead, so nothing is lost. */
void log_record_emit(log_record *rec, const char *fmt, ...) _printf_(2, 3);

typedef enum log_target {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        _LOG_TARGET_MAX,
} log_target;

int log_target_from_string(const char *s);
/* Decides again (from the environment and stderr) at the next record. */
void log_target_reset(void);
/* True when $JOURNAL_STREAM names stderr's device and inode. */
bool log_stderr_is_journal(void);

/* For tests: where journal entries go instead of sd_journal_sendv(). */
typedef int (*log_journal_send_fn)(const struct iovec *iov, int n);
void log_set_journal_sender(log_journal_send_fn fn);
