/* SPDX-License-Identifier: MIT */

/* libtessera's HTTP/1.x response parser. The first byte picks the body
 * cap and HEAD mode; the rest is what the server sent. It is parsed once
 * as a whole and again in chunks of several sizes: how the bytes arrive
 * must not change the verdict, the status, the body or the byte count. */

#include "fuzz.h"
#include "http-parser.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        return 0;
}

typedef struct outcome {
        int r;
        int status;
        bool keep_alive;
        size_t consumed;                /* bytes of the input that belonged to the response */
        char *body;
        size_t body_len;
} outcome;

static void parse(const char *data, size_t size, size_t chunk, size_t max_body, bool no_body,
                  outcome *ret) {
        http_parser *p = malloc(sizeof(http_parser));
        size_t off = 0, consumed = 0;
        int r = 0;

        FUZZ_OOM_IF(!p);
        http_parser_init(p, max_body, no_body);
        while (off < size) {
                size_t n = size - off < chunk ? size - off : chunk, c = SIZE_MAX;
                char *piece = malloc(n);

                /* Each piece in its own exact block: reads past a piece
                 * are caught even when more input follows. */
                FUZZ_OOM_IF(!piece);
                memcpy(piece, data + off, n);
                r = http_parser_feed(p, piece, n, &c);
                free(piece);
                if (r == 1) {
                        FUZZ_CHECK(c <= n, "consumed %zu of %zu", c, n);
                        consumed = off + c;
                        break;
                }
                if (r < 0)
                        break;
                off += n;
        }
        if (r == 0) {
                /* The server closed the connection after all of it. */
                r = http_parser_eof(p);
                if (r == 1)
                        consumed = size;
        }

        *ret = (outcome) { .r = r };
        if (r == 1) {
                ret->status = p->status;
                ret->keep_alive = p->keep_alive;
                ret->consumed = consumed;
                FUZZ_CHECK(p->status >= 200 && p->status <= 999, "status %d", p->status);
                FUZZ_CHECK(http_parser_take_body(p, &ret->body, &ret->body_len) == 0, "take_body failed");
                FUZZ_CHECK(ret->body && ret->body[ret->body_len] == '\0', "body not terminated");
                FUZZ_CHECK(ret->body_len <= max_body, "body %zu over the cap %zu", ret->body_len, max_body);
                if (no_body)
                        FUZZ_CHECK(ret->body_len == 0, "body in an answer to HEAD");
        } else
                FUZZ_CHECK(r == -EBADMSG || r == -E2BIG || r == -EPIPE, "http parser: %d", r);
        http_parser_done(p);
        free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const size_t chunks[] = { SIZE_MAX, 1, 2, 7, 64 };
        static const size_t caps[] = { HTTP_MAX_BODY, 16, 1024, 1 };
        outcome first, o;
        size_t max_body;
        bool no_body;

        if (size < 1)
                return 0;
        max_body = caps[data[0] & 3];
        no_body = data[0] & 4;
        data++;
        size--;

        parse((const char *) data, size, chunks[0], max_body, no_body, &first);
        for (size_t i = 1; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
                parse((const char *) data, size, chunks[i], max_body, no_body, &o);
                FUZZ_CHECK(o.r == first.r, "chunks of %zu: result %d, whole: %d", chunks[i], o.r, first.r);
                if (o.r == 1) {
                        FUZZ_CHECK(o.status == first.status, "chunks of %zu: status differs", chunks[i]);
                        FUZZ_CHECK(o.keep_alive == first.keep_alive, "chunks of %zu: keep-alive differs", chunks[i]);
                        FUZZ_CHECK(o.consumed == first.consumed, "chunks of %zu: consumed %zu, whole: %zu",
                                   chunks[i], o.consumed, first.consumed);
                        FUZZ_CHECK(o.body_len == first.body_len && memcmp(o.body, first.body, o.body_len) == 0,
                                   "chunks of %zu: body differs", chunks[i]);
                }
                free(o.body);
        }
        free(first.body);
        return 0;
}
