/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-reader.h"

/* Nodes come from fixed-size chunks so that their addresses stay stable
 * while the tree grows. */
#define CHUNK_NODES 128

typedef struct chunk chunk;
struct chunk {
        chunk *next;
        size_t used;
        jr_node nodes[CHUNK_NODES];
};

struct jr_doc {
        chunk *chunks;
        size_t n_nodes;
        jr_node *root;
};

typedef struct parser {
        jr_doc *doc;
        char *buf;
        size_t len;
        size_t pos;
} parser;

static jr_node *node_new(parser *p) {
        chunk *c = p->doc->chunks;

        if (p->doc->n_nodes >= JR_MAX_NODES)
                return NULL;
        if (!c || c->used >= CHUNK_NODES) {
                c = calloc(1, sizeof(chunk));
                if (!c)
                        return NULL;
                c->next = p->doc->chunks;
                p->doc->chunks = c;
        }
        p->doc->n_nodes++;
        return &c->nodes[c->used++];
}

static void skip_ws(parser *p) {
        while (p->pos < p->len) {
                char ch = p->buf[p->pos];
                if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
                        return;
                p->pos++;
        }
}

static int peek(const parser *p) {
        return p->pos < p->len ? (unsigned char) p->buf[p->pos] : -1;
}

static int hex4(parser *p, unsigned *ret) {
        unsigned v = 0;

        if (p->len - p->pos < 4)
                return -EINVAL;
        for (int k = 0; k < 4; k++) {
                char ch = p->buf[p->pos++];
                v <<= 4;
                if (ch >= '0' && ch <= '9')
                        v |= (unsigned) (ch - '0');
                else if (ch >= 'a' && ch <= 'f')
                        v |= (unsigned) (ch - 'a' + 10);
                else if (ch >= 'A' && ch <= 'F')
                        v |= (unsigned) (ch - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
        unsigned char c = s[0];
        unsigned char lo = 0x80, hi = 0xBF;
        size_t need;

        if (c >= 0xC2 && c <= 0xDF)
                need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0)
                        lo = 0xA0;
                else if (c == 0xED)
                        hi = 0x9F;  /* no encoded surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0)
                        lo = 0x90;
                else if (c == 0xF4)
                        hi = 0x8F;
        } else
                return 0;

        if (n < need + 1)
                return 0;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (size_t k = 2; k <= need; k++)
                if (s[k] < 0x80 || s[k] > 0xBF)
                        return 0;
        return need + 1;
}

static size_t utf8_put(char *w, unsigned cp) {
        if (cp < 0x80) {
                w[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                w[0] = (char) (0xC0 | (cp >> 6));
                w[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                w[0] = (char) (0xE0 | (cp >> 12));
                w[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                w[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        w[0] = (char) (0xF0 | (cp >> 18));
        w[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        w[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        w[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* Called with pos just after the opening quote. Decodes in place: the output
 * never outgrows the escaped input, so the write cursor stays behind the
 * read cursor and the closing quote's slot takes the terminator. */
static int parse_string(parser *p, const char **ret, size_t *ret_len) {
        char *start = p->buf + p->pos;
        char *w = start;

        for (;;) {
                if (p->pos >= p->len)
                        return -EINVAL;

                unsigned char ch = (unsigned char) p->buf[p->pos];

                if (ch == '"') {
                        p->pos++;
                        *w = '\0';
                        *ret = start;
                        *ret_len = (size_t) (w - start);
                        return 0;
                }
                if (ch < 0x20)
                        return -EINVAL;
                if (ch >= 0x80) {
                        size_t n = utf8_len((const unsigned char *) p->buf + p->pos, p->len - p->pos);
                        if (n == 0)
                                return -EINVAL;
                        memmove(w, p->buf + p->pos, n);
                        w += n;
                        p->pos += n;
                        continue;
                }
                p->pos++;
                if (ch != '\\') {
                        *w++ = (char) ch;
                        continue;
                }

                if (p->pos >= p->len)
                        return -EINVAL;
                ch = (unsigned char) p->buf[p->pos++];
                switch (ch) {
                case '"': *w++ = '"'; break;
                case '\\': *w++ = '\\'; break;
                case '/': *w++ = '/'; break;
                case 'b': *w++ = '\b'; break;
                case 'f': *w++ = '\f'; break;
                case 'n': *w++ = '\n'; break;
                case 'r': *w++ = '\r'; break;
                case 't': *w++ = '\t'; break;
                case 'u': {
                        unsigned cp, lo;

                        if (hex4(p, &cp) < 0)
                                return -EINVAL;
                        if (cp >= 0xDC00 && cp <= 0xDFFF)
                                return -EINVAL;
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                                if (p->len - p->pos < 2 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u')
                                        return -EINVAL;
                                p->pos += 2;
                                if (hex4(p, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                                        return -EINVAL;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        }
                        /* C strings cannot carry NUL; a name or token with one
                         * would be silently cut, so refuse it. */
                        if (cp == 0)
                                return -EINVAL;
                        w += utf8_put(w, cp);
                        break;
                }
                default:
                        return -EINVAL;
                }
        }
}

static bool is_digit(int c) {
        return c >= '0' && c <= '9';
}

static int parse_number(parser *p, jr_node *n) {
        size_t start = p->pos;
        bool neg = false, integral = true, overflow = false;
        uint64_t mag = 0;

        if (peek(p) == '-') {
                neg = true;
                p->pos++;
        }
        if (peek(p) == '0')
                p->pos++;
        else if (is_digit(peek(p))) {
                while (is_digit(peek(p))) {
                        unsigned d = (unsigned) (peek(p) - '0');
                        if (mag > (UINT64_MAX - d) / 10)
                                overflow = true;
                        else
                                mag = mag * 10 + d;
                        p->pos++;
                }
        } else
                return -EINVAL;

        if (peek(p) == '.') {
                integral = false;
                p->pos++;
                if (!is_digit(peek(p)))
                        return -EINVAL;
                while (is_digit(peek(p)))
                        p->pos++;
        }
        if (peek(p) == 'e' || peek(p) == 'E') {
                integral = false;
                p->pos++;
                if (peek(p) == '+' || peek(p) == '-')
                        p->pos++;
                if (!is_digit(peek(p)))
                        return -EINVAL;
                while (is_digit(peek(p)))
                        p->pos++;
        }

        n->type = JR_NUMBER;
        n->str = p->buf + start;
        n->len = p->pos - start;
        if (integral && !overflow) {
                if (!neg && mag <= (uint64_t) INT64_MAX) {
                        n->is_int = true;
                        n->i = (int64_t) mag;
                } else if (neg && mag <= (uint64_t) INT64_MAX + 1) {
                        n->is_int = true;
                        n->i = mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag;
                }
        }
        return 0;
}

static int parse_literal(parser *p, const char *word) {
        size_t l = strlen(word);

        if (p->len - p->pos < l || memcmp(p->buf + p->pos, word, l) != 0)
                return -EINVAL;
        p->pos += l;
        return 0;
}

static int parse_value(parser *p, jr_node *n, unsigned depth);

static int parse_container(parser *p, jr_node *n, unsigned depth, bool object) {
        char close = object ? '}' : ']';
        jr_node **tail = &n->child;
        int r;

        if (depth >= JR_MAX_DEPTH)
                return -E2BIG;

        n->type = object ? JR_OBJECT : JR_ARRAY;
        p->pos++;
        skip_ws(p);
        if (peek(p) == close) {
                p->pos++;
                return 0;
        }

        for (;;) {
                jr_node *c = node_new(p);
                if (!c)
                        return p->doc->n_nodes >= JR_MAX_NODES ? -E2BIG : -ENOMEM;

                skip_ws(p);
                if (object) {
                        size_t klen;

                        if (peek(p) != '"')
                                return -EINVAL;
                        p->pos++;
                        r = parse_string(p, &c->key, &klen);
                        if (r < 0)
                                return r;
                        skip_ws(p);
                        if (peek(p) != ':')
                                return -EINVAL;
                        p->pos++;
                }

                r = parse_value(p, c, depth + 1);
                if (r < 0)
                        return r;
                *tail = c;
                tail = &c->next;
                n->n_children++;

                skip_ws(p);
                if (peek(p) == ',') {
                        p->pos++;
                        continue;
                }
                if (peek(p) == close) {
                        p->pos++;
                        return 0;
                }
                return -EINVAL;
        }
}

static int parse_value(parser *p, jr_node *n, unsigned depth) {
        skip_ws(p);

        switch (peek(p)) {
        case '{':
                return parse_container(p, n, depth, true);
        case '[':
                return parse_container(p, n, depth, false);
        case '"':
                p->pos++;
                n->type = JR_STRING;
                return parse_string(p, &n->str, &n->len);
        case 't':
                n->type = JR_TRUE;
                return parse_literal(p, "true");
        case 'f':
                n->type = JR_FALSE;
                return parse_literal(p, "false");
        case 'n':
                n->type = JR_NULL;
                return parse_literal(p, "null");
        default:
                return parse_number(p, n);
        }
}

jr_doc *jr_doc_free(jr_doc *d) {
        if (!d)
                return NULL;
        while (d->chunks) {
                chunk *c = d->chunks;
                d->chunks = c->next;
                free(c);
        }
        free(d);
        return NULL;
}

int jr_parse(char *buf, size_t len, jr_doc **ret) {
        parser p = { .buf = buf, .len = len };
        int r;

        if (!buf && len > 0)
                return -EINVAL;

        p.doc = calloc(1, sizeof(jr_doc));
        if (!p.doc)
                return -ENOMEM;

        p.doc->root = node_new(&p);
        if (!p.doc->root) {
                jr_doc_free(p.doc);
                return -ENOMEM;
        }

        r = parse_value(&p, p.doc->root, 0);
        if (r >= 0) {
                skip_ws(&p);
                if (p.pos != p.len)
                        r = -EINVAL;
        }
        if (r < 0) {
                jr_doc_free(p.doc);
                return r;
        }

        *ret = p.doc;
        return 0;
}

const jr_node *jr_root(const jr_doc *d) {
        return d ? d->root : NULL;
}

const jr_node *jr_get(const jr_node *obj, const char *key) {
        if (!obj || obj->type != JR_OBJECT || !key)
                return NULL;
        for (const jr_node *c = obj->child; c; c = c->next)
                if (strcmp(c->key, key) == 0)
                        return c;
        return NULL;
}

const char *jr_get_string(const jr_node *obj, const char *key) {
        const jr_node *n = jr_get(obj, key);
        return n && n->type == JR_STRING ? n->str : NULL;
}

bool jr_get_int(const jr_node *obj, const char *key, int64_t *ret) {
        const jr_node *n = jr_get(obj, key);

        if (!n || n->type != JR_NUMBER || !n->is_int)
                return false;
        *ret = n->i;
        return true;
}
