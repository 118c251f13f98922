/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-parser.h"
#include "wipe.h"

void http_parser_init(http_parser *p, size_t max_body, bool no_body) {
        memset(p, 0, offsetof(http_parser, head));
        p->head_len = 0;
        memset(&p->status, 0, sizeof(*p) - offsetof(http_parser, status));
        p->state = HTTP_ST_HEAD;
        p->max_body = max_body > 0 ? max_body : HTTP_MAX_BODY;
        p->no_body = no_body;
}

void http_parser_done(http_parser *p) {
        p->body = wipe_free(p->body, p->body_alloc);
        p->body_len = p->body_alloc = 0;
}

static int body_reserve(http_parser *p, size_t extra) {
        size_t want, a;
        char *n;

        if (extra > p->max_body || p->body_len > p->max_body - extra) {
                p->body_too_big = true;
                return -E2BIG;
        }
        want = p->body_len + extra + 1;   /* room for the terminator */
        if (want <= p->body_alloc)
                return 0;

        a = p->body_alloc > 0 ? p->body_alloc : 1024;
        while (a < want)
                a *= 2;
        if (a > p->max_body + 1)
                a = p->max_body + 1;

        /* Not realloc(): the old block may hold a token and must be wiped. */
        n = malloc(a);
        if (!n)
                return -ENOMEM;
        if (p->body) {
                memcpy(n, p->body, p->body_len);
                wipe_free(p->body, p->body_alloc);
        }
        p->body = n;
        p->body_alloc = a;
        return 0;
}

static int body_append(http_parser *p, const char *d, size_t n) {
        int r = body_reserve(p, n);
        if (r < 0)
                return r;
        memcpy(p->body + p->body_len, d, n);
        p->body_len += n;
        return 0;
}

static bool is_ows(char c) {
        return c == ' ' || c == '\t';
}

/* Case-insensitive match of a comma-separated token list member. */
static bool list_has(const char *v, size_t n, const char *tok) {
        size_t tl = strlen(tok), i = 0;

        while (i < n) {
                size_t s, e;

                while (i < n && (is_ows(v[i]) || v[i] == ','))
                        i++;
                s = i;
                while (i < n && v[i] != ',')
                        i++;
                e = i;
                while (e > s && is_ows(v[e - 1]))
                        e--;
                if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
                        return true;
        }
        return false;
}

static int parse_header(http_parser *p, const char *l, size_t n) {
        size_t c = 0, vs, ve;

        while (c < n && l[c] != ':') {
                if (!http_is_tchar(l[c]))
                        return -EBADMSG;
                c++;
        }
        if (c == 0 || c == n)
                return -EBADMSG;

        vs = c + 1;
        while (vs < n && is_ows(l[vs]))
                vs++;
        ve = n;
        while (ve > vs && is_ows(l[ve - 1]))
                ve--;
        for (size_t k = vs; k < ve; k++)
                if ((unsigned char) l[k] < 0x20 && l[k] != '\t')
                        return -EBADMSG;

        const char *v = l + vs;
        size_t vl = ve - vs;

        if (c == 14 && strncasecmp(l, "Content-Length", c) == 0) {
                uint64_t x = 0;

                if (vl == 0)
                        return -EBADMSG;
                for (size_t k = 0; k < vl; k++) {
                        if (v[k] < '0' || v[k] > '9')
                                return -EBADMSG;
                        if (x > (UINT64_MAX - 9) / 10)
                                return -E2BIG;
                        x = x * 10 + (uint64_t) (v[k] - '0');
                }
                if (p->have_length && x != p->content_length)
                        return -EBADMSG;
                p->have_length = true;
                p->content_length = x;
        } else if (c == 17 && strncasecmp(l, "Transfer-Encoding", c) == 0) {
                /* Only plain chunked: nothing else is ever sent by tesserad. */
                if (vl != 7 || strncasecmp(v, "chunked", 7) != 0)
                        return -EBADMSG;
                p->chunked = true;
        } else if (c == 10 && strncasecmp(l, "Connection", c) == 0) {
                if (list_has(v, vl, "close"))
                        p->keep_alive = false;
                else if (list_has(v, vl, "keep-alive"))
                        p->keep_alive = true;
        }
        return 0;
}

static int parse_head(http_parser *p) {
        const char *h = p->head;
        size_t n = p->head_len - 2;  /* keep the CRLF ending the last header */
        size_t i, e;
        unsigned n_headers = 0;
        int r;

        /* Status line: HTTP/1.x SP 3DIGIT [SP reason] */
        if (n < 12 || memcmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') || h[8] != ' ')
                return -EBADMSG;
        for (int k = 9; k < 12; k++)
                if (h[k] < '0' || h[k] > '9')
                        return -EBADMSG;
        p->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
        if (p->status < 100)
                return -EBADMSG;
        p->keep_alive = h[7] == '1';
        p->have_length = p->chunked = false;
        p->content_length = 0;

        e = 12;
        while (e + 1 < n && !(h[e] == '\r' && h[e + 1] == '\n'))
                e++;
        if (e + 1 >= n)
                return -EBADMSG;
        if (e > 12 && h[12] != ' ')
                return -EBADMSG;
        for (size_t k = 12; k < e; k++)
                if ((unsigned char) h[k] < 0x20 && h[k] != '\t')
                        return -EBADMSG;

        for (i = e + 2; i < n; i = e + 2) {
                e = i;
                while (e + 1 < n && !(h[e] == '\r' && h[e + 1] == '\n')) {
                        /* lone CR or LF: refuse rather than guess where lines end */
                        if (h[e] == '\r' || h[e] == '\n')
                                return -EBADMSG;
                        e++;
                }
                if (e + 1 >= n)
                        return -EBADMSG;
                if (++n_headers > HTTP_MAX_HEADERS)
                        return -E2BIG;
                r = parse_header(p, h + i, e - i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int head_complete(http_parser *p) {
        int r = parse_head(p);
        if (r < 0)
                return r;

        if (p->status < 200) {
                /* Interim response (100 Continue and the like): the real one follows. */
                if (p->status == 101)
                        return -EBADMSG;
                p->head_len = 0;
                return 0;
        }

        if (p->no_body || p->status == 204 || p->status == 304) {
                p->state = HTTP_ST_DONE;
                return 0;
        }
        if (p->chunked) {
                /* A length next to chunked smells of smuggling: do not reuse. */
                if (p->have_length)
                        p->keep_alive = false;
                p->state = HTTP_ST_CHUNK_SIZE;
                p->line_len = 0;
                return 0;
        }
        if (p->have_length) {
                if (p->content_length > p->max_body) {
                        p->body_too_big = true;
                        return -E2BIG;
                }
                p->remaining = p->content_length;
                if (p->remaining == 0) {
                        p->state = HTTP_ST_DONE;
                        return 0;
                }
                p->state = HTTP_ST_BODY_LENGTH;
                return body_reserve(p, (size_t) p->content_length);
        }
        p->keep_alive = false;
        p->state = HTTP_ST_BODY_EOF;
        return 0;
}

static int chunk_size_line(http_parser *p) {
        uint64_t x = 0;
        size_t k = 0;

        while (k < p->line_len) {
                char c = p->line[k];
                unsigned d;

                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        break;
                if (x > p->max_body) {
                        p->body_too_big = true;
                        return -E2BIG;
                }
                x = x * 16 + d;
                k++;
        }
        if (k == 0)
                return -EBADMSG;
        while (k < p->line_len && is_ows(p->line[k]))
                k++;
        if (k < p->line_len && p->line[k] != ';')
                return -EBADMSG;
        if (x > p->max_body) {
                p->body_too_big = true;
                return -E2BIG;
        }

        p->line_len = 0;
        if (x == 0) {
                p->state = HTTP_ST_TRAILER;
                return 0;
        }
        p->remaining = x;
        p->state = HTTP_ST_CHUNK_DATA;
        return 0;
}

/* Collects one CRLF-terminated line into p->line; 1 when complete. */
static int line_push(http_parser *p, char c) {
        if (p->line_len > 0 && p->line[p->line_len - 1] == '\r') {
                if (c != '\n')
                        return -EBADMSG;
                p->line_len--;
                return 1;
        }
        if (c == '\n')
                return -EBADMSG;
        if (p->line_len >= sizeof(p->line))
                return -E2BIG;
        p->line[p->line_len++] = c;
        return 0;
}

int http_parser_feed(http_parser *p, const char *data, size_t n, size_t *ret_consumed) {
        size_t i = 0;
        int r;

        while (i < n && p->state != HTTP_ST_DONE) {
                switch (p->state) {
                case HTTP_ST_HEAD:
                        if (p->head_len >= sizeof(p->head))
                                return -E2BIG;
                        p->head[p->head_len++] = data[i++];
                        if (p->head_len >= 4 && memcmp(p->head + p->head_len - 4, "\r\n\r\n", 4) == 0) {
                                r = head_complete(p);
                                if (r < 0)
                                        return r;
                        }
                        break;

                case HTTP_ST_BODY_LENGTH:
                case HTTP_ST_CHUNK_DATA: {
                        size_t take = n - i;
                        if (take > p->remaining)
                                take = (size_t) p->remaining;
                        r = body_append(p, data + i, take);
                        if (r < 0)
                                return r;
                        i += take;
                        p->remaining -= take;
                        if (p->remaining == 0)
                                p->state = p->state == HTTP_ST_BODY_LENGTH ? HTTP_ST_DONE : HTTP_ST_CHUNK_CRLF;
                        break;
                }

                case HTTP_ST_BODY_EOF:
                        r = body_append(p, data + i, n - i);
                        if (r < 0)
                                return r;
                        i = n;
                        break;

                case HTTP_ST_CHUNK_SIZE:
                        r = line_push(p, data[i++]);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                r = chunk_size_line(p);
                                if (r < 0)
                                        return r;
                        }
                        break;

                case HTTP_ST_CHUNK_CRLF:
                        r = line_push(p, data[i++]);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                if (p->line_len != 0)
                                        return -EBADMSG;
                                p->state = HTTP_ST_CHUNK_SIZE;
                        }
                        break;

                case HTTP_ST_TRAILER:
                        if (++p->trailer_bytes > HTTP_MAX_TRAILERS)
                                return -E2BIG;
                        r = line_push(p, data[i++]);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                if (p->line_len == 0)
                                        p->state = HTTP_ST_DONE;
                                p->line_len = 0;
                        }
                        break;

                case HTTP_ST_DONE:
                        break;
                }
        }

        if (p->state != HTTP_ST_DONE)
                return 0;
        if (ret_consumed)
                *ret_consumed = i;
        return 1;
}

int http_parser_eof(http_parser *p) {
        if (p->state == HTTP_ST_DONE)
                return 1;
        if (p->state == HTTP_ST_BODY_EOF) {
                p->state = HTTP_ST_DONE;
                return 1;
        }
        return -EPIPE;
}

int http_parser_take_body(http_parser *p, char **ret, size_t *ret_len) {
        int r;

        if (p->state != HTTP_ST_DONE)
                return -EINVAL;
        r = body_reserve(p, 0);
        if (r < 0)
                return r;
        p->body[p->body_len] = '\0';
        *ret = p->body;
        if (ret_len)
                *ret_len = p->body_len;
        p->body = NULL;
        p->body_len = p->body_alloc = 0;
        return 0;
}
