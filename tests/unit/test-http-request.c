/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "http/api-request.h"
#include "util/util.h"
#include "tests.h"

/* The request object without a connection: its body and its limit. */

static void test_body(void) {
        api_request_host host = {};
        api_request *r = NULL;
        char *body;
        size_t len;

        CHECK_R(api_request_new(&host, NULL, NULL, "POST", "/v1/x", NULL, 10, &r), 0);
        CHECK_STREQ(r->method, "POST");
        CHECK_STREQ(r->path, "/v1/x");
        CHECK_R(api_request_upload(r, "0123", 4), 0);
        CHECK_R(api_request_upload(r, "456789", 6), 0);
        CHECK(!r->body_too_large);
        api_request_upload_done(r);
        CHECK(r->body_len == 10);
        CHECK_STREQ(r->body, "0123456789");

        body = api_request_take_body(r, &len);
        CHECK(len == 10 && r->body == NULL && r->body_len == 0);
        CHECK_STREQ(body, "0123456789");
        free(body);
        r = api_request_free(r);
        CHECK(!r);
}

static void test_too_large(void) {
        api_request_host host = {};
        api_request *r = NULL;

        CHECK_R(api_request_new(&host, NULL, NULL, "PUT", "/p", NULL, 8, &r), 0);
        CHECK_R(api_request_upload(r, "01234", 5), 0);
        CHECK_R(api_request_upload(r, "5678", 4), 0);  /* one byte too many */
        CHECK(r->body_too_large);
        /* The rest is dropped, not kept. */
        CHECK_R(api_request_upload(r, "x", 1), 0);
        CHECK(r->upload.len == 0 && !r->upload.data);
        api_request_free(r);
}

static void test_empty_body(void) {
        api_request_host host = {};
        api_request *r = NULL;

        CHECK_R(api_request_new(&host, NULL, NULL, "GET", "/", NULL, 8, &r), 0);
        api_request_upload_done(r);
        CHECK(!r->body && r->body_len == 0);
        CHECK(!api_request_take_body(r, NULL));
        api_request_free(r);
}

static void owner_done(api_request *r, void *owner) {
        (*(int *) owner)++;
        CHECK(!r->owner && !r->on_complete);
}

static void test_owner(void) {
        api_request_host host = {};
        api_request *r = NULL;
        int completed = 0;

        CHECK_R(api_request_new(&host, NULL, NULL, "GET", "/", NULL, 8, &r), 0);
        api_request_set_owner(r, &completed, owner_done);
        api_request_completed(r);
        api_request_completed(r);       /* told once */
        CHECK(completed == 1);
        /* Not paused: resuming is a no-op (no connection to touch). */
        api_request_resume(r);
        api_request_free(r);
}

int main(void) {
        test_body();
        test_too_large();
        test_empty_body();
        test_owner();
        return 0;
}
