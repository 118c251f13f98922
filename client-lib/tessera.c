/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/tessera.h"

#include "client.h"
#include "http-client.h"
#include "http-parser.h"
#include "json-reader.h"
#include "wipe.h"

#define _public_ __attribute__((visibility("default")))

#define DEFAULT_TIMEOUT_MS 30000U
#define MAX_REQUEST_BODY (1024U * 1024U)

struct tessera_token {
        char *value;
        size_t value_len;
        int64_t expires_at;
        char *tenant;
        char *type;
        char *scope;
};

_public_ int tessera_account_name_is_valid(const char *name) {
        size_t n = 0;

        if (!name)
                return 0;
        for (const char *p = name; *p; p++, n++) {
                char ch = *p;
                if (n >= 64)
                        return 0;
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '.' || ch == '-'))
                        return 0;
        }
        return n > 0;
}

_public_ int tessera_client_new(const char *socket_path, tessera_client **ret) {
        tessera_client *c;

        if (!ret)
                return TESSERA_E_INVALID;
        if (!socket_path || !*socket_path) {
                socket_path = secure_getenv("TESSERA_SOCKET");
                if (!socket_path || !*socket_path)
                        socket_path = TESSERA_DEFAULT_SOCKET;
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return TESSERA_E_NOMEM;
        c->socket_path = strdup(socket_path);
        if (!c->socket_path) {
                free(c);
                return TESSERA_E_NOMEM;
        }
        if (pthread_mutex_init(&c->lock, NULL) != 0) {
                free(c->socket_path);
                free(c);
                return TESSERA_E_NOMEM;
        }
        c->timeout_ms = DEFAULT_TIMEOUT_MS;
        c->max_response = TESSERA_API_DEFAULT_MAX_RESPONSE;
        c->pool_pid = getpid();

        *ret = c;
        return 0;
}

_public_ tessera_client *tessera_client_free(tessera_client *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_pool; i++)
                close(c->pool[i]);
        pthread_mutex_destroy(&c->lock);
        free(c->socket_path);
        free(c);
        return NULL;
}

_public_ int tessera_client_set_timeout(tessera_client *c, unsigned timeout_ms) {
        if (!c || timeout_ms == 0)
                return TESSERA_E_INVALID;
        pthread_mutex_lock(&c->lock);
        c->timeout_ms = timeout_ms;
        pthread_mutex_unlock(&c->lock);
        return 0;
}

_public_ const char *tessera_client_get_socket_path(const tessera_client *c) {
        return c ? c->socket_path : NULL;
}

/* Returns a pooled connection or -1. Runs the liveness probe outside the
 * lock so that threads do not serialise on poll(). */
static int pool_take(tessera_client *c) {
        for (;;) {
                int fd = -1;

                pthread_mutex_lock(&c->lock);
                if (c->pool_pid != getpid()) {
                        /* Closing our copies leaves the parent's sockets alone. */
                        for (size_t i = 0; i < c->n_pool; i++)
                                close(c->pool[i]);
                        c->n_pool = 0;
                        c->pool_pid = getpid();
                }
                if (c->n_pool > 0)
                        fd = c->pool[--c->n_pool];
                pthread_mutex_unlock(&c->lock);

                if (fd < 0 || http_idle_conn_ok(fd))
                        return fd;
                close(fd);
        }
}

static void pool_put(tessera_client *c, int fd) {
        pthread_mutex_lock(&c->lock);
        if (c->n_pool < POOL_MAX && c->pool_pid == getpid()) {
                c->pool[c->n_pool++] = fd;
                fd = -1;
        }
        pthread_mutex_unlock(&c->lock);
        if (fd >= 0)
                close(fd);
}

static int map_connect_errno(int r) {
        switch (-r) {
        case ETIMEDOUT:
                return TESSERA_E_TIMEOUT;
        case EACCES:
        case EPERM:
                /* The socket's mode/group decides who may talk to tesserad:
                 * being refused there is a permission matter, not an outage. */
                return TESSERA_E_FORBIDDEN;
        case ENAMETOOLONG:
                return TESSERA_E_INVALID;
        case ENOMEM:
        case ENOBUFS:
                return TESSERA_E_NOMEM;
        default:
                return TESSERA_E_UNAVAILABLE;
        }
}

static int map_io_errno(int r, bool got_bytes) {
        switch (-r) {
        case ETIMEDOUT:
                return TESSERA_E_TIMEOUT;
        case ENOMEM:
                return TESSERA_E_NOMEM;
        case EBADMSG:
        case E2BIG:
                return TESSERA_E_PROTOCOL;
        default:
                /* Closed or reset before answering: the daemon went away. */
                return got_bytes ? TESSERA_E_PROTOCOL : TESSERA_E_UNAVAILABLE;
        }
}

/* RFC 9110 tchar */
static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* The daemon's own API only has upper-case methods; the gateway allows any
 * RFC 9110 token (checked by client_do). */
static bool valid_daemon_method(const char *m) {
        size_t n = 0;

        for (; m[n]; n++)
                if (m[n] < 'A' || m[n] > 'Z' || n >= 16)
                        return false;
        return n > 0;
}

static bool valid_token(const char *m) {
        size_t n = 0;

        for (; m[n]; n++)
                if (!is_tchar(m[n]) || n >= 32)
                        return false;
        return n > 0;
}

static bool valid_target(const char *p) {
        if (p[0] != '/')
                return false;
        for (; *p; p++)
                if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7F)
                        return false;
        return true;
}

/* A header value we send: printable ASCII and inner spaces, nothing that
 * could end the line. */
static bool valid_field_value(const char *v) {
        size_t n = 0;

        for (; v[n]; n++)
                if (n >= 256 || (unsigned char) v[n] < 0x20 || (unsigned char) v[n] >= 0x7F)
                        return false;
        return n > 0 && v[0] != ' ' && v[n - 1] != ' ';
}

static int build_head(const client_req *rq, char **ret, size_t *ret_len) {
        char *head = NULL;
        size_t len = 0;
        FILE *f;

        f = open_memstream(&head, &len);
        if (!f)
                return TESSERA_E_NOMEM;
        fprintf(f, "%s %s HTTP/1.1\r\nHost: localhost\r\n", rq->method, rq->path);
        if (rq->accept)
                fprintf(f, "Accept: %s\r\n", rq->accept);
        if (rq->wait_s > 0)
                fprintf(f, "Tessera-Wait: %u\r\n", rq->wait_s);
        if (rq->body)
                fprintf(f, "Content-Type: %s\r\nContent-Length: %zu\r\n",
                        rq->content_type ? rq->content_type : "application/json", rq->body_len);
        else if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
                /* Some servers wait for a body on POST unless told there is none. */
                fputs("Content-Length: 0\r\n", f);
        fputs("\r\n", f);
        if (ferror(f) | fclose(f)) {
                free(head);
                return TESSERA_E_NOMEM;
        }
        *ret = head;
        *ret_len = len;
        return 0;
}

static int copy_head(const http_parser *p, client_resp *out) {
        /* The parser keeps the final response's head, blank line included. */
        size_t n = p->head_len >= 2 ? p->head_len - 2 : 0;

        out->head = malloc(n + 1);
        if (!out->head)
                return TESSERA_E_NOMEM;
        memcpy(out->head, p->head, n);
        out->head[n] = '\0';
        out->head_len = n;
        return 0;
}

/* One exchange on fd. On failure *ret_retry tells whether a fresh
 * connection may be tried: only when nothing of a response arrived. */
static int exchange(int fd, const char *head, size_t head_len, const client_req *rq,
                    int64_t deadline, client_resp *out, bool *ret_retry, bool *ret_reusable) {
        http_parser *p;
        bool got = false, extra = false, early = false;
        int r, send_r;

        *ret_retry = false;
        *ret_reusable = false;

        send_r = http_send_all(fd, head, head_len, deadline, &early);
        if (send_r >= 0 && !early && rq->body && rq->body_len > 0)
                send_r = http_send_all(fd, rq->body, rq->body_len, deadline, &early);
        if (send_r == -ETIMEDOUT)
                return TESSERA_E_TIMEOUT;
        /* Other send failures: the peer may have answered (413 to a large
         * body, say) and closed; that answer is still ours to read. */

        p = malloc(sizeof(*p));
        if (!p)
                return TESSERA_E_NOMEM;
        http_parser_init(p, rq->max_body, strcmp(rq->method, "HEAD") == 0);

        r = http_read_response(fd, p, deadline, &got, &extra);
        if (r < 0) {
                if (send_r < 0 && !got) {
                        *ret_retry = send_r == -EPIPE || send_r == -ECONNRESET || send_r == -ENOTCONN;
                        r = map_io_errno(send_r, false);
                } else {
                        *ret_retry = !got && (r == -EPIPE || r == -ECONNRESET);
                        if (r == -E2BIG && p->body_too_big)
                                r = rq->report_too_large ? TESSERA_E_TOO_LARGE : TESSERA_E_PROTOCOL;
                        else
                                r = map_io_errno(r, got);
                }
                goto out;
        }

        if (rq->want_head) {
                r = copy_head(p, out);
                if (r < 0)
                        goto out;
        }
        r = http_parser_take_body(p, &out->body, &out->body_len);
        if (r < 0) {
                free(out->head);
                out->head = NULL;
                r = TESSERA_E_NOMEM;
                goto out;
        }
        out->status = p->status;
        /* A body only partly sent leaves the connection in an unknown state. */
        *ret_reusable = p->keep_alive && !extra && send_r >= 0 && !early;
        r = 0;
out:
        http_parser_done(p);
        free(p);
        return r;
}

void client_resp_done(client_resp *r) {
        if (r->body) {
                wipe(r->body, r->body_len + 1);
                free(r->body);
        }
        free(r->head);
        *r = (client_resp) {};
}

int client_do(tessera_client *c, const client_req *rq, client_resp *ret) {
        client_resp resp = {};
        char *head = NULL;
        size_t head_len = 0;
        int64_t deadline, timeout_ms = rq->timeout_ms;
        int r;

        if (!c || !rq->method || !rq->path || !valid_token(rq->method) || !valid_target(rq->path))
                return TESSERA_E_INVALID;
        if (rq->content_type && !valid_field_value(rq->content_type))
                return TESSERA_E_INVALID;

        if (timeout_ms == 0) {
                pthread_mutex_lock(&c->lock);
                timeout_ms = (int64_t) c->timeout_ms + rq->extra_timeout_ms;
                pthread_mutex_unlock(&c->lock);
        }
        deadline = http_now_ms() + timeout_ms;

        r = build_head(rq, &head, &head_len);
        if (r < 0)
                return r;

        /* A pooled connection may have been closed by the server while idle;
         * that shows up as EPIPE/reset/EOF before any byte of a response,
         * and then the request is replayed once on a fresh connection. A
         * request that is not idempotent is never replayed: it takes a new
         * connection, where such a failure is a real one. */
        for (int attempt = 0; attempt < 2; attempt++) {
                bool pooled, retry, reusable;
                int fd = attempt == 0 && !rq->no_replay ? pool_take(c) : -1;

                pooled = fd >= 0;
                if (!pooled) {
                        r = http_connect_unix(c->socket_path, deadline, &fd);
                        if (r < 0) {
                                r = map_connect_errno(r);
                                break;
                        }
                }

                r = exchange(fd, head, head_len, rq, deadline, &resp, &retry, &reusable);
                if (r >= 0 && reusable)
                        pool_put(c, fd);
                else
                        close(fd);
                if (r >= 0 || !pooled || !retry)
                        break;
        }

        wipe(head, head_len);
        free(head);
        if (r < 0)
                return r;
        *ret = resp;
        return 0;
}

/* A request of the daemon's own API. On success *ret_body is a
 * NUL-terminated buffer of *ret_len bytes (plus terminator) that the caller
 * wipes and frees. */
static int do_request(tessera_client *c, const char *method, const char *path,
                      const char *body, unsigned timeout_ms,
                      int *ret_status, char **ret_body, size_t *ret_len) {
        client_resp resp = {};
        int r;

        if (!c || !method || !path || !valid_daemon_method(method) || !valid_target(path))
                return TESSERA_E_INVALID;
        if (body && strlen(body) > MAX_REQUEST_BODY)
                return TESSERA_E_INVALID;

        r = client_do(c, &(client_req) {
                        .method = method,
                        .path = path,
                        .body = body,
                        .body_len = body ? strlen(body) : 0,
                        .accept = "application/json",
                        .timeout_ms = timeout_ms,
                }, &resp);
        if (r < 0)
                return r;

        *ret_status = resp.status;
        *ret_body = resp.body;
        *ret_len = resp.body_len;
        free(resp.head);
        return 0;
}
_public_ char *tessera_free(char *s) {
        if (s) {
                wipe(s, strlen(s));
                free(s);
        }
        return NULL;
}

_public_ int tessera_request(tessera_client *c, const char *method, const char *path,
                             const char *json_body, unsigned timeout_ms,
                             int *ret_http_status, char **ret_body) {
        char *body = NULL;
        size_t len = 0;
        int status = 0, r;

        if (!ret_http_status)
                return TESSERA_E_INVALID;

        r = do_request(c, method, path, json_body, timeout_ms, &status, &body, &len);
        if (r < 0)
                return r;

        /* Handed out as a C string: an embedded NUL would silently cut it. */
        if (memchr(body, 0, len)) {
                wipe(body, len);
                free(body);
                return TESSERA_E_PROTOCOL;
        }

        *ret_http_status = status;
        if (ret_body)
                *ret_body = body;
        else
                tessera_free(body);
        return 0;
}

_public_ int tessera_error_from_http(int http_status, const char *error_code) {
        static const struct {
                const char *code;
                int err;
        } codes[] = {
                { "login_required",     TESSERA_E_LOGIN_REQUIRED },
                { "forbidden",          TESSERA_E_FORBIDDEN },
                { "tenant_not_allowed", TESSERA_E_FORBIDDEN },
                { "no_such_account",    TESSERA_E_NO_ACCOUNT },
                { "idp_unavailable",    TESSERA_E_IDP_UNAVAILABLE },
                { "login_in_progress",  TESSERA_E_BUSY },
                { "bad_request",        TESSERA_E_INVALID },
                { "payload_too_large",  TESSERA_E_INVALID },
                /* The gateway's own errors (API 1.1). */
                { "rate_limited",       TESSERA_E_FAILED },
                { "api_unavailable",    TESSERA_E_FAILED },
                { "api_busy",           TESSERA_E_FAILED },
                { "api_timeout",        TESSERA_E_TIMEOUT },
                { "shutting_down",      TESSERA_E_UNAVAILABLE },
                { "internal_error",     TESSERA_E_FAILED },
        };

        if (http_status >= 200 && http_status <= 299)
                return 0;

        if (error_code)
                for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                        if (strcmp(codes[i].code, error_code) == 0)
                                return codes[i].err;

        switch (http_status) {
        case 400:
        case 413:
        case 414:
        case 431:
                return TESSERA_E_INVALID;
        case 401:
                return TESSERA_E_LOGIN_REQUIRED;
        case 403:
                return TESSERA_E_FORBIDDEN;
        case 404:
                return TESSERA_E_NO_ACCOUNT;
        case 408:
                return TESSERA_E_TIMEOUT;
        case 409:
                return TESSERA_E_BUSY;
        case 503:
                return TESSERA_E_IDP_UNAVAILABLE;
        }
        if (http_status >= 400 && http_status <= 599)
                return TESSERA_E_FAILED;
        return TESSERA_E_PROTOCOL;
}

_public_ const char *tessera_strerror(int err) {
        switch (err) {
        case 0:
                return "Success.";
        case TESSERA_E_INVALID:
                return "Invalid argument or request.";
        case TESSERA_E_LOGIN_REQUIRED:
                return "The account is not logged in; run: tessera login ACCOUNT.";
        case TESSERA_E_FORBIDDEN:
                return "Permission denied: this user may not use the account or the tesserad socket.";
        case TESSERA_E_NO_ACCOUNT:
                return "No such account is configured in tesserad.";
        case TESSERA_E_UNAVAILABLE:
                return "The tesserad daemon cannot be reached.";
        case TESSERA_E_IDP_UNAVAILABLE:
                return "The identity provider cannot be reached and no valid token is cached.";
        case TESSERA_E_TIMEOUT:
                return "The request to tesserad timed out.";
        case TESSERA_E_PROTOCOL:
                return "tesserad sent a response that could not be understood.";
        case TESSERA_E_NOMEM:
                return "Out of memory.";
        case TESSERA_E_BUSY:
                return "A login for this account is already in progress.";
        case TESSERA_E_FAILED:
                return "tesserad reported an internal failure.";
        case TESSERA_E_TOO_LARGE:
                return "The request or response body is larger than the limit.";
        }
        return "Unknown error.";
}

static int dup_checked(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : TESSERA_E_NOMEM;
}

/* Error body: {"error":CODE,...}; anything unparsable falls back to the status. */
static int error_from_body(int status, char *body, size_t len) {
        jr_doc *d = NULL;
        int r;

        if (jr_parse(body, len, &d) < 0)
                return tessera_error_from_http(status, NULL);
        r = tessera_error_from_http(status, jr_get_string(jr_root(d), "error"));
        jr_doc_free(d);
        return r;
}

static bool valid_token_chars(const char *s, size_t n) {
        /* RFC 6750 b64token plus anything printable: it goes into an HTTP
         * header, so no spaces or control characters. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7F)
                        return false;
        return n > 0;
}

static int token_from_body(char *body, size_t len, tessera_token **ret) {
        tessera_token *t = NULL;
        const jr_node *root, *n;
        jr_doc *d = NULL;
        int r;

        if (jr_parse(body, len, &d) < 0)
                return TESSERA_E_PROTOCOL;
        root = jr_root(d);

        n = jr_get(root, "access_token");
        r = TESSERA_E_PROTOCOL;
        if (!n || n->type != JR_STRING || !valid_token_chars(n->str, n->len))
                goto out;

        t = calloc(1, sizeof(*t));
        if (!t) {
                r = TESSERA_E_NOMEM;
                goto out;
        }
        t->value = malloc(n->len + 1);
        if (!t->value) {
                r = TESSERA_E_NOMEM;
                goto out;
        }
        memcpy(t->value, n->str, n->len + 1);
        t->value_len = n->len;

        r = TESSERA_E_PROTOCOL;
        if (!jr_get_int(root, "expires_at", &t->expires_at))
                goto out;

        n = jr_get(root, "tenant_id");
        if (n && n->type == JR_NUMBER) {
                /* Numeric ids are handed out as their decimal text. */
                t->tenant = strndup(n->str, n->len);
                if (!t->tenant) {
                        r = TESSERA_E_NOMEM;
                        goto out;
                }
        } else if ((r = dup_checked(n && n->type == JR_STRING ? n->str : NULL, &t->tenant)) < 0)
                goto out;

        const char *type = jr_get_string(root, "token_type");
        if ((r = dup_checked(type ? type : "Bearer", &t->type)) < 0)
                goto out;
        if ((r = dup_checked(jr_get_string(root, "scope"), &t->scope)) < 0)
                goto out;

        *ret = t;
        t = NULL;
        r = 0;
out:
        tessera_token_free(t);
        jr_doc_free(d);
        return r;
}

_public_ int tessera_get_token_timeout(tessera_client *c, const char *account,
                                       unsigned min_valid_s, unsigned timeout_ms,
                                       tessera_token **ret) {
        char path[128], *body = NULL;
        size_t len = 0;
        int status = 0, r;

        if (!c || !ret)
                return TESSERA_E_INVALID;
        if (!account)
                account = "default";
        if (!tessera_account_name_is_valid(account))
                return TESSERA_E_INVALID;

        if (min_valid_s > 0)
                snprintf(path, sizeof(path), "/v1/accounts/%s/token?min_valid=%u", account, min_valid_s);
        else
                snprintf(path, sizeof(path), "/v1/accounts/%s/token", account);

        r = do_request(c, "GET", path, NULL, timeout_ms, &status, &body, &len);
        if (r < 0)
                return r;

        if (status == 200)
                r = token_from_body(body, len, ret);
        else
                r = error_from_body(status, body, len);

        /* The JSON was decoded in place: the buffer still holds the token. */
        wipe(body, len);
        free(body);
        return r;
}

_public_ int tessera_get_token(tessera_client *c, const char *account,
                               unsigned min_valid_s, tessera_token **ret) {
        return tessera_get_token_timeout(c, account, min_valid_s, 0, ret);
}

_public_ const char *tessera_token_value(const tessera_token *t) {
        return t ? t->value : NULL;
}

_public_ int64_t tessera_token_expires_at(const tessera_token *t) {
        return t ? t->expires_at : 0;
}

_public_ const char *tessera_token_tenant(const tessera_token *t) {
        return t ? t->tenant : NULL;
}

_public_ const char *tessera_token_type(const tessera_token *t) {
        return t ? t->type : NULL;
}

_public_ const char *tessera_token_scope(const tessera_token *t) {
        return t ? t->scope : NULL;
}

_public_ tessera_token *tessera_token_free(tessera_token *t) {
        if (!t)
                return NULL;
        if (t->value) {
                wipe(t->value, t->value_len);
                free(t->value);
        }
        free(t->tenant);
        free(t->type);
        free(t->scope);
        wipe(t, sizeof(*t));
        free(t);
        return NULL;
}
