/* SPDX-License-Identifier: MIT */
#pragma once

/* The answers a request can get: JSON (tesserad's own, or its error
 * shape), a fixed body, or a stream fed by a content reader. Each works
 * both inside the request callback and later for a suspended request. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/api-request.h"
#include "util/util.h"

/* Answer r with a JSON body (taken; freed with free(), or secret_free()
 * when secret). */
int api_request_reply(api_request *r, unsigned status, char *body, size_t len, bool secret);

/* The same for a body (taken, freed with free()) of another content type. */
int api_request_reply_typed(api_request *r, unsigned status, char *body, size_t len, const char *content_type);

/* {"error": code, "message": ...}, with a Tessera-Error header naming the
 * code (tells tesserad's own errors from the API's in gateway answers). */
int api_request_reply_error(api_request *r, unsigned status, const char *code, const char *fmt, ...) _printf_(4, 5);

/* Answer r with body, which outlives the request (a literal), and
 * headers ("Name: value" lines, NULL-terminated; may be NULL). */
int api_request_reply_static(api_request *r, unsigned status, const char *body, char *const *headers);

#define API_STREAM_SIZE_UNKNOWN MHD_SIZE_UNKNOWN
#define API_STREAM_END MHD_CONTENT_READER_END_OF_STREAM
#define API_STREAM_BROKEN MHD_CONTENT_READER_END_WITH_ERROR

/* Gives up to max bytes at buf: their number; 0 after
 * api_request_pause_stream() when nothing is at hand yet;
 * API_STREAM_END; API_STREAM_BROKEN to cut the answer off. */
typedef ssize_t (*api_stream_read_fn)(void *userdata, uint64_t pos, char *buf, size_t max);

/* Answer r with a body read piecewise by read (size: its length, or
 * API_STREAM_SIZE_UNKNOWN) and the headers ("Name: value" lines,
 * NULL-terminated; a line without a name, or with a name of 128 bytes or
 * more, is skipped). release(userdata) runs once the answer no longer
 * needs the reader. -ENOMEM when the answer cannot be made: release is
 * then not called. */
int api_request_reply_stream(api_request *r, unsigned status, uint64_t size, char *const *headers,
                             api_stream_read_fn read, void *userdata, void (*release)(void *userdata));
