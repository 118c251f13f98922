/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-cmd.h"
#include "common.h"
#include "json-reader.h"
#include "output.h"

/* Daemon error bodies are small; anything larger is GipoNext's. */
#define MAX_DAEMON_ERROR_BODY 4096U

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        size_t len = 0, alloc = 0;
        char *buf = NULL;

        for (;;) {
                ssize_t k;

                if (alloc - len < 65536) {
                        size_t a = alloc ? alloc * 2 : 65536;
                        /* One byte beyond max tells "too long" from "exactly max". */
                        if (a > max + 2)
                                a = max + 2;
                        if (a <= len) {
                                free(buf);
                                return -EFBIG;
                        }
                        char *n = realloc(buf, a);
                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                        alloc = a;
                }
                k = read(fd, buf + len, alloc - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max) {
                        free(buf);
                        return -EFBIG;
                }
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return -ENOMEM;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

int api_read_data(const char *arg, size_t max, char **ret, size_t *ret_len) {
        int fd, r;

        if (arg[0] != '@') {
                size_t n = strlen(arg);
                if (n > max)
                        return -EFBIG;
                *ret = strdup(arg);
                if (!*ret)
                        return -ENOMEM;
                *ret_len = n;
                return 0;
        }
        if (strcmp(arg, "@-") == 0)
                return read_fd(STDIN_FILENO, max, ret, ret_len);

        fd = open(arg + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = read_fd(fd, max, ret, ret_len);
        close(fd);
        return r;
}

static const struct {
        const char *code;
        int status;
} gateway_errors[] = {
        { "bad_request",        400 },
        { "login_required",     401 },
        { "forbidden",          403 },
        { "tenant_not_allowed", 403 },
        { "no_such_account",    404 },
        { "payload_too_large",  413 },
        { "rate_limited",       429 },
        { "api_unavailable",    502 },
        { "api_busy",           503 },
        { "idp_unavailable",    503 },
        { "api_timeout",        504 },
        { "internal_error",     500 },
        { "shutting_down",      503 },
};

static const char *known_code(const char *code, int status) {
        for (size_t i = 0; i < sizeof(gateway_errors) / sizeof(gateway_errors[0]); i++)
                if (strcmp(gateway_errors[i].code, code) == 0 &&
                    (status == 0 || status == gateway_errors[i].status))
                        return gateway_errors[i].code;
        return NULL;
}

const char *api_daemon_error(const tessera_response *r, char *msg, size_t msg_size) {
        const char *marked = tessera_response_header(r, "Tessera-Error");
        const char *body, *code = NULL, *m = NULL;
        size_t len;
        char *copy;
        jr_doc *d = NULL;

        safe_text(NULL, msg, msg_size);
        if (tessera_response_status(r) < 400)
                return NULL;

        body = tessera_response_body(r, &len);
        if (len > 0 && len <= MAX_DAEMON_ERROR_BODY && (copy = malloc(len))) {
                /* The reader decodes in place: parse a copy. */
                memcpy(copy, body, len);
                if (jr_parse(copy, len, &d) == 0) {
                        code = jr_get_string(jr_root(d), "error");
                        m = jr_get_string(jr_root(d), "message");
                }
                if (m)
                        safe_text(m, msg, msg_size);
                if (!marked)
                        /* Without tesserad's mark, only a body in tesserad's
                         * exact shape counts, and GipoNext could still send
                         * one: the mark is what settles it. */
                        code = code && m ? known_code(code, tessera_response_status(r)) : NULL;
                d = jr_doc_free(d);
                free(copy);
        } else if (!marked)
                return NULL;

        if (marked) {
                const char *k = known_code(marked, 0);
                return k ? k : marked;
        }
        return code;
}

static const char *reason_phrase(int status) {
        static const struct {
                int status;
                const char *text;
        } table[] = {
                { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
                { 301, "Moved Permanently" }, { 302, "Found" }, { 304, "Not Modified" },
                { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
                { 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
                { 410, "Gone" }, { 412, "Precondition Failed" }, { 413, "Content Too Large" },
                { 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
                { 429, "Too Many Requests" }, { 500, "Internal Server Error" },
                { 502, "Bad Gateway" }, { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (table[i].status == status)
                        return table[i].text;
        return NULL;
}

void api_status_text(const tessera_response *r, char *dst, size_t n) {
        const char *head = tessera_response_head(r), *reason = NULL, *eol;
        int status = tessera_response_status(r);
        char text[128] = "";

        /* "HTTP/1.1 403 Forbidden\r\n": the reason starts at offset 13. */
        if (head && (eol = strstr(head, "\r\n")) && eol - head > 13) {
                size_t l = (size_t) (eol - head - 13);
                if (l >= sizeof(text))
                        l = sizeof(text) - 1;
                memcpy(text, head + 13, l);
                text[l] = '\0';
                char safe[sizeof(text)];
                safe_text(text, safe, sizeof(safe));
                memcpy(text, safe, sizeof(text));
                reason = text;
        }
        if (!reason || !*reason)
                reason = reason_phrase(status);
        if (reason)
                snprintf(dst, n, "%d %s", status, reason);
        else
                snprintf(dst, n, "%d", status);
}

int api_write_response(FILE *f, const tessera_response *r, bool include) {
        const char *body;
        size_t len;

        if (include) {
                const char *head = tessera_response_head(r);
                fputs(head ? head : "", f);
                fputs("\r\n", f);
        }
        body = tessera_response_body(r, &len);
        if (len > 0 && fwrite(body, 1, len, f) != len)
                return -errno;
        return ferror(f) ? -EIO : 0;
}

bool api_method_is_valid(const char *s) {
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

int cmd_api(ctx *x, const char *account) {
        const char *method = x->method, *path = x->path;
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
