/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "peer/audit.h"
#include "util/log.h"

void audit_token_hash(const char *token, char ret[static 17]) {
        unsigned char h[8];

        crypto_generichash(h, sizeof h, (const unsigned char *) token, strlen(token), NULL, 0);
        sodium_bin2hex(ret, 17, h, sizeof h);
}

void audit_token_served(const char *account, const peer *p, const char *token, char memo[static 17]) {
        _cleanup_(freep) char *exe = NULL, *unit = NULL;
        const char *hash;

        if (memo[0] == '\0')
                audit_token_hash(token, memo);
        hash = memo;
        if (peer_describe(p, &exe, &unit) < 0) {
                log_info("audit: token account=%s pid=%d uid=%u gid=%u token_hash=%s",
                         account, (int) p->pid, (unsigned) p->uid, (unsigned) p->gid, hash);
                return;
        }
        log_info("audit: token account=%s pid=%d uid=%u gid=%u exe=%s unit=%s token_hash=%s",
                 account, (int) p->pid, (unsigned) p->uid, (unsigned) p->gid, exe, unit, hash);
}
