/* SPDX-License-Identifier: MIT */

/* tessera: command line client of tesserad, built on the public libtessera
 * API (plus the library's private JSON reader for the daemon's answers). */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tessera/tessera.h>

#include "api-cmd.h"
#include "config.h"
#include "json-reader.h"
#include "output.h"
#include "wipe.h"

enum {
        EXIT_OK          = 0,
        EXIT_FAIL        = 1,
        EXIT_USAGE       = 2,
        EXIT_LOGIN       = 3,
        EXIT_FORBIDDEN   = 4,
        EXIT_UNREACHABLE = 5,
        EXIT_IDP         = 6,
};

#define LOGIN_POLL_WAIT_S 25U
#define LOGIN_POLL_TIMEOUT_MS ((LOGIN_POLL_WAIT_S + 15U) * 1000U)
#define LOGIN_START_TIMEOUT_MS 60000U
#define MAX_MIN_VALID_S 86400U

typedef enum {
        ACT_READ,       /* token, status: needs the account's users */
        ACT_ADMIN,      /* login, logout: needs admins */
} action_kind;

typedef struct ctx {
        tessera_client *client;
        bool json;
        bool device;
        bool no_browser;
        bool have_min_valid;
        unsigned min_valid;
        char *message;          /* the daemon's "message" from the last error */

        /* api */
        const char *data;       /* --data: text, @FILE or @- */
        const char *content_type;
        unsigned wait_s;
        bool have_wait;
        bool include;
} ctx;

/* A parsed 2xx answer; the tree points into body. */
typedef struct response {
        char *body;
        size_t len;
        jr_doc *doc;
} response;

static void response_done(response *r) {
        r->doc = jr_doc_free(r->doc);
        if (r->body) {
                wipe(r->body, r->len);
                free(r->body);
        }
        r->body = NULL;
        r->len = 0;
}

static const char *user_name(void) {
        struct passwd *pw = getpwuid(getuid());
        return pw ? pw->pw_name : "this user";
}

/* Repeats the connect to learn why the library could not reach the daemon:
 * the error codes deliberately carry no errno. */
static int probe_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, err = 0;

        if (strlen(path) >= sizeof(sa.sun_path))
                return ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                err = errno;
        close(fd);
        return err;
}

/* Prints one line saying what went wrong and what to do; returns the exit code. */
static int report(ctx *x, int err, const char *account, action_kind kind) {
        const char *sock = tessera_client_get_socket_path(x->client);
        char msg[256];
        int e;

        safe_text(x->message, msg, sizeof(msg));

        switch (err) {
        case TESSERA_E_LOGIN_REQUIRED:
                fprintf(stderr, "tessera: account \"%s\" is not logged in; run: tessera login %s\n", account, account);
                return EXIT_LOGIN;

        case TESSERA_E_FORBIDDEN:
                e = probe_socket(sock);
                if (e == EACCES || e == EPERM)
                        fprintf(stderr, "tessera: %s may not connect to tesserad's socket %s (%s); "
                                "an admin must grant access to it (socket_mode and group in tessera.conf)\n",
                                user_name(), sock, strerror(e));
                else if (x->message && strstr(x->message, "tenant"))
                        fprintf(stderr, "tessera: account \"%s\": %s; log in with a user of an allowed tenant\n",
                                account, msg);
                else if (kind == ACT_ADMIN)
                        fprintf(stderr, "tessera: %s may not log in or out account \"%s\"; "
                                "an admin must add the user to admins in tessera.conf\n", user_name(), account);
                else
                        fprintf(stderr, "tessera: %s may not use account \"%s\"; "
                                "an admin must add the user to the account's users in tessera.conf\n",
                                user_name(), account);
                return EXIT_FORBIDDEN;

        case TESSERA_E_NO_ACCOUNT:
                fprintf(stderr, "tessera: no account \"%s\" is configured; list them with: tessera accounts\n", account);
                return EXIT_FAIL;

        case TESSERA_E_UNAVAILABLE:
                e = probe_socket(sock);
                fprintf(stderr, "tessera: cannot reach tesserad at %s (%s); start it with: systemctl start tesserad\n",
                        sock, strerror(e != 0 ? e : ECONNRESET));
                return EXIT_UNREACHABLE;

        case TESSERA_E_TIMEOUT:
                fprintf(stderr, "tessera: tesserad at %s did not answer in time; check it with: systemctl status tesserad\n",
                        sock);
                return EXIT_UNREACHABLE;

        case TESSERA_E_IDP_UNAVAILABLE:
                fprintf(stderr, "tessera: account \"%s\" has no valid token and the identity provider cannot be reached; "
                        "check the network and try again\n", account);
                return EXIT_IDP;

        case TESSERA_E_BUSY:
                fprintf(stderr, "tessera: a login for account \"%s\" is already in progress; "
                        "finish it or wait for it to expire, then try again\n", account);
                return EXIT_FAIL;

        case TESSERA_E_INVALID:
                fprintf(stderr, "tessera: tesserad rejected the request (%s); check: tessera --help\n", msg);
                return EXIT_FAIL;

        case TESSERA_E_PROTOCOL:
                fprintf(stderr, "tessera: tesserad sent an answer this client does not understand; "
                        "check that tessera and tesserad are the same version\n");
                return EXIT_FAIL;

        case TESSERA_E_NOMEM:
                fprintf(stderr, "tessera: out of memory\n");
                return EXIT_FAIL;

        default:
                fprintf(stderr, "tessera: %s (%s); see: journalctl -u tesserad\n", tessera_strerror(err), msg);
                return EXIT_FAIL;
        }
}

/* Sends a request; on a 2xx answer returns 0 with the parsed JSON body,
 * otherwise a TESSERA_E_* code (the daemon's message kept in x->message). */
static int api(ctx *x, const char *method, const char *path, const char *body,
               unsigned timeout_ms, response *ret) {
        response resp = {};
        int status = 0, r;

        free(x->message);
        x->message = NULL;

        r = tessera_request(x->client, method, path, body, timeout_ms, &status, &resp.body);
        if (r < 0)
                return r;
        resp.len = strlen(resp.body);

        if (resp.len == 0 && status >= 200 && status <= 299) {
                /* An empty success body reads as an empty object. */
                free(resp.body);
                resp.body = strdup("{}");
                if (!resp.body)
                        return TESSERA_E_NOMEM;
                resp.len = 2;
        }

        if (jr_parse(resp.body, resp.len, &resp.doc) < 0) {
                resp.doc = NULL;
                if (status >= 200 && status <= 299) {
                        response_done(&resp);
                        return TESSERA_E_PROTOCOL;
                }
        }

        if (status < 200 || status > 299) {
                const char *code = NULL, *m = NULL;
                if (resp.doc) {
                        code = jr_get_string(jr_root(resp.doc), "error");
                        m = jr_get_string(jr_root(resp.doc), "message");
                }
                if (m || code)
                        x->message = strdup(m ? m : code);
                r = tessera_error_from_http(status, code);
                response_done(&resp);
                return r;
        }

        *ret = resp;
        return 0;
}

static bool state_needs_login(const char *s) {
        return s && (strcmp(s, "logged_out") == 0 || strcmp(s, "needs_login") == 0 ||
                     strcmp(s, "login_pending") == 0);
}

static bool state_serves(const char *s) {
        return s && (strcmp(s, "valid") == 0 || strcmp(s, "refreshing") == 0 || strcmp(s, "degraded") == 0);
}

/* scope_missing may be a JSON array of strings or one space-separated string. */
static void format_scopes(const jr_node *n, char *dst, size_t size) {
        size_t used = 0;

        dst[0] = '\0';
        if (!n)
                return;
        if (n->type == JR_STRING) {
                safe_text(n->str, dst, size);
                if (strcmp(dst, "-") == 0)
                        dst[0] = '\0';
                return;
        }
        if (n->type != JR_ARRAY)
                return;
        for (const jr_node *c = n->child; c; c = c->next) {
                char one[128];
                if (c->type != JR_STRING)
                        continue;
                safe_text(c->str, one, sizeof(one));
                int k = snprintf(dst + used, size - used, "%s%s", used > 0 ? " " : "", one);
                if (k < 0 || (size_t) k >= size - used)
                        break;
                used += (size_t) k;
        }
}

static const char *tenant_text(const jr_node *acct, char *dst, size_t n) {
        const char *name = jr_get_string(acct, "tenant_name");
        const jr_node *id = jr_get(acct, "tenant_id");

        if (name && *name)
                return safe_text(name, dst, n);
        if (id && id->type == JR_STRING)
                return safe_text(id->str, dst, n);
        if (id && id->type == JR_NUMBER) {
                snprintf(dst, n, "%.*s", (int) id->len, id->str);
                return dst;
        }
        return safe_text(NULL, dst, n);
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

static int cmd_status(ctx *x, const char *account) {
        response resp = {};
        const jr_node *root, *list, **shown = NULL;
        size_t n = 0;
        int r, ret = EXIT_OK;

        r = api(x, "GET", "/v1/status", NULL, 0, &resp);
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

static int cmd_accounts(ctx *x) {
        response resp = {};
        const jr_node *list;
        bool first = true;
        int r;

        r = api(x, "GET", "/v1/status", NULL, 0, &resp);
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

static int write_all(int fd, const struct iovec *iov, int n) {
        struct iovec v[4];

        memcpy(v, iov, sizeof(*iov) * (size_t) n);
        for (int i = 0; i < n;) {
                ssize_t k = writev(fd, v + i, n - i);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                while (i < n && (size_t) k >= v[i].iov_len) {
                        k -= (ssize_t) v[i].iov_len;
                        i++;
                }
                if (i < n) {
                        v[i].iov_base = (char *) v[i].iov_base + k;
                        v[i].iov_len -= (size_t) k;
                }
        }
        return 0;
}

static int cmd_token(ctx *x, const char *account) {
        int r;

        /* Flush anything buffered so the token never sits in stdio's buffer. */
        fflush(stdout);

        if (x->json) {
                char path[128], *buf = NULL;
                size_t len = 0;
                response resp = {};
                FILE *f;

                if (x->have_min_valid)
                        snprintf(path, sizeof(path), "/v1/accounts/%s/token?min_valid=%u", account, x->min_valid);
                else
                        snprintf(path, sizeof(path), "/v1/accounts/%s/token", account);
                r = api(x, "GET", path, NULL, 0, &resp);
                if (r < 0)
                        return report(x, r, account, ACT_READ);
                f = open_memstream(&buf, &len);
                if (!f) {
                        response_done(&resp);
                        return report(x, TESSERA_E_NOMEM, account, ACT_READ);
                }
                json_write(f, jr_root(resp.doc));
                fputc('\n', f);
                r = fclose(f) == 0 ? 0 : -ENOMEM;
                response_done(&resp);
                if (r == 0)
                        r = write_all(STDOUT_FILENO, &(struct iovec) { buf, len }, 1);
                wipe(buf, len);
                free(buf);
        } else {
                tessera_token *t = NULL;
                const char *v;

                r = tessera_get_token(x->client, account, x->have_min_valid ? x->min_valid : 0, &t);
                if (r < 0)
                        return report(x, r, account, ACT_READ);
                v = tessera_token_value(t);
                struct iovec iov[2] = { { (void *) v, strlen(v) }, { (void *) "\n", 1 } };
                r = write_all(STDOUT_FILENO, iov, 2);
                tessera_token_free(t);
        }

        if (r < 0) {
                fprintf(stderr, "tessera: cannot write the token to standard output (%s)\n", strerror(-r));
                return EXIT_FAIL;
        }
        return EXIT_OK;
}

static int cmd_logout(ctx *x, const char *account) {
        response resp = {};
        char path[128];
        int r;

        snprintf(path, sizeof(path), "/v1/accounts/%s/logout", account);
        r = api(x, "POST", path, "{}", LOGIN_START_TIMEOUT_MS, &resp);
        if (r < 0)
                return report(x, r, account, ACT_ADMIN);

        if (x->json) {
                if (resp.doc)
                        json_write(stdout, jr_root(resp.doc));
                else
                        fputs("{}", stdout);
                fputc('\n', stdout);
        } else
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
        if (api(x, "GET", "/v1/status", NULL, 0, &st) >= 0) {
                const jr_node *list = jr_get(jr_root(st.doc), "accounts");
                for (const jr_node *a = list && list->type == JR_ARRAY ? list->child : NULL; a; a = a->next) {
                        const char *n = jr_get_string(a, "name");
                        if (n && strcmp(n, account) == 0)
                                acct = a;
                }
                if (acct) {
                        const char *u = jr_get_string(acct, "user");
                        if (u && *u)
                                safe_text(u, user, sizeof(user));
                        safe_text(jr_get_string(acct, "tenant_name"), tname, sizeof(tname));
                        const jr_node *id = jr_get(acct, "tenant_id");
                        if (id && (id->type == JR_STRING || id->type == JR_NUMBER)) {
                                if (id->type == JR_STRING)
                                        safe_text(id->str, tid, sizeof(tid));
                                else
                                        snprintf(tid, sizeof(tid), "%.*s", (int) id->len, id->str);
                        }
                        format_scopes(jr_get(acct, "scope_missing"), scopes, sizeof(scopes));
                }
        }

        if (x->json) {
                json_write(stdout, state);
                fputc('\n', stdout);
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
                json_write(stdout, state);
                fputc('\n', stdout);
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
        char path[160];
        int r;

        snprintf(path, sizeof(path), "/v1/accounts/%s/login?wait=%u", account, LOGIN_POLL_WAIT_S);
        if (tty && !x->json)
                fputs("Waiting for the login to complete (Ctrl-C to stop waiting)...\n", stderr);

        for (;;) {
                response resp = {};
                const char *st;

                r = api(x, "GET", path, NULL, LOGIN_POLL_TIMEOUT_MS, &resp);
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

static int cmd_login(ctx *x, const char *account) {
        response resp = {};
        const jr_node *root;
        char path[128], text[2048];
        int64_t expires_in = 0;
        int r;

        snprintf(path, sizeof(path), "/v1/accounts/%s/login", account);
        r = api(x, "POST", path, x->device ? "{\"flow\":\"device\"}" : "{\"flow\":\"code\"}",
                LOGIN_START_TIMEOUT_MS, &resp);
        if (r < 0)
                return report(x, r, account, ACT_ADMIN);

        root = jr_root(resp.doc);
        (void) jr_get_int(root, "expires_in", &expires_in);

        if (x->json) {
                json_write(stdout, root);
                fputc('\n', stdout);
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

static bool is_method(const char *s) {
        size_t n = 0;

        for (; s[n]; n++)
                if (s[n] < 'A' || s[n] > 'Z' || n >= 32)
                        return false;
        return n > 0;
}

/* One line for an error tesserad's gateway made itself; returns the exit code. */
static int gateway_error(ctx *x, const tessera_response *resp, const char *code, const char *msg,
                         const char *account) {
        int status = tessera_response_status(resp);
        int64_t retry = tessera_response_retry_after(resp);
        char why[300] = "";

        if (strcmp(msg, "-") != 0)
                snprintf(why, sizeof(why), " (%s)", msg);
        free(x->message);
        x->message = strdup(msg);

        if (strcmp(code, "login_required") == 0)
                return report(x, TESSERA_E_LOGIN_REQUIRED, account, ACT_READ);
        if (strcmp(code, "forbidden") == 0)
                return report(x, TESSERA_E_FORBIDDEN, account, ACT_READ);
        if (strcmp(code, "no_such_account") == 0)
                return report(x, TESSERA_E_NO_ACCOUNT, account, ACT_READ);
        if (strcmp(code, "idp_unavailable") == 0)
                return report(x, TESSERA_E_IDP_UNAVAILABLE, account, ACT_READ);

        if (strcmp(code, "tenant_not_allowed") == 0) {
                fprintf(stderr, "tessera: account \"%s\" is logged in to a tenant it may not use %s; "
                        "log in with a user of an allowed tenant: tessera login %s\n", account, why, account);
                return EXIT_FORBIDDEN;
        }
        if (strcmp(code, "rate_limited") == 0) {
                if (retry >= 0)
                        fprintf(stderr, "tessera: GipoNext is rate limiting account \"%s\"; try again in %lld s, "
                                "or let tesserad wait with --wait %lld\n", account, (long long) retry,
                                (long long) (retry < 1 ? 1 : retry > TESSERA_API_MAX_WAIT ? TESSERA_API_MAX_WAIT : retry));
                else
                        fprintf(stderr, "tessera: GipoNext is rate limiting account \"%s\"; try again later, "
                                "or let tesserad wait with --wait SECONDS\n", account);
        } else if (strcmp(code, "payload_too_large") == 0)
                fprintf(stderr, "tessera: tesserad does not forward a request body that large%s; "
                        "send a smaller one\n", why);
        else if (strcmp(code, "api_unavailable") == 0)
                fprintf(stderr, "tessera: tesserad cannot reach GipoNext%s; check the network and try again\n", why);
        else if (strcmp(code, "api_busy") == 0)
                fprintf(stderr, "tessera: tesserad is forwarding as many GipoNext requests as it allows%s; "
                        "try again shortly\n", why);
        else if (strcmp(code, "api_timeout") == 0)
                fprintf(stderr, "tessera: GipoNext did not answer tesserad in time%s; try again later\n", why);
        else if (strcmp(code, "shutting_down") == 0)
                fprintf(stderr, "tessera: tesserad is shutting down%s; try again once it is back "
                        "(systemctl status tesserad)\n", why);
        else if (strcmp(code, "bad_request") == 0)
                fprintf(stderr, "tessera: tesserad rejected the request%s; check the method and the path\n", why);
        else {
                char c[64];
                fprintf(stderr, "tessera: tesserad answered %d with error %s%s; see: journalctl -u tesserad\n",
                        status, safe_text(code, c, sizeof(c)), why);
        }

        if (status == 401)
                return EXIT_LOGIN;
        if (status == 403)
                return EXIT_FORBIDDEN;
        return EXIT_FAIL;
}

static int cmd_api(ctx *x, const char *account, const char *method, const char *path) {
        tessera_response *resp = NULL;
        char *body = NULL, msg[256], text[160], safe_path[128];
        const char *code;
        size_t body_len = 0;
        int status, r, ret;

        if (x->data) {
                r = api_read_data(x->data, TESSERA_API_MAX_REQUEST, &body, &body_len);
                if (r == -EFBIG) {
                        fprintf(stderr, "tessera: the request body is larger than %u MiB, more than tesserad "
                                "forwards; send a smaller one\n", TESSERA_API_MAX_REQUEST / (1024U * 1024U));
                        return EXIT_FAIL;
                }
                if (r < 0) {
                        char name[128];
                        fprintf(stderr, "tessera: cannot read the request body from %s (%s); check the --data argument\n",
                                strcmp(x->data, "@-") == 0 ? "standard input" : safe_text(x->data + 1, name, sizeof(name)),
                                strerror(-r));
                        return EXIT_FAIL;
                }
        }

        r = tessera_api_call(x->client, account, method, path, body, body_len, x->content_type,
                             x->wait_s, 0, &resp);
        free(body);
        if (r == TESSERA_E_INVALID) {
                /* Account and method were checked already: it is the path. */
                fprintf(stderr, "tessera: cannot send the path \"%s\": it must be percent-encoded (RFC 3986), "
                        "without spaces, \"..\" segments or a fragment, at most %u bytes; see: tessera --help\n",
                        safe_text(path, safe_path, sizeof(safe_path)), TESSERA_API_MAX_PATH);
                return EXIT_USAGE;
        }
        if (r == TESSERA_E_TOO_LARGE) {
                fprintf(stderr, "tessera: the answer is larger than the %u MiB this command accepts; "
                        "ask for less (paging, filters)\n", TESSERA_API_DEFAULT_MAX_RESPONSE / (1024U * 1024U));
                return EXIT_FAIL;
        }
        if (r < 0)
                return report(x, r, account, ACT_READ);

        /* The body goes out as it came, whatever the status: with the exit
         * code a script has both. */
        r = api_write_response(stdout, resp, x->include);
        if (r == 0 && fflush(stdout) != 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, "tessera: cannot write the answer to standard output (%s)\n", strerror(-r));
                tessera_response_free(resp);
                return EXIT_FAIL;
        }

        status = tessera_response_status(resp);
        if (status < 400)
                ret = EXIT_OK;
        else if ((code = api_daemon_error(resp, msg, sizeof(msg))))
                ret = gateway_error(x, resp, code, msg, account);
        else {
                int64_t retry = tessera_response_retry_after(resp);

                api_status_text(resp, text, sizeof(text));
                if (status == 401)
                        fprintf(stderr, "tessera: GipoNext answered %s; if it persists, log in again: tessera login %s\n",
                                text, account);
                else if (status == 429 && retry >= 0)
                        fprintf(stderr, "tessera: GipoNext answered %s; try again in %lld s\n", text, (long long) retry);
                else
                        fprintf(stderr, "tessera: GipoNext answered %s\n", text);
                ret = status == 401 ? EXIT_LOGIN : status == 403 ? EXIT_FORBIDDEN : EXIT_FAIL;
        }
        tessera_response_free(resp);
        return ret;
}

static void help(void) {
        printf("Usage: tessera [--socket PATH] [--json] COMMAND [ACCOUNT]\n"
               "\n"
               "Talk to tesserad, the local OAuth token broker.\n"
               "\n"
               "Commands:\n"
               "  status   [ACCOUNT]                 state of the accounts you may see (table, or --json)\n"
               "  token    [ACCOUNT] [--min-valid S] print the access token alone on standard output\n"
               "  login    [ACCOUNT] [--device] [--no-browser]\n"
               "                                     log the account in (browser, or device code with --device)\n"
               "  logout   [ACCOUNT]                 revoke and erase the account's tokens\n"
               "  accounts                           names of the accounts you may use\n"
               "  api      [ACCOUNT] METHOD PATH [--data DATA] [--content-type TYPE] [--wait S] [--include]\n"
               "                                     send a request to GipoNext through tesserad, which adds\n"
               "                                     the token; prints the answer's body as received.\n"
               "                                     PATH \"/v2/...\": an API path; \"patients?limit=10\":\n"
               "                                     relative to the account's tenant; percent-encoded\n"
               "\n"
               "ACCOUNT defaults to \"default\" (status without ACCOUNT shows all).\n"
               "\n"
               "Options (also accepted after the command):\n"
               "  -s, --socket PATH   tesserad's socket (default: $TESSERA_SOCKET, else %s)\n"
               "  -j, --json          machine-readable output (status, accounts, token, login, logout)\n"
               "      --min-valid S   token: valid for at least S seconds (default: the daemon's, 10)\n"
               "      --device        login: use the device code flow (no browser on this machine)\n"
               "      --no-browser    login: print the address but do not open a browser\n"
               "  -d, --data DATA     api: the request body: the text DATA, @FILE, or @- for standard input\n"
               "      --content-type TYPE  api: of the body (default: application/json)\n"
               "      --wait S        api: when rate limited, let tesserad hold the request up to S s (0-300)\n"
               "  -i, --include       api: print the status line and headers before the body\n"
               "  -h, --help          show this help\n"
               "  -V, --version       show the version\n"
               "\n"
               "Exit status:\n"
               "  0 ok (status: every shown account serves tokens; \"degraded\" prints a warning;\n"
               "    api: a status below 400)\n"
               "  1 failure (also: unknown account; api: any other status of 400 or more)   2 usage error\n"
               "  3 login required (status: an account is logged_out, needs_login or login_pending)\n"
               "  4 forbidden   5 tesserad unreachable or not answering   6 identity provider unavailable\n",
               TESSERA_DEFAULT_SOCKET);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("tessera: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("; see: tessera --help\n", stderr);
        return EXIT_USAGE;
}

int main(int argc, char *argv[]) {
        enum { OPT_MIN_VALID = 0x100, OPT_DEVICE, OPT_NO_BROWSER, OPT_WAIT, OPT_CONTENT_TYPE };
        static const struct option options[] = {
                { "socket",     required_argument, NULL, 's' },
                { "json",       no_argument,       NULL, 'j' },
                { "help",       no_argument,       NULL, 'h' },
                { "version",    no_argument,       NULL, 'V' },
                { "min-valid",  required_argument, NULL, OPT_MIN_VALID },
                { "device",     no_argument,       NULL, OPT_DEVICE },
                { "no-browser", no_argument,       NULL, OPT_NO_BROWSER },
                { "data",       required_argument, NULL, 'd' },
                { "content-type", required_argument, NULL, OPT_CONTENT_TYPE },
                { "wait",       required_argument, NULL, OPT_WAIT },
                { "include",    no_argument,       NULL, 'i' },
                {}
        };
        ctx x = {};
        const char *socket_path = NULL, *command, *account = NULL, *method = NULL, *path = NULL;
        int c, r, ret;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "s:jhVd:i", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        socket_path = optarg;
                        break;
                case 'j':
                        x.json = true;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                case 'V':
                        printf("tessera %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case OPT_MIN_VALID: {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] == '-' || v > MAX_MIN_VALID_S)
                                return usage_error("--min-valid needs a number of seconds from 0 to 86400, not \"%s\"", optarg);
                        x.min_valid = (unsigned) v;
                        x.have_min_valid = true;
                        break;
                }
                case OPT_DEVICE:
                        x.device = true;
                        break;
                case OPT_NO_BROWSER:
                        x.no_browser = true;
                        break;
                case 'd':
                        x.data = optarg;
                        break;
                case OPT_CONTENT_TYPE:
                        x.content_type = optarg;
                        break;
                case OPT_WAIT: {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] == '-' || v > TESSERA_API_MAX_WAIT)
                                return usage_error("--wait needs a number of seconds from 0 to %u, not \"%s\"",
                                                   TESSERA_API_MAX_WAIT, optarg);
                        x.wait_s = (unsigned) v;
                        x.have_wait = true;
                        break;
                }
                case 'i':
                        x.include = true;
                        break;
                case '?':
                        if (optopt > 0 && optopt < 0x80)
                                return usage_error("option -%c is unknown or lacks its argument", optopt);
                        return usage_error("option %s is unknown or lacks its argument", argv[optind - 1]);
                }
        }

        if (optind >= argc)
                return usage_error("a command is needed (status, token, login, logout, accounts, api)");
        command = argv[optind++];

        bool is_status = strcmp(command, "status") == 0, is_token = strcmp(command, "token") == 0,
             is_login = strcmp(command, "login") == 0, is_logout = strcmp(command, "logout") == 0,
             is_accounts = strcmp(command, "accounts") == 0, is_api = strcmp(command, "api") == 0;

        if (!is_status && !is_token && !is_login && !is_logout && !is_accounts && !is_api)
                return usage_error("unknown command \"%s\"", command);

        if (is_api) {
                /* Two arguments are METHOD PATH for the default account;
                 * three are ACCOUNT METHOD PATH. */
                int n = argc - optind;
                if (n == 3)
                        account = argv[optind++];
                if (n == 2 || n == 3) {
                        method = argv[optind++];
                        path = argv[optind++];
                } else
                        return usage_error("api needs [ACCOUNT] METHOD PATH");
                if (!is_method(method))
                        return usage_error("\"%s\" is not an HTTP method such as GET, POST, PUT, PATCH, DELETE "
                                           "(upper case); usage: tessera api [ACCOUNT] METHOD PATH", method);
                if (x.content_type && !x.data)
                        return usage_error("--content-type needs a body (--data)");
        } else {
                if (optind < argc)
                        account = argv[optind++];
                if (optind < argc)
                        return usage_error("unexpected argument \"%s\"", argv[optind]);
                if (x.data || x.content_type || x.have_wait || x.include)
                        return usage_error("--data, --content-type, --wait and --include only apply to: tessera api");
        }
        if (is_accounts && account)
                return usage_error("accounts takes no argument, not \"%s\"", account);
        if (x.have_min_valid && !is_token)
                return usage_error("--min-valid only applies to: tessera token");
        if ((x.device || x.no_browser) && !is_login)
                return usage_error("--device and --no-browser only apply to: tessera login");
        if (account && !tessera_account_name_is_valid(account))
                return usage_error("invalid account name \"%s\" (letters, digits, '_', '.', '-'; at most 64)", account);
        if (!account && !is_status)
                account = "default";

        r = tessera_client_new(socket_path, &x.client);
        if (r < 0) {
                fprintf(stderr, "tessera: %s\n", tessera_strerror(r));
                return EXIT_FAIL;
        }

        if (is_status)
                ret = cmd_status(&x, account);
        else if (is_token)
                ret = cmd_token(&x, account);
        else if (is_login)
                ret = cmd_login(&x, account);
        else if (is_logout)
                ret = cmd_logout(&x, account);
        else if (is_api)
                ret = cmd_api(&x, account, method, path);
        else
                ret = cmd_accounts(&x);

        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "tessera: cannot write to standard output (%s)\n", strerror(errno));
                if (ret == EXIT_OK)
                        ret = EXIT_FAIL;
        }

        free(x.message);
        tessera_client_free(x.client);
        return ret;
}
