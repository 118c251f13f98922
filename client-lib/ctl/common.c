/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "output.h"
#include "wipe.h"

void response_done(response *r) {
        r->doc = jr_doc_free(r->doc);
        r->body = wipe_free(r->body, r->len);
        r->len = 0;
}

const char *user_name(void) {
        struct passwd *pw = getpwuid(getuid());
        return pw ? pw->pw_name : "this user";
}

int account_path(const ctx *x, const char *account, const char *what, const char *query,
                 char *dst, size_t size) {
        int k;

        if (x->have_uid)
                k = snprintf(dst, size, "/v1/accounts/%s/%s?%s%suid=%u", account, what, query ? query : "",
                             query ? "&" : "", (unsigned) x->uid);
        else
                k = snprintf(dst, size, "/v1/accounts/%s/%s%s%s", account, what, query ? "?" : "",
                             query ? query : "");
        return k < 0 || (size_t) k >= size ? -ENAMETOOLONG : 0;
}

bool entry_is_per_user(const jr_node *a) {
        const char *mode = jr_get_string(a, "sessions");
        return mode && strcmp(mode, "per-user") == 0;
}

bool entry_is_own(const ctx *x, const jr_node *a, const char *account) {
        const char *name = jr_get_string(a, "name");
        int64_t uid;

        if (!name || (account && strcmp(name, account) != 0))
                return false;
        if (!entry_is_per_user(a))
                return true;
        return jr_get_int(a, "uid", &uid) && uid == (int64_t) (x->have_uid ? x->uid : getuid());
}

const char *entry_os_user(const jr_node *a, char *dst, size_t size) {
        const char *os_user = jr_get_string(a, "os_user");

        if (!entry_is_per_user(a) || (os_user && *os_user))
                return safe_text(os_user, dst, size);
        if (json_scalar_text(jr_get(a, "uid"), dst, size))
                return dst;
        return safe_text(NULL, dst, size);
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
int report(ctx *x, int err, const char *account, action_kind kind) {
        const char *sock = tessera_client_get_socket_path(x->client);
        char msg[512];
        int e;

        safe_text(x->message, msg, sizeof(msg));

        switch (err) {
        case TESSERA_E_LOGIN_REQUIRED:
                /* The daemon knows whose session is missing and why (a
                 * per-user account: "you are not logged in to ..."). */
                if (x->message && strstr(x->message, "run: tessera login"))
                        fprintf(stderr, "tessera: %s\n", msg);
                else if (x->have_uid)
                        fprintf(stderr, "tessera: user %s has no session in account \"%s\"; "
                                "they can log in with: tessera login %s\n", x->user_arg, account, account);
                else
                        fprintf(stderr, "tessera: account \"%s\" is not logged in; run: tessera login %s\n",
                                account, account);
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
                else if (x->have_uid && x->message)
                        /* --user: whom the caller may name is the daemon's rule. */
                        fprintf(stderr, "tessera: account \"%s\", user %s: %s\n", account, x->user_arg, msg);
                else if (kind == ACT_ADMIN && !(x->message && strstr(x->message, "users=")))
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

int daemon_call(ctx *x, const char *method, const char *path, const char *body,
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

/* scope_missing may be a JSON array of strings or one space-separated string. */
void format_scopes(const jr_node *n, char *dst, size_t size) {
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

const char *json_scalar_text(const jr_node *n, char *dst, size_t size) {
        if (n && n->type == JR_STRING)
                return safe_text(n->str, dst, size);
        if (n && n->type == JR_NUMBER) {
                snprintf(dst, size, "%.*s", (int) n->len, n->str);
                return dst;
        }
        return NULL;
}

const char *tenant_text(const jr_node *acct, char *dst, size_t n) {
        const char *name = jr_get_string(acct, "tenant_name");

        if (name && *name)
                return safe_text(name, dst, n);
        if (json_scalar_text(jr_get(acct, "tenant_id"), dst, n))
                return dst;
        return safe_text(NULL, dst, n);
}

int write_all(int fd, const struct iovec *iov, int n) {
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
