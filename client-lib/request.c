/* SPDX-License-Identifier: MIT */

/* One HTTP/1.1 request to tesserad and its complete answer: the request
 * head, a pooled or fresh connection, the replay of a request that met a
 * connection the daemon had closed while idle, and the mapping of socket
 * errors to TESSERA_E_* codes. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conn-pool.h"
#include "http-client.h"
#include "http-parser.h"
#include "wipe.h"

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

/* The gateway allows any RFC 9110 token as method; the daemon's own API
 * calls check for upper case first. */
static bool valid_method(const char *m) {
        size_t n = 0;

        for (; m[n]; n++)
                if (!http_is_tchar(m[n]) || n >= 32)
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
        wipe_free(r->body, r->body_len + 1);
        free(r->head);
        *r = (client_resp) {};
}

int client_do(tessera_client *c, const client_req *rq, client_resp *ret) {
        client_resp resp = {};
        char *head = NULL;
        size_t head_len = 0;
        int64_t deadline, timeout_ms = rq->timeout_ms;
        int r;

        if (!c || !rq->method || !rq->path || !valid_method(rq->method) || !valid_target(rq->path))
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
                int fd = attempt == 0 && !rq->no_replay ? conn_pool_take(&c->pool) : -1;

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
                        conn_pool_put(&c->pool, fd);
                else
                        close(fd);
                if (r >= 0 || !pooled || !retry)
                        break;
        }

        wipe_free(head, head_len);
        if (r < 0)
                return r;
        *ret = resp;
        return 0;
}
