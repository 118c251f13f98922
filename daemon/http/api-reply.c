/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api-reply.h"
#include "util/json-writer.h"
#include "util/secret.h"

static void secret_buffer_free(void *p) {
        secret_free(p);
}

static void add_typed_headers(struct MHD_Response *resp, const char *content_type) {
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static void add_json_headers(struct MHD_Response *resp) {
        add_typed_headers(resp, "application/json");
}

static void add_header_lines(struct MHD_Response *resp, char *const *headers) {
        for (char *const *h = headers; h && *h; h++) {
                char name[128];
                const char *colon = strchr(*h, ':');
                size_t n = colon ? (size_t) (colon - *h) : 0;

                if (n == 0 || n >= sizeof name)
                        continue;
                memcpy(name, *h, n);
                name[n] = '\0';
                (void) MHD_add_response_header(resp, name, colon + 1 + strspn(colon + 1, " \t"));
        }
}

int api_request_reply(api_request *r, unsigned status, char *body, size_t len, bool secret) {
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                  secret ? secret_buffer_free : free);
        if (!resp) {
                if (secret)
                        secret_free(body);
                else
                        free(body);
                return -ENOMEM;
        }
        add_json_headers(resp);
        return api_request_reply_response(r, status, resp);
}

int api_request_reply_typed(api_request *r, unsigned status, char *body, size_t len, const char *content_type) {
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!resp) {
                free(body);
                return -ENOMEM;
        }
        add_typed_headers(resp, content_type);
        return api_request_reply_response(r, status, resp);
}

int api_request_reply_error(api_request *r, unsigned status, const char *code, const char *fmt, ...) {
        _cleanup_(freep) char *message = NULL;
        struct MHD_Response *resp;
        json_writer w;
        char *body = NULL;
        size_t len = 0;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;

        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "error", code);
        json_writer_kv_string(&w, "message", message);
        json_writer_object_end(&w);
        k = json_writer_finish(&w, &body, &len);
        json_writer_done(&w);
        if (k < 0)
                return k;
        resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
        if (!resp) {
                free(body);
                return -ENOMEM;
        }
        add_json_headers(resp);
        /* The gateway never forwards this header from upstream. */
        (void) MHD_add_response_header(resp, "Tessera-Error", code);
        return api_request_reply_response(r, status, resp);
}

int api_request_reply_static(api_request *r, unsigned status, const char *body, char *const *headers) {
        struct MHD_Response *resp;

        resp = MHD_create_response_from_buffer(strlen(body), (void *) body, MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return -ENOMEM;
        add_header_lines(resp, headers);
        return api_request_reply_response(r, status, resp);
}

int api_request_reply_stream(api_request *r, unsigned status, uint64_t size, char *const *headers,
                             api_stream_read_fn read, void *userdata, void (*release)(void *userdata)) {
        struct MHD_Response *resp;

        resp = MHD_create_response_from_callback(size, 32 * 1024, read, userdata, release);
        if (!resp)
                return -ENOMEM;
        add_header_lines(resp, headers);
        return api_request_reply_response(r, status, resp);
}
