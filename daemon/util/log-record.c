/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "util/log-record.h"
#include "util/string-table.h"

#define TARGET_ENV "TESSERAD_LOG_TARGET"
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_STDERR] = "stderr",
};

int log_target_from_string(const char *s) {
        return string_table_lookup(log_target_table, ELEMENTSOF(log_target_table), s);
}

/* -1: not decided yet; the environment and stderr do not change while the
 * daemon runs, and the hot path (a token hand-out) should not stat(). */
static int to_journal = -1;
static log_journal_send_fn journal_send = sd_journal_sendv;

void log_set_journal_sender(log_journal_send_fn fn) {
        journal_send = fn ? fn : sd_journal_sendv;
}

void log_target_reset(void) {
        to_journal = -1;
}

bool log_stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char *end;

        /* "DEV:INO" in decimal, those of the journal's end of stderr (or
         * stdout). A child that inherited the variable with other output
         * must not take it as its own: compare with what stderr is. */
        if (!e || *e == '\0')
                return false;
        errno = 0;
        dev = strtoull(e, &end, 10);
        if (errno != 0 || end == e || *end != ':')
                return false;
        e = end + 1;
        ino = strtoull(e, &end, 10);
        if (errno != 0 || end == e || *end != '\0')
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

static bool journal_wanted(void) {
        if (to_journal < 0) {
                const char *e = getenv(TARGET_ENV);
                int t = e ? log_target_from_string(e) : LOG_TARGET_AUTO;

                /* An unknown value means the default: logging must not stop. */
                switch (t < 0 ? LOG_TARGET_AUTO : (log_target) t) {
                case LOG_TARGET_JOURNAL:
                        /* libsystemd drops entries silently when the
                         * socket is missing: keep them on stderr then (a
                         * test's sender needs no socket). */
                        to_journal = journal_send != sd_journal_sendv || access(JOURNAL_SOCKET, F_OK) >= 0;
                        break;
                case LOG_TARGET_STDERR:
                        to_journal = 0;
                        break;
                case LOG_TARGET_AUTO:
                case _LOG_TARGET_MAX:
                        to_journal = log_stderr_is_journal();
                        break;
                }
        }
        return to_journal > 0;
}

_printf_(3, 0)
static void add_field_va(log_record *rec, const char *key, const char *fmt, va_list ap) {
        size_t avail = sizeof rec->buffer - rec->used;
        char *p = rec->buffer + rec->used;
        int k, n;

        /* One slot stays free for MESSAGE. */
        if (rec->n_iov >= LOG_RECORD_FIELDS_MAX - 1)
                return;
        k = snprintf(p, avail, "%s=", key);
        if (k < 0 || (size_t) k >= avail)
                return;
        n = vsnprintf(p + k, avail - k, fmt, ap);
        if (n < 0 || (size_t) n >= avail - k)
                return;
        rec->iov[rec->n_iov++] = (struct iovec) { .iov_base = p, .iov_len = (size_t) k + (size_t) n };
        rec->used += (size_t) k + (size_t) n;
}

static void add_field(log_record *rec, const char *key, const char *fmt, ...) _printf_(3, 4);
static void add_field(log_record *rec, const char *key, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        add_field_va(rec, key, fmt, ap);
        va_end(ap);
}

void log_record_begin(log_record *rec, int level, const char *message_id) {
        rec->level = level;
        rec->wanted = log_get_max_level() >= level;
        rec->structured = rec->wanted && journal_wanted();
        rec->n_iov = 0;
        rec->used = 0;
        if (!rec->structured)
                return;
        add_field(rec, "PRIORITY", "%d", level);
        add_field(rec, "MESSAGE_ID", "%s", message_id);
        /* What the stream would have said; journalctl -t tesserad. */
        add_field(rec, "SYSLOG_IDENTIFIER", "%s", program_invocation_short_name);
}

void log_record_add(log_record *rec, const char *key, const char *fmt, ...) {
        va_list ap;

        if (!rec->structured)
                return;
        va_start(ap, fmt);
        add_field_va(rec, key, fmt, ap);
        va_end(ap);
}

void log_record_emit(log_record *rec, const char *fmt, ...) {
        char message[sizeof "MESSAGE=" + LOG_RECORD_MESSAGE_MAX];
        const size_t prefix = strlen("MESSAGE=");
        va_list ap;
        int n;

        if (!rec->wanted)
                return;
        memcpy(message, "MESSAGE=", prefix);
        va_start(ap, fmt);
        n = vsnprintf(message + prefix, sizeof message - prefix, fmt, ap);
        va_end(ap);
        if (n < 0)
                message[prefix] = '\0';
        /* Read the same as the stderr line: one line, no newline. */
        for (char *p = message + prefix; *p; p++)
                if (*p == '\n')
                        *p = ' ';

        if (rec->structured) {
                rec->iov[rec->n_iov] = (struct iovec) { .iov_base = message, .iov_len = strlen(message) };
                if (journal_send(rec->iov, (int) rec->n_iov + 1) >= 0)
                        return;
        }
        (void) log_internal(rec->level, 0, "%s", message + prefix);
}
