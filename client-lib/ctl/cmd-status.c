/* SPDX-License-Identifier: MIT */

/* tessera status: the accounts' states as a table or JSON, and an exit
 * code that tells whether every shown account serves tokens. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "output.h"

static bool state_needs_login(const char *s) {
        return s && (strcmp(s, "logged_out") == 0 || strcmp(s, "needs_login") == 0 ||
                     strcmp(s, "login_pending") == 0);
}

static bool state_serves(const char *s) {
        return s && (strcmp(s, "valid") == 0 || strcmp(s, "refreshing") == 0 || strcmp(s, "degraded") == 0);
}

typedef struct row {
        char name[72], state[32], user[64], tenant[64], expires[40], next[40], error[160];
} row;

static int print_status_table(const jr_node **accts, size_t n) {
        int64_t now = (int64_t) time(NULL);
        row *rows = calloc(n ? n : 1, sizeof(row));
        int w[6] = { 7, 5, 4, 6, 7, 12 };       /* widths of the header words */

        if (!rows)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                int64_t exp = 0, next = 0;

                safe_text(jr_get_string(accts[i], "name"), rows[i].name, sizeof(rows[i].name));
                safe_text(jr_get_string(accts[i], "state"), rows[i].state, sizeof(rows[i].state));
                safe_text(jr_get_string(accts[i], "user"), rows[i].user, sizeof(rows[i].user));
                tenant_text(accts[i], rows[i].tenant, sizeof(rows[i].tenant));
                (void) jr_get_int(accts[i], "expires_at", &exp);
                format_relative(exp, now, rows[i].expires, sizeof(rows[i].expires));
                (void) jr_get_int(accts[i], "next_refresh_at", &next);
                format_relative(next, now, rows[i].next, sizeof(rows[i].next));
                safe_text(jr_get_string(accts[i], "last_error"), rows[i].error, sizeof(rows[i].error));

                const char *cols[6] = { rows[i].name, rows[i].state, rows[i].user, rows[i].tenant,
                                        rows[i].expires, rows[i].next };
                for (int k = 0; k < 6; k++)
                        if ((int) strlen(cols[k]) > w[k])
                                w[k] = (int) strlen(cols[k]);
        }

        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], "ACCOUNT", w[1], "STATE", w[2], "USER",
               w[3], "TENANT", w[4], "EXPIRES", w[5], "NEXT REFRESH", "LAST ERROR");
        for (size_t i = 0; i < n; i++)
                printf("%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", w[0], rows[i].name, w[1], rows[i].state,
                       w[2], rows[i].user, w[3], rows[i].tenant, w[4], rows[i].expires, w[5], rows[i].next,
                       rows[i].error);

        for (size_t i = 0; i < n; i++) {
                char scopes[512];
                format_scopes(jr_get(accts[i], "scope_missing"), scopes, sizeof(scopes));
                if (scopes[0])
                        printf("%s: missing scopes: %s\n", rows[i].name, scopes);
        }
        free(rows);
        return 0;
}

int cmd_status(ctx *x, const char *account) {
        response resp = {};
        const jr_node *root, *list, **shown = NULL;
        size_t n = 0;
        int r, ret = EXIT_OK;

        r = daemon_call(x, "GET", "/v1/status", NULL, 0, &resp);
        if (r < 0)
                return report(x, r, account ? account : "default", ACT_READ);

        root = jr_root(resp.doc);
        list = jr_get(root, "accounts");
        if (!list || list->type != JR_ARRAY) {
                response_done(&resp);
                return report(x, TESSERA_E_PROTOCOL, "", ACT_READ);
        }

        shown = calloc(list->n_children + 1, sizeof(*shown));
        if (!shown) {
                response_done(&resp);
                return report(x, TESSERA_E_NOMEM, "", ACT_READ);
        }
        for (const jr_node *a = list->child; a; a = a->next) {
                const char *name = jr_get_string(a, "name");
                if (a->type != JR_OBJECT || !name)
                        continue;
                if (!account || strcmp(name, account) == 0)
                        shown[n++] = a;
        }

        if (account && n == 0) {
                fprintf(stderr, "tessera: no account \"%s\" is configured or visible to %s; "
                        "list them with: tessera accounts\n", account, user_name());
                ret = EXIT_FAIL;
                goto out;
        }
        if (n == 0) {
                fprintf(stderr, "tessera: no account is visible to %s; an admin must add the user to an "
                        "account's users in tessera.conf\n", user_name());
                ret = EXIT_FAIL;
                goto out;
        }

        if (x->json) {
                if (!account)
                        json_write(stdout, root);
                else {
                        /* The same document with only the chosen account. */
                        fputc('{', stdout);
                        for (const jr_node *m = root->child; m; m = m->next) {
                                if (m != root->child)
                                        fputc(',', stdout);
                                json_write_string(stdout, m->key);
                                fputc(':', stdout);
                                if (m == list) {
                                        fputc('[', stdout);
                                        json_write(stdout, shown[0]);
                                        fputc(']', stdout);
                                } else
                                        json_write(stdout, m);
                        }
                        fputc('}', stdout);
                }
                fputc('\n', stdout);
        } else if (print_status_table(shown, n) < 0) {
                ret = report(x, TESSERA_E_NOMEM, "", ACT_READ);
                goto out;
        }

        for (size_t i = 0; i < n; i++) {
                const char *st = jr_get_string(shown[i], "state");
                char name[72], when[40];

                safe_text(jr_get_string(shown[i], "name"), name, sizeof(name));
                if (state_needs_login(st)) {
                        if (!x->json)
                                fprintf(stderr, "tessera: account \"%s\" is not logged in; run: tessera login %s\n",
                                        name, name);
                        ret = EXIT_LOGIN;
                } else if (!state_serves(st)) {
                        if (ret == EXIT_OK)
                                ret = EXIT_FAIL;
                } else if (strcmp(st, "degraded") == 0 && !x->json) {
                        int64_t exp = 0;
                        (void) jr_get_int(shown[i], "expires_at", &exp);
                        format_relative(exp, (int64_t) time(NULL), when, sizeof(when));
                        fprintf(stderr, "tessera: warning: account \"%s\" cannot reach the identity provider; "
                                "its token is still served (expires %s)\n", name, when);
                }
        }
out:
        free(shown);
        response_done(&resp);
        return ret;
}
