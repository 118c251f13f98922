/* SPDX-License-Identifier: MIT */
/* Writes a session into a state dir through the store module, for tests
 * that need a logged-in account without a login (see the Foundation
 * issue). The tokens come on stdin, one per line (access, then refresh),
 * so they never show up in a process listing.
 *
 * Usage: seed-session STATE_DIR ACCOUNT ISSUER EXPIRES_IN [USER [TENANT_ID [TENANT_NAME [SCOPE]]]] */

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/secret.h"
#include "store/session.h"
#include "store/store.h"

static char *read_line(void) {
        char buf[8192];
        size_t n;

        if (!fgets(buf, sizeof buf, stdin))
                return NULL;
        n = strcspn(buf, "\r\n");
        buf[n] = '\0';
        char *s = n > 0 ? secret_strdup(buf) : NULL;
        sodium_memzero(buf, sizeof buf);
        return s;
}

int main(int argc, char *argv[]) {
        _cleanup_(store_freep) store *st = NULL;
        _cleanup_(session_freep) session *s = NULL;
        int r;

        if (argc < 5) {
                fprintf(stderr, "usage: seed-session STATE_DIR ACCOUNT ISSUER EXPIRES_IN [USER [TENANT_ID [TENANT_NAME [SCOPE]]]]\n");
                return 2;
        }
        if (sodium_init() < 0)
                return 1;

        s = session_new();
        if (!s)
                return 1;
        s->access_token = read_line();
        s->refresh_token = read_line();
        if (!s->access_token) {
                fprintf(stderr, "seed-session: no access token on stdin\n");
                return 1;
        }
        s->refreshed_at = (int64_t) time(NULL);
        s->expires_at = s->refreshed_at + strtoll(argv[4], NULL, 10);
        if (session_set_string(&s->sub, "sub-seeded") < 0 ||
            session_set_string(&s->user, argc > 5 ? argv[5] : "Seeded User") < 0 ||
            session_set_string(&s->tenant_id, argc > 6 ? argv[6] : "t-100") < 0 ||
            session_set_string(&s->tenant_name, argc > 7 ? argv[7] : "Clinica Seed") < 0 ||
            session_set_string(&s->scope, argc > 8 ? argv[8] : "openid offline_access giponext.patients giponext.agenda") < 0)
                return 1;

        r = store_open(argv[1], &st);
        if (r < 0) {
                fprintf(stderr, "seed-session: cannot open store: %s\n", strerror(-r));
                return 1;
        }
        r = store_save(st, argv[2], argv[3], s);
        if (r < 0) {
                fprintf(stderr, "seed-session: cannot save: %s\n", strerror(-r));
                return 1;
        }
        return 0;
}
