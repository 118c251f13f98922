/* SPDX-License-Identifier: MIT */

/* libtessera's JSON reader, jr_parse(). An accepted document must be a
 * well-formed tree: strings valid UTF-8 without NUL, integers equal to
 * their text, counts that match, and every lookup safe. */

#include <inttypes.h>

#include "fuzz.h"
#include "json-reader.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or values past
 * U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t n) {
        size_t i = 0;

        while (i < n) {
                unsigned char c = s[i];
                size_t k;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xc2 && c <= 0xdf) {
                        k = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        k = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        k = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if (n - i <= k)
                        return false;
                for (size_t j = 1; j <= k; j++) {
                        if ((s[i + j] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (s[i + j] & 0x3f);
                }
                if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += k + 1;
        }
        return true;
}

static size_t walk(const jr_node *n, unsigned depth, const char *buf, size_t len) {
        size_t nodes = 1, children = 0;

        FUZZ_CHECK(depth <= JR_MAX_DEPTH + 1, "depth %u", depth);
        switch (n->type) {
        case JR_NULL:
        case JR_FALSE:
        case JR_TRUE:
                break;
        case JR_STRING:
                FUZZ_CHECK(n->str, "string without text");
                /* Decoded in place: inside the input buffer. */
                FUZZ_CHECK(n->str >= buf && n->str + n->len < buf + len + 1, "string outside the buffer");
                FUZZ_CHECK(n->str[n->len] == '\0' && strlen(n->str) == n->len, "string length/NUL");
                FUZZ_CHECK(utf8_valid((const unsigned char *) n->str, n->len), "invalid UTF-8 accepted");
                break;
        case JR_NUMBER: {
                char *text, *end = NULL;

                FUZZ_CHECK(n->str && n->len > 0 && n->str >= buf && n->str + n->len <= buf + len,
                           "number text outside the buffer");
                text = fuzz_text((const uint8_t *) n->str, n->len);
                if (n->is_int) {
                        long long v;

                        errno = 0;
                        v = strtoll(text, &end, 10);
                        FUZZ_CHECK(errno == 0 && *end == '\0' && v == n->i,
                                   "integer %" PRIi64 " is not its text %s", n->i, text);
                } else {
                        (void) strtod(text, &end);
                        FUZZ_CHECK(*end == '\0', "number text \"%s\" is not a number", text);
                }
                free(text);
                break;
        }
        case JR_ARRAY:
        case JR_OBJECT:
                for (const jr_node *c = n->child; c; c = c->next) {
                        if (n->type == JR_OBJECT) {
                                FUZZ_CHECK(c->key, "member without key");
                                FUZZ_CHECK(utf8_valid((const unsigned char *) c->key, strlen(c->key)),
                                           "invalid UTF-8 key");
                                /* The first member of that name is what
                                 * lookups find. */
                                const jr_node *g = jr_get(n, c->key);
                                FUZZ_CHECK(g && strcmp(g->key, c->key) == 0, "jr_get() misses a member");
                                (void) jr_get_string(n, c->key);
                                int64_t i;
                                (void) jr_get_int(n, c->key, &i);
                        } else
                                FUZZ_CHECK(!c->key, "array element with key");
                        children++;
                        nodes += walk(c, depth + 1, buf, len);
                }
                FUZZ_CHECK(children == n->n_children, "n_children %zu, counted %zu", n->n_children, children);
                break;
        }
        return nodes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* jr_parse() writes into the buffer: a private copy of exactly
         * size bytes, so ASan catches any access past it. */
        char *buf = malloc(size > 0 ? size : 1);
        jr_doc *doc = NULL;
        size_t nodes;
        int r;

        FUZZ_OOM_IF(!buf);
        if (size > 0)
                memcpy(buf, data, size);

        r = jr_parse(buf, size, &doc);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL || r == -E2BIG, "jr_parse(): %d", r);
                FUZZ_CHECK(!doc, "document set on failure");
        } else {
                FUZZ_CHECK(doc && jr_root(doc), "no root");
                nodes = walk(jr_root(doc), 0, buf, size);
                FUZZ_CHECK(nodes <= JR_MAX_NODES, "%zu nodes", nodes);
                (void) jr_get(jr_root(doc), "access_token");
                jr_doc_free(doc);
        }
        free(buf);
        return 0;
}
