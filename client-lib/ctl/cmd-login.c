/* SPDX-License-Identifier: MIT */

/* tessera login (browser or device code flow, then waiting for the daemon
 * to finish it) and tessera logout. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "qr.h"

#define LOGIN_POLL_WAIT_S 25U
#define LOGIN_POLL_TIMEOUT_MS ((LOGIN_POLL_WAIT_S + 15U) * 1000U)
#define LOGIN_START_TIMEOUT_MS 60000U

int cmd_logout(ctx *x, const char *account) {
        response resp = {};
        char path[160];
        int r;

        if (account_path(x, account, "logout", NULL, path, sizeof(path)) < 0)
                return report(x, TESSERA_E_INVALID, account, ACT_ADMIN);
        r = daemon_call(x, "POST", path, "{}", LOGIN_START_TIMEOUT_MS, &resp);
        if (r < 0)
                return report(x, r, account, ACT_ADMIN);

        /* A 2xx answer always has a document: an empty body reads as {}. */
        if (x->json)
                json_write_line(stdout, jr_root(resp.doc));
        else if (x->have_uid)
                printf("Logged out %s of account \"%s\".\n", x->user_arg, account);
        else
                printf("Logged out of account \"%s\".\n", account);
        response_done(&resp);
        return EXIT_OK;
}

static void open_browser(const char *url) {
        pid_t pid = fork();

        if (pid < 0)
                return;
        if (pid == 0) {
                /* Double fork: the browser launcher is not our child to reap. */
                if (fork() != 0)
                        _exit(0);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null >= 0) {
                        dup2(null, STDIN_FILENO);
                        dup2(null, STDOUT_FILENO);
                        dup2(null, STDERR_FILENO);
                }
                setsid();
                execlp("xdg-open", "xdg-open", url, (char *) NULL);
                _exit(127);
        }
        (void) waitpid(pid, NULL, 0);
}

static bool graphical_session(void) {
        const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
        return (d && *d) || (w && *w);
}

/* Prints the outcome of a finished login. */
static int login_done(ctx *x, const char *account, const jr_node *state) {
        response st = {};
        const jr_node *acct = NULL;
        char user[128], tname[128], tid[128], scopes[512] = "";

        safe_text(jr_get_string(state, "user"), user, sizeof(user));
        tenant_text(state, tid, sizeof(tid));
        safe_text(NULL, tname, sizeof(tname));

        /* tenant_name and scope_missing are only in the status. */
        if (daemon_call(x, "GET", "/v1/status", NULL, 0, &st) >= 0) {
                const jr_node *list = jr_get(jr_root(st.doc), "accounts");
                for (const jr_node *a = list && list->type == JR_ARRAY ? list->child : NULL; a; a = a->next) {
                        /* A per-user account lists a session per person. */
                        if (entry_is_own(x, a, account))
                                acct = a;
                }
                if (acct) {
                        const char *u = jr_get_string(acct, "user");
                        if (u && *u)
                                safe_text(u, user, sizeof(user));
                        safe_text(jr_get_string(acct, "tenant_name"), tname, sizeof(tname));
                        (void) json_scalar_text(jr_get(acct, "tenant_id"), tid, sizeof(tid));
                        format_scopes(jr_get(acct, "scope_missing"), scopes, sizeof(scopes));
                }
        }

        if (x->json) {
                json_write_line(stdout, state);
        } else {
                printf("Logged in as %s (tenant %s, id %s)\n", user, tname, tid);
                if (scopes[0])
                        printf("missing scopes: %s\n", scopes);
        }
        response_done(&st);
        return EXIT_OK;
}

static int login_failed(ctx *x, const char *account, const jr_node *state) {
        const char *err = jr_get_string(state, "error");
        char msg[256];

        safe_text(err, msg, sizeof(msg));
        if (x->json) {
                json_write_line(stdout, state);
        }

        if (err && (strstr(err, "tenant_not_allowed") || strstr(err, "forbidden"))) {
                fprintf(stderr, "tessera: login to account \"%s\" was refused (%s); "
                        "log in with a user of a tenant the account allows\n", account, msg);
                return EXIT_FORBIDDEN;
        }
        if (err && strcmp(err, "expired") == 0) {
                fprintf(stderr, "tessera: the login to account \"%s\" expired before the sign-in was finished; "
                        "start it again and finish signing in without long pauses: tessera login %s%s\n",
                        account, account, x->device ? " --device" : "");
                return EXIT_FAIL;
        }
        if (err && strstr(err, "idp_unavailable")) {
                fprintf(stderr, "tessera: login to account \"%s\" failed: the identity provider cannot be reached; "
                        "check the network and run: tessera login %s\n", account, account);
                return EXIT_IDP;
        }
        fprintf(stderr, "tessera: login to account \"%s\" failed (%s); try again with: tessera login %s%s\n",
                account, msg, account, x->device ? " --device" : "");
        return EXIT_FAIL;
}

static int login_wait(ctx *x, const char *account, int64_t expires_in) {
        time_t give_up = time(NULL) + (expires_in > 0 && expires_in < 86400 ? expires_in : 900) + 30;
        bool tty = isatty(STDERR_FILENO);
        char path[160], query[32];
        int r;

        snprintf(query, sizeof(query), "wait=%u", LOGIN_POLL_WAIT_S);
        if (account_path(x, account, "login", query, path, sizeof(path)) < 0)
                return report(x, TESSERA_E_INVALID, account, ACT_ADMIN);
        if (tty && !x->json)
                fputs("Waiting for the login to complete (Ctrl-C to stop waiting)...\n", stderr);

        for (;;) {
                response resp = {};
                const char *st;

                r = daemon_call(x, "GET", path, NULL, LOGIN_POLL_TIMEOUT_MS, &resp);
                if (r < 0)
                        return report(x, r, account, ACT_ADMIN);

                const jr_node *root = jr_root(resp.doc);
                st = jr_get_string(root, "state");
                if (!st) {
                        response_done(&resp);
                        return report(x, TESSERA_E_PROTOCOL, account, ACT_ADMIN);
                }
                if (strcmp(st, "done") == 0)
                        r = login_done(x, account, root);
                else if (strcmp(st, "failed") == 0)
                        r = login_failed(x, account, root);
                else if (strcmp(st, "pending") == 0) {
                        response_done(&resp);
                        if (time(NULL) > give_up) {
                                fprintf(stderr, "tessera: the login to account \"%s\" did not complete in time; "
                                        "run: tessera login %s\n", account, account);
                                return EXIT_FAIL;
                        }
                        continue;
                } else {
                        fprintf(stderr, "tessera: the login to account \"%s\" was cancelled or has expired; "
                                "run: tessera login %s\n", account, account);
                        r = EXIT_FAIL;
                }
                response_done(&resp);
                return r;
        }
}

int cmd_login(ctx *x, const char *account) {
        response resp = {};
        const jr_node *root;
        char path[160], text[2048];
        int64_t expires_in = 0;
        int r;

        if (account_path(x, account, "login", NULL, path, sizeof(path)) < 0)
                return report(x, TESSERA_E_INVALID, account, ACT_ADMIN);
        r = daemon_call(x, "POST", path, x->device ? "{\"flow\":\"device\"}" : "{\"flow\":\"code\"}",
                LOGIN_START_TIMEOUT_MS, &resp);
        if (r < 0)
                return report(x, r, account, ACT_ADMIN);

        root = jr_root(resp.doc);
        (void) jr_get_int(root, "expires_in", &expires_in);

        if (x->json) {
                json_write_line(stdout, root);
        }

        if (!x->device) {
                const char *url = jr_get_string(root, "authorize_url");
                if (!url) {
                        response_done(&resp);
                        return report(x, TESSERA_E_PROTOCOL, account, ACT_ADMIN);
                }
                if (!x->json)
                        printf("To log in account \"%s\", open this address in a browser:\n\n    %s\n\n",
                               account, safe_text(url, text, sizeof(text)));
                fflush(stdout);
                if (!x->no_browser && graphical_session())
                        open_browser(url);
        } else {
                const char *uri = jr_get_string(root, "verification_uri");
                const char *code = jr_get_string(root, "user_code");
                const char *complete = jr_get_string(root, "verification_uri_complete");
                char c2[128];

                if (!uri || !code) {
                        response_done(&resp);
                        return report(x, TESSERA_E_PROTOCOL, account, ACT_ADMIN);
                }
                if (!x->json) {
                        printf("To log in account \"%s\", visit on any device:\n\n    %s\n\nand enter the code:  %s\n\n",
                               account, safe_text(uri, text, sizeof(text)), safe_text(code, c2, sizeof(c2)));
                        if (complete && isatty(STDOUT_FILENO) && print_qr(stdout, complete) == 0)
                                printf("\nor scan this code with a phone.\n\n");
                }
                fflush(stdout);
        }
        response_done(&resp);

        return login_wait(x, account, expires_in);
}
