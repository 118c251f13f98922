/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "peer/audit.h"
#include "util/log.h"

void audit_token_hash(const char *token, char ret[static 17]) {
        unsigned char h[8];

        crypto_generichash(h, sizeof h, (const unsigned char *) token, strlen(token), NULL, 0);
        sodium_bin2hex(ret, 17, h, sizeof h);
}

/* A value from the IdP, printed only if it cannot break the line. */
const char *audit_loggable(const char *v) {
        if (!v)
                return "-";
        if (*v == '\0' || strlen(v) > 255)
                return "?";
        for (const char *c = v; *c; c++)
                if (*c <= ' ' || *c >= 0x7f)
                        return "?";
        return v;
}

void audit_token_served(const char *account, const peer *p, const char *sub, uid_t session_uid,
                        const char *token, char memo[static 17]) {
        _cleanup_(freep) char *exe = NULL, *unit = NULL;
        char owner[32] = "";

        if (memo[0] == '\0')
                audit_token_hash(token, memo);
        if (session_uid != (uid_t) -1)
                (void) snprintf(owner, sizeof owner, " session_uid=%u", (unsigned) session_uid);
        if (peer_describe(p, &exe, &unit) < 0)
                exe = unit = NULL;
        log_info("audit: token account=%s pid=%d uid=%u gid=%u exe=%s unit=%s os_user=%s sub=%s%s token_hash=%s",
                 account, (int) p->pid, (unsigned) p->uid, (unsigned) p->gid, exe ? exe : "?", unit ? unit : "?",
                 peer_user_name(p), audit_loggable(sub), owner, memo);
}
