/* SPDX-License-Identifier: MIT */
/* log-record.c: the journal-or-stderr choice ($JOURNAL_STREAM against
 * stderr, $TESSERAD_LOG_TARGET), the fields as sd_journal_sendv() would get
 * them (a sender stands in for the journal), the stderr line unchanged. */
#include <sys/stat.h>
#include <unistd.h>

#include "util/log-record.h"
#include "tests.h"

#define ID "33575faf40354375b09ec7238eaecf69"

static char sent[LOG_RECORD_FIELDS_MAX][LOG_RECORD_BUFFER];
static int n_sent = -1, sender_result;

static int fake_send(const struct iovec *iov, int n) {
        CHECK(n > 0 && (unsigned) n <= LOG_RECORD_FIELDS_MAX);
        for (int i = 0; i < n; i++) {
                CHECK(iov[i].iov_len < sizeof sent[i]);
                memcpy(sent[i], iov[i].iov_base, iov[i].iov_len);
                sent[i][iov[i].iov_len] = '\0';
        }
        n_sent = n;
        return sender_result;
}

static const char *field(const char *key) {
        size_t k = strlen(key);

        for (int i = 0; i < n_sent; i++)
                if (strncmp(sent[i], key, k) == 0 && sent[i][k] == '=')
                        return sent[i] + k + 1;
        return NULL;
}

static void use_target(const char *t) {
        if (t)
                CHECK(setenv("TESSERAD_LOG_TARGET", t, 1) == 0);
        else
                CHECK(unsetenv("TESSERAD_LOG_TARGET") == 0);
        log_target_reset();
        n_sent = -1;
}

static void test_journal_stream(void) {
        struct stat st;
        char v[64];

        CHECK(fstat(STDERR_FILENO, &st) == 0);
        CHECK(unsetenv("JOURNAL_STREAM") == 0);
        CHECK(!log_stderr_is_journal());
        (void) snprintf(v, sizeof v, "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        CHECK(setenv("JOURNAL_STREAM", v, 1) == 0);
        CHECK(log_stderr_is_journal());
        /* An inherited variable that names another file is not ours. */
        (void) snprintf(v, sizeof v, "%llu:%llu", (unsigned long long) st.st_dev,
                        (unsigned long long) st.st_ino + 1);
        CHECK(setenv("JOURNAL_STREAM", v, 1) == 0);
        CHECK(!log_stderr_is_journal());
        CHECK(setenv("JOURNAL_STREAM", "12", 1) == 0);
        CHECK(!log_stderr_is_journal());
        CHECK(setenv("JOURNAL_STREAM", "1:2x", 1) == 0);
        CHECK(!log_stderr_is_journal());
        CHECK(setenv("JOURNAL_STREAM", ":", 1) == 0);
        CHECK(!log_stderr_is_journal());
        CHECK(unsetenv("JOURNAL_STREAM") == 0);

        CHECK(log_target_from_string("auto") == LOG_TARGET_AUTO);
        CHECK(log_target_from_string("journal") == LOG_TARGET_JOURNAL);
        CHECK(log_target_from_string("stderr") == LOG_TARGET_STDERR);
        CHECK(log_target_from_string("syslog") < 0);
}

static void test_fields(void) {
        log_record rec;

        use_target("journal");
        log_record_begin(&rec, LOG_WARNING, ID);
        CHECK(rec.structured);
        log_record_add(&rec, "TESSERA_ACCOUNT", "%s", "default");
        log_record_add(&rec, "TESSERA_UID", "%u", 1000U);
        log_record_emit(&rec, "account %s: two\nlines", "default");
        CHECK(n_sent == 6);
        CHECK_STREQ(field("PRIORITY"), "4");
        CHECK_STREQ(field("MESSAGE_ID"), ID);
        CHECK_STREQ(field("SYSLOG_IDENTIFIER"), program_invocation_short_name);
        CHECK_STREQ(field("TESSERA_ACCOUNT"), "default");
        CHECK_STREQ(field("TESSERA_UID"), "1000");
        /* The message reads as the stderr line does: one line. */
        CHECK_STREQ(field("MESSAGE"), "account default: two lines");
}

static void test_limits(void) {
        static char big[LOG_RECORD_BUFFER];
        log_record rec;

        use_target("journal");
        memset(big, 'x', sizeof big - 1);
        log_record_begin(&rec, LOG_INFO, ID);
        log_record_add(&rec, "TESSERA_EXE", "%s", big);
        log_record_add(&rec, "TESSERA_UNIT", "%s", "a.service");
        for (int i = 0; i < 40; i++)
                log_record_add(&rec, "TESSERA_PID", "%d", i);
        log_record_emit(&rec, "many");
        /* Too big a field is left out whole; fields stop at the limit and
         * the MESSAGE still goes. */
        CHECK(n_sent == (int) LOG_RECORD_FIELDS_MAX);
        CHECK(!field("TESSERA_EXE"));
        CHECK_STREQ(field("TESSERA_UNIT"), "a.service");
        CHECK_STREQ(field("MESSAGE"), "many");
}

static void test_stderr(void) {
        char line[512];
        log_record rec;
        int fd, saved;

        /* Not under journald: the old line, no field formatted. */
        use_target(NULL);
        CHECK(unsetenv("JOURNAL_STREAM") == 0);
        fd = stderr_capture_begin(&saved);
        log_record_begin(&rec, LOG_INFO, ID);
        log_record_add(&rec, "TESSERA_ACCOUNT", "%s", "default");
        CHECK(rec.n_iov == 0);
        log_record_emit(&rec, "audit: token account=%s", "default");
        stderr_capture_end(fd, saved, line, sizeof line);
        CHECK(n_sent == -1);
        CHECK_STREQ(line, "<6>audit: token account=default\n");

        /* The journal refuses it: stderr has it. */
        use_target("journal");
        sender_result = -ECONNREFUSED;
        fd = stderr_capture_begin(&saved);
        log_record_begin(&rec, LOG_INFO, ID);
        log_record_emit(&rec, "kept");
        stderr_capture_end(fd, saved, line, sizeof line);
        CHECK(n_sent == 4);
        CHECK_STREQ(line, "<6>kept\n");
        sender_result = 0;

        /* Below the level: nothing anywhere. */
        use_target("journal");
        fd = stderr_capture_begin(&saved);
        log_record_begin(&rec, LOG_DEBUG, ID);
        CHECK(!rec.wanted && !rec.structured);
        log_record_emit(&rec, "quiet");
        stderr_capture_end(fd, saved, line, sizeof line);
        CHECK(n_sent == -1);
        CHECK_STREQ(line, "");
}

int main(void) {
        log_set_max_level(LOG_INFO);
        log_set_journal_sender(fake_send);
        test_journal_stream();
        test_fields();
        test_limits();
        test_stderr();
        return 0;
}
