/* SPDX-License-Identifier: MIT */

/* tessera token and tessera accounts. The token goes straight from the
 * answer's buffer, wiped afterwards, to standard output, never through
 * stdio. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "wipe.h"

int cmd_accounts(ctx *x, const char *account) {
        response resp = {};
        const jr_node *list;
        bool first = true;
        int r;

        r = daemon_call(x, "GET", "/v1/status", NULL, 0, &resp);
        if (r < 0)
                return report(x, r, "default", ACT_READ);

        list = jr_get(jr_root(resp.doc), "accounts");
        if (!list || list->type != JR_ARRAY) {
                response_done(&resp);
                return report(x, TESSERA_E_PROTOCOL, "", ACT_READ);
        }

        if (x->json)
                fputc('[', stdout);
        for (const jr_node *a = list->child; a; a = a->next) {
                const char *name = jr_get_string(a, "name");
                if (!name)
                        continue;
                if (x->json) {
                        if (!first)
                                fputc(',', stdout);
                        json_write_string(stdout, name);
                } else {
                        char safe[72];
                        puts(safe_text(name, safe, sizeof(safe)));
                }
                first = false;
        }
        if (x->json)
                fputs("]\n", stdout);

        response_done(&resp);
        return EXIT_OK;
}

/* The token as the library would accept it: it goes into an HTTP header,
 * so printable ASCII without spaces. */
static bool token_is_valid(const jr_node *n) {
        if (!n || n->type != JR_STRING || n->len == 0)
                return false;
        for (size_t i = 0; i < n->len; i++)
                if ((unsigned char) n->str[i] <= 0x20 || (unsigned char) n->str[i] >= 0x7F)
                        return false;
        return true;
}

/* One request for both outputs, so that an error keeps the daemon's
 * message (whose session is missing) and --user can add ?uid=. */
int cmd_token(ctx *x, const char *account) {
        char path[160], query[32] = "", *buf = NULL;
        size_t len = 0;
        response resp = {};
        int r;

        /* Flush anything buffered so the token never sits in stdio's buffer. */
        fflush(stdout);

        if (x->have_min_valid)
                snprintf(query, sizeof(query), "min_valid=%u", x->min_valid);
        if (account_path(x, account, "token", query[0] ? query : NULL, path, sizeof(path)) < 0)
                return report(x, TESSERA_E_INVALID, account, ACT_READ);
        r = daemon_call(x, "GET", path, NULL, 0, &resp);
        if (r < 0)
                return report(x, r, account, ACT_READ);

        if (x->json) {
                FILE *f = open_memstream(&buf, &len);
                if (!f) {
                        response_done(&resp);
                        return report(x, TESSERA_E_NOMEM, account, ACT_READ);
                }
                json_write_line(f, jr_root(resp.doc));
                r = fclose(f) == 0 ? 0 : -ENOMEM;
                if (r == 0)
                        r = write_all(STDOUT_FILENO, &(struct iovec) { buf, len }, 1);
                wipe(buf, len);
                free(buf);
        } else {
                /* The reader decodes in place: the token lies in resp.body,
                 * which response_done() wipes. */
                const jr_node *t = jr_get(jr_root(resp.doc), "access_token");
                if (!token_is_valid(t)) {
                        response_done(&resp);
                        return report(x, TESSERA_E_PROTOCOL, account, ACT_READ);
                }
                struct iovec iov[2] = { { (void *) t->str, t->len }, { (void *) "\n", 1 } };
                r = write_all(STDOUT_FILENO, iov, 2);
        }
        response_done(&resp);

        if (r < 0) {
                fprintf(stderr, "tessera: cannot write the token to standard output (%s)\n", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}
