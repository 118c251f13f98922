/* SPDX-License-Identifier: MIT */
/* audit.c: the token's audit hash, and its memo (computed once per token,
 * the memo's value used as is afterwards). The log lines go to a pipe and
 * are read back; the journal entries go to a stand-in for sd_journal_sendv(). */
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "peer/audit.h"
#include "util/log-ids.h"
#include "util/log-record.h"
#include "tests.h"

/* The entry as sd_journal_sendv() would get it, one field a line. */
static char entry[16384];

static int fake_send(const struct iovec *iov, int n) {
        size_t used = 0;

        for (int i = 0; i < n; i++) {
                CHECK(used + iov[i].iov_len + 2 < sizeof entry);
                memcpy(entry + used, iov[i].iov_base, iov[i].iov_len);
                used += iov[i].iov_len;
                entry[used++] = '\n';
        }
        entry[used] = '\0';
        return 0;
}

static void test_journal(const char *token, const char *hash) {
        peer p = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
        char memo[17] = "";
        const audit_session s = { .account = "default", .store_key = "default@1000", .uid = 1000,
                                  .os_user = "alice", .sub = "sub-alice" };

        CHECK(setenv("TESSERAD_LOG_TARGET", "journal", 1) == 0);
        log_target_reset();
        log_set_journal_sender(fake_send);

        audit_token_served("default", &p, "sub-alice", 1000, token, memo);
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_TOKEN_SERVED "\n"));
        CHECK(strstr(entry, "PRIORITY=6\n"));
        CHECK(strstr(entry, "\nTESSERA_ACCOUNT=default\n"));
        CHECK(strstr(entry, "\nTESSERA_SESSION_UID=1000\n"));
        CHECK(strstr(entry, "\nTESSERA_SUB=sub-alice\n"));
        CHECK(strstr(entry, "\nTESSERA_UNIT="));
        CHECK(strstr(entry, "\nTESSERA_EXE="));
        CHECK(strstr(entry, "\nTESSERA_OS_USER="));
        CHECK(strstr(entry, "\nTESSERA_TOKEN_HASH="));
        CHECK(strstr(entry, hash));
        CHECK(strstr(entry, "\nMESSAGE=audit: token account=default pid="));
        CHECK(strstr(entry, " sub=sub-alice session_uid=1000 token_hash="));
        CHECK(!strstr(entry, "a-test-token"));

        audit_api_call("default", &(const audit_caller) { .pid = 7, .uid = 1000, .gid = 100, .exe = "/usr/bin/x" },
                       NULL, (uid_t) -1, "GET", "/v2/patients", 200, 12);
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_API_CALL "\n"));
        CHECK(strstr(entry, "\nTESSERA_PID=7\n"));
        CHECK(strstr(entry, "\nTESSERA_UNIT=?\n"));
        CHECK(strstr(entry, "\nTESSERA_METHOD=GET\nTESSERA_PATH=/v2/patients\nTESSERA_STATUS=200\n"));
        CHECK(!strstr(entry, "TESSERA_SESSION_UID"));
        CHECK(strstr(entry, "\nMESSAGE=audit: api account=default pid=7 uid=1000 gid=100 exe=/usr/bin/x unit=? "
                            "os_user=? sub=- method=GET path=/v2/patients status=200 duration_ms=12\n"));

        audit_state_changed(&s, "valid", "needs_login", LOG_INFO);
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_STATE_CHANGED "\n"));
        CHECK(strstr(entry, "\nTESSERA_STATE=needs_login\nTESSERA_OLD_STATE=valid\n"));
        CHECK(strstr(entry, "\nTESSERA_OS_USER=alice\n"));
        CHECK(strstr(entry, "\nMESSAGE=account default@1000: state needs_login (was valid)\n"));
        /* The routine ones stay below the default level. */
        entry[0] = '\0';
        audit_state_changed(&s, "valid", "refreshing", LOG_DEBUG);
        CHECK(entry[0] == '\0');

        audit_login(&s, "device", false, NULL, NULL, "access_denied", "the user said no");
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_LOGIN "\n"));
        CHECK(strstr(entry, "PRIORITY=4\n"));
        CHECK(strstr(entry, "\nTESSERA_FLOW=device\nTESSERA_RESULT=failure\nTESSERA_ERROR=access_denied\n"));
        CHECK(strstr(entry, "\nMESSAGE=account default@1000: login failed (access_denied): the user said no\n"));

        audit_logout(&s, &p);
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_LOGOUT "\n"));
        CHECK(strstr(entry, "\nMESSAGE=account default@1000: logged out by uid "));

        audit_session_ended(&s);
        CHECK(strstr(entry, "MESSAGE_ID=" LOG_ID_SESSION_ENDED "\n"));
        CHECK(strstr(entry, "\nMESSAGE=account default@1000: uid 1000 has no desktop session left; "
                            "revoking and erasing its session\n"));

        CHECK(unsetenv("TESSERAD_LOG_TARGET") == 0);
        log_target_reset();
        log_set_journal_sender(NULL);
        peer_done(&p);
}

int main(void) {
        const char *token = "eyJhbGciOiJSUzI1NiJ9.a-test-token.signature";
        peer p = { .pid = getpid(), .uid = getuid(), .gid = getgid() };
        char expect[17], memo[17] = "", line[4096];
        int fd, saved;

        CHECK(sodium_init() >= 0);
        log_set_max_level(LOG_INFO);

        audit_token_hash(token, expect);
        CHECK(strlen(expect) == 16);
        CHECK(strspn(expect, "0123456789abcdef") == 16);

        /* First hand-out: the memo is filled with the token's hash, and the
         * line names it, never the token. */
        fd = stderr_capture_begin(&saved);
        audit_token_served("default", &p, "sub-alice", (uid_t) -1, token, memo);
        stderr_capture_end(fd, saved, line, sizeof line);
        CHECK(streq(memo, expect));
        CHECK(strstr(line, " sub=sub-alice "));
        CHECK(strstr(line, " os_user="));
        CHECK(!strstr(line, "session_uid="));
        CHECK(strstr(line, "audit: token account=default"));
        CHECK(strstr(line, expect));
        CHECK(!strstr(line, "a-test-token"));

        /* Later hand-outs use the memo as it is. */
        memcpy(memo, "0123456789abcdef", 17);
        fd = stderr_capture_begin(&saved);
        audit_token_served("default", &p, NULL, 1000, token, memo);
        stderr_capture_end(fd, saved, line, sizeof line);
        CHECK(strstr(line, "token_hash=0123456789abcdef"));
        /* One person's session says whose; an unknown sub is "-". */
        CHECK(strstr(line, " sub=- session_uid=1000 "));

        /* A sub that could break the line is not printed. */
        CHECK(streq(audit_loggable("a b"), "?"));
        CHECK(streq(audit_loggable("x\ny"), "?"));
        CHECK(streq(audit_loggable(""), "?"));
        CHECK(streq(audit_loggable(NULL), "-"));
        CHECK(streq(audit_loggable("248289761001"), "248289761001"));

        peer_done(&p);

        test_journal(token, expect);
        return 0;
}
