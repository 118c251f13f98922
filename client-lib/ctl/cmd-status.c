/* SPDX-License-Identifier: MIT */

/* tessera status: the accounts' states as a table or JSON, and an exit
 * code that tells whether every shown account serves tokens. A per-user
 * account has an entry per person; only the caller's own is shown unless
 * --all. */

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

/* The columns of the table; OS USER only when a per-user entry is shown. */
typedef enum column {
        COL_ACCOUNT,
        COL_OS_USER,
        COL_STATE,
        COL_USER,
        COL_TENANT,
        COL_EXPIRES,
        COL_NEXT,
        COL_ERROR,
        _COL_MAX,
} column;

static const char *const column_header[_COL_MAX] = {
        [COL_ACCOUNT] = "ACCOUNT",
        [COL_OS_USER] = "OS USER",
        [COL_STATE]   = "STATE",
        [COL_USER]    = "USER",
        [COL_TENANT]  = "TENANT",
        [COL_EXPIRES] = "EXPIRES",
        [COL_NEXT]    = "NEXT REFRESH",
        [COL_ERROR]   = "LAST ERROR",
};

typedef struct row {
        char cell[_COL_MAX][160];
} row;

static void print_row(const char *const cells[_COL_MAX], const int w[_COL_MAX], bool os_user) {
        for (int k = 0; k < _COL_MAX; k++) {
                if (k == COL_OS_USER && !os_user)
                        continue;
                if (k == COL_ERROR)
                        printf("%s\n", cells[k]);
                else
                        printf("%-*s  ", w[k], cells[k]);
        }
}

/* " (OS USER)" after the account's name in messages about a per-user
 * entry, "" for a shared one. */
static const char *entry_whose(const jr_node *a, char *dst, size_t size) {
        char who[64];

        if (entry_is_per_user(a))
                snprintf(dst, size, " (%s)", entry_os_user(a, who, sizeof(who)));
        else
                dst[0] = '\0';
        return dst;
}

static int print_status_table(const jr_node **accts, size_t n) {
        int64_t now = (int64_t) time(NULL);
        row *rows = calloc(n ? n : 1, sizeof(row));
        int w[_COL_MAX];
        bool os_user = false;

        if (!rows)
                return -ENOMEM;
        for (int k = 0; k < _COL_MAX; k++)
                w[k] = (int) strlen(column_header[k]);

        for (size_t i = 0; i < n; i++) {
                char (*c)[160] = rows[i].cell;
                int64_t exp = 0, next = 0;

                safe_text(jr_get_string(accts[i], "name"), c[COL_ACCOUNT], 72);
                entry_os_user(accts[i], c[COL_OS_USER], 64);
                os_user = os_user || entry_is_per_user(accts[i]);
                safe_text(jr_get_string(accts[i], "state"), c[COL_STATE], 32);
                safe_text(jr_get_string(accts[i], "user"), c[COL_USER], 64);
                tenant_text(accts[i], c[COL_TENANT], 64);
                (void) jr_get_int(accts[i], "expires_at", &exp);
                format_relative(exp, now, c[COL_EXPIRES], 40);
                (void) jr_get_int(accts[i], "next_refresh_at", &next);
                format_relative(next, now, c[COL_NEXT], 40);
                safe_text(jr_get_string(accts[i], "last_error"), c[COL_ERROR], 160);

                for (int k = 0; k < _COL_MAX; k++)
                        if ((int) strlen(c[k]) > w[k])
                                w[k] = (int) strlen(c[k]);
        }

        print_row(column_header, w, os_user);
        for (size_t i = 0; i < n; i++) {
                const char *cells[_COL_MAX];
                for (int k = 0; k < _COL_MAX; k++)
                        cells[k] = rows[i].cell[k];
                print_row(cells, w, os_user);
        }

        for (size_t i = 0; i < n; i++) {
                char scopes[512], whose[80];
                format_scopes(jr_get(accts[i], "scope_missing"), scopes, sizeof(scopes));
                if (scopes[0])
                        printf("%s%s: missing scopes: %s\n", rows[i].cell[COL_ACCOUNT],
                               entry_whose(accts[i], whose, sizeof(whose)), scopes);
        }
        free(rows);
        return 0;
}

/* The status document with only the shown entries in "accounts". */
static void print_status_json(const jr_node *root, const jr_node *list, const jr_node **shown, size_t n) {
        fputc('{', stdout);
        for (const jr_node *m = root->child; m; m = m->next) {
                if (m != root->child)
                        fputc(',', stdout);
                json_write_string(stdout, m->key);
                fputc(':', stdout);
                if (m != list) {
                        json_write(stdout, m);
                        continue;
                }
                fputc('[', stdout);
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                fputc(',', stdout);
                        json_write(stdout, shown[i]);
                }
                fputc(']', stdout);
        }
        fputs("}\n", stdout);
}

/* The exit code of the shown entries, with a line for each that needs
 * attention (not with --json). */
static int status_verdict(ctx *x, const jr_node **shown, size_t n) {
        int ret = EXIT_OK;

        for (size_t i = 0; i < n; i++) {
                const char *st = jr_get_string(shown[i], "state");
                char name[72], whose[80], who[64], when[40];

                safe_text(jr_get_string(shown[i], "name"), name, sizeof(name));
                entry_whose(shown[i], whose, sizeof(whose));
                if (state_needs_login(st)) {
                        ret = EXIT_LOGIN;
                        if (x->json)
                                continue;
                        if (!entry_is_per_user(shown[i]))
                                fprintf(stderr, "tessera: account \"%s\" is not logged in; run: tessera login %s\n",
                                        name, name);
                        else if (entry_is_own(x, shown[i], NULL))
                                fprintf(stderr, "tessera: you are not logged in to account \"%s\"; "
                                        "run: tessera login %s\n", name, name);
                        else
                                fprintf(stderr, "tessera: user %s is not logged in to account \"%s\"; "
                                        "they can run: tessera login %s\n", entry_os_user(shown[i], who, sizeof(who)),
                                        name, name);
                } else if (!state_serves(st)) {
                        if (ret == EXIT_OK)
                                ret = EXIT_FAIL;
                } else if (strcmp(st, "degraded") == 0 && !x->json) {
                        int64_t exp = 0;
                        (void) jr_get_int(shown[i], "expires_at", &exp);
                        format_relative(exp, (int64_t) time(NULL), when, sizeof(when));
                        fprintf(stderr, "tessera: warning: account \"%s\"%s cannot reach the identity provider; "
                                "its token is still served (expires %s)\n", name, whose, when);
                }
        }
        return ret;
}

int cmd_status(ctx *x, const char *account) {
        response resp = {};
        const jr_node *root, *list, **shown = NULL;
        size_t n = 0, hidden = 0;
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
                if (a->type != JR_OBJECT || !name || (account && strcmp(name, account) != 0))
                        continue;
                /* Admins get everyone's sessions; without --all only the
                 * caller's own is shown. */
                if (x->all || entry_is_own(x, a, NULL))
                        shown[n++] = a;
                else
                        hidden++;
        }

        if (n == 0 && hidden > 0) {
                /* Only other people's sessions: an admin who has none. */
                if (account)
                        fprintf(stderr, "tessera: %s has no session in account \"%s\"; log in with: tessera login %s, "
                                "or see everyone's with: tessera status %s --all\n", user_name(), account, account,
                                account);
                else
                        fprintf(stderr, "tessera: %s has no session in any account; log in with: tessera login "
                                "ACCOUNT, or see everyone's with: tessera status --all\n", user_name());
                ret = EXIT_LOGIN;
                goto out;
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

        if (x->json)
                print_status_json(root, list, shown, n);
        else if (print_status_table(shown, n) < 0) {
                ret = report(x, TESSERA_E_NOMEM, "", ACT_READ);
                goto out;
        }
        ret = status_verdict(x, shown, n);
out:
        free(shown);
        response_done(&resp);
        return ret;
}
