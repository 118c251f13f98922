/* SPDX-License-Identifier: MIT */
/* audit.c: the token's audit hash, and its memo (computed once per token,
 * the memo's value used as is afterwards). The log lines go to a pipe and
 * are read back. */
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "peer/audit.h"
#include "util/log.h"
#include "tests.h"

static int capture_begin(int *ret_saved) {
        int p[2];

        CHECK(pipe2(p, O_NONBLOCK) == 0);
        *ret_saved = dup(STDERR_FILENO);
        CHECK(*ret_saved >= 0);
        CHECK(dup2(p[1], STDERR_FILENO) == STDERR_FILENO);
        close(p[1]);
        return p[0];
}

static void capture_end(int fd, int saved, char *buf, size_t size) {
        ssize_t n;

        fflush(stderr);
        CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
        close(saved);
        n = read(fd, buf, size - 1);
        CHECK(n > 0);
        buf[n] = '\0';
        close(fd);
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
        fd = capture_begin(&saved);
        audit_token_served("default", &p, "sub-alice", (uid_t) -1, token, memo);
        capture_end(fd, saved, line, sizeof line);
        CHECK(streq(memo, expect));
        CHECK(strstr(line, " sub=sub-alice "));
        CHECK(strstr(line, " os_user="));
        CHECK(!strstr(line, "session_uid="));
        CHECK(strstr(line, "audit: token account=default"));
        CHECK(strstr(line, expect));
        CHECK(!strstr(line, "a-test-token"));

        /* Later hand-outs use the memo as it is. */
        memcpy(memo, "0123456789abcdef", 17);
        fd = capture_begin(&saved);
        audit_token_served("default", &p, NULL, 1000, token, memo);
        capture_end(fd, saved, line, sizeof line);
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
        return 0;
}
