/* SPDX-License-Identifier: MIT */
#pragma once

/* Incremental parser for one HTTP/1.x response, private to libtessera.
 * Bytes are pushed as they arrive; the body is collected in a buffer that is
 * wiped whenever it is moved or freed, because it may carry a token.
 * Everything the peer controls is bounded: head size, header count, body
 * size, chunk-size lines and trailers. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HTTP_MAX_HEAD      (16U * 1024U)
#define HTTP_MAX_HEADERS   64U
#define HTTP_MAX_BODY      (1024U * 1024U)
#define HTTP_MAX_LINE      256U
#define HTTP_MAX_TRAILERS  (8U * 1024U)

/* RFC 9110 tchar: header names and methods. */
static inline bool http_is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

typedef enum {
        HTTP_ST_HEAD,
        HTTP_ST_BODY_LENGTH,
        HTTP_ST_BODY_EOF,
        HTTP_ST_CHUNK_SIZE,
        HTTP_ST_CHUNK_DATA,
        HTTP_ST_CHUNK_CRLF,
        HTTP_ST_TRAILER,
        HTTP_ST_DONE,
} http_state;

typedef struct http_parser {
        http_state state;
        size_t max_body;
        bool no_body;           /* answer to HEAD: never a body */

        char head[HTTP_MAX_HEAD];
        size_t head_len;

        int status;
        bool keep_alive;
        bool chunked;
        bool have_length;
        uint64_t content_length;

        char *body;
        size_t body_len;
        size_t body_alloc;

        bool body_too_big;      /* the -E2BIG came from max_body, not from a head or line limit */

        uint64_t remaining;     /* of the fixed-length body or of the current chunk */
        char line[HTTP_MAX_LINE];
        size_t line_len;
        size_t trailer_bytes;
} http_parser;

void http_parser_init(http_parser *p, size_t max_body, bool no_body);
/* Wipes and frees the body. */
void http_parser_done(http_parser *p);

/* Returns 1 when the response is complete (*ret_consumed then tells how many
 * of the n bytes belonged to it), 0 when more bytes are needed, -EBADMSG for
 * malformed input, -E2BIG for a limit exceeded (p->body_too_big set when it
 * was max_body), -ENOMEM. */
int http_parser_feed(http_parser *p, const char *data, size_t n, size_t *ret_consumed);
/* The peer closed the connection: 1 if that completes the response (body
 * delimited by close), else -EPIPE. */
int http_parser_eof(http_parser *p);

/* Takes the NUL-terminated body (never NULL on success) out of a complete
 * response. */
int http_parser_take_body(http_parser *p, char **ret, size_t *ret_len);
