/* SPDX-License-Identifier: MIT */
#pragma once

/* Turns a fuzz input into what http_fetch hands the OAuth parsers: the
 * first byte picks the status (low four bits), the Content-Type (next two)
 * and whether Retry-After was sent; the rest is the body, NUL-terminated
 * like http_fetch's. Bit 7 is left to the harness. */

#include "fuzz.h"
#include "idp/http-fetch.h"

static const long fuzz_statuses[16] = {
        200, 201, 204, 299, 100, 302, 400, 401, 403, 404, 429, 499, 500, 503, 599, 0,
};

static const char *const fuzz_content_types[4] = {
        NULL, "application/json", "application/json; charset=utf-8", "text/html; charset=UTF-8",
};

typedef struct fuzz_response {
        http_response resp;
        char *body;
        bool flag;                      /* bit 7 of the first byte */
} fuzz_response;

static inline bool fuzz_response_init(fuzz_response *f, const uint8_t *data, size_t size) {
        if (size < 1)
                return false;
        *f = (fuzz_response) {
                .body = fuzz_text(data + 1, size - 1),
                .flag = data[0] & 0x80,
        };
        f->resp = (http_response) {
                .status = fuzz_statuses[data[0] & 0x0f],
                .content_type = fuzz_content_types[(data[0] >> 4) & 3],
                .body = f->body,
                .body_size = size - 1,
                .has_retry_after = data[0] & 0x40,
                .retry_after_sec = data[0] & 0x40 ? 17 : 0,
        };
        return true;
}

static inline void fuzz_response_done(fuzz_response *f) {
        free(f->body);
        f->body = NULL;
}
