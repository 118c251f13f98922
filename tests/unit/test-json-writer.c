/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>

#include "json-writer.h"
#include "secret.h"
#include "tests.h"

static void test_document(bool secret) {
        json_writer w;
        char *out = NULL;
        size_t len = 0;
        struct json_object *o, *v;

        json_writer_init(&w, secret);
        json_writer_object_begin(&w);
        json_writer_kv_string(&w, "a", "plain");
        json_writer_kv_string(&w, "esc", "q\"b\\s\n\x01\x7f end");
        json_writer_kv_string(&w, "null", NULL);
        json_writer_kv_int(&w, "neg", -42);
        json_writer_key(&w, "big");
        json_writer_uint(&w, UINT64_MAX);
        json_writer_key(&w, "list");
        json_writer_array_begin(&w);
        json_writer_bool(&w, true);
        json_writer_bool(&w, false);
        json_writer_object_begin(&w);
        json_writer_object_end(&w);
        json_writer_array_begin(&w);
        json_writer_array_end(&w);
        json_writer_array_end(&w);
        json_writer_object_end(&w);
        CHECK(json_writer_finish(&w, &out, &len) == 0);
        json_writer_done(&w);
        CHECK(len == strlen(out));

        o = json_tokener_parse(out);
        CHECK(o);
        CHECK(json_object_object_get_ex(o, "esc", &v));
        CHECK(streq(json_object_get_string(v), "q\"b\\s\n\x01\x7f end"));
        CHECK(json_object_object_get_ex(o, "null", &v) && v == NULL);
        CHECK(json_object_object_get_ex(o, "neg", &v) && json_object_get_int(v) == -42);
        CHECK(json_object_object_get_ex(o, "list", &v) && json_object_array_length(v) == 4);
        CHECK(strstr(out, "18446744073709551615"));
        json_object_put(o);

        if (secret)
                secret_free(out);
        else
                free(out);
}

static void test_errors(void) {
        json_writer w;
        char *out = NULL;
        size_t len;

        /* Unbalanced. */
        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        CHECK(json_writer_finish(&w, &out, &len) == -EINVAL);
        json_writer_done(&w);

        json_writer_init(&w, false);
        json_writer_array_end(&w);
        CHECK(json_writer_finish(&w, &out, &len) == -EINVAL);
        json_writer_done(&w);

        /* Too deep: refused, not overflowing the level stack. */
        json_writer_init(&w, false);
        for (int i = 0; i < 100; i++)
                json_writer_array_begin(&w);
        for (int i = 0; i < 100; i++)
                json_writer_array_end(&w);
        CHECK(json_writer_finish(&w, &out, &len) == -E2BIG);
        json_writer_done(&w);

        /* A key without a value. */
        json_writer_init(&w, false);
        json_writer_object_begin(&w);
        json_writer_key(&w, "k");
        json_writer_object_end(&w);
        CHECK(json_writer_finish(&w, &out, &len) < 0);
        json_writer_done(&w);
}

static void test_growth(void) {
        json_writer w;
        char *out = NULL;
        size_t len;
        char big[5000];

        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        json_writer_init(&w, true);
        json_writer_array_begin(&w);
        for (int i = 0; i < 50; i++)
                json_writer_string(&w, big);
        json_writer_array_end(&w);
        CHECK(json_writer_finish(&w, &out, &len) == 0);
        CHECK(len == 2 + 50 * (sizeof big - 1 + 2) + 49);
        secret_free(out);
        json_writer_done(&w);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_document(false);
        test_document(true);
        test_errors();
        test_growth();
        return 0;
}
