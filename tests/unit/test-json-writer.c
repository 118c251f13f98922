/* SPDX-License-Identifier: MIT */
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/json-writer.h"
#include "util/secret.h"
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

/* The reference: one byte at a time, as RFC 8259 §7 spells it. */
static void escape_slowly(const char *s, char *out) {
        *out++ = '"';
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '"' || c == '\\') {
                        *out++ = '\\';
                        *out++ = (char) c;
                } else if (c < 0x20 || c == 0x7f)
                        out += sprintf(out, "\\u%04x", c);
                else
                        *out++ = (char) c;
        }
        *out++ = '"';
        *out = '\0';
}

/* The word-at-a-time scan agrees with the reference for every special
 * byte at every offset of strings around the 8-byte word size, and for
 * random strings with bytes of every value. */
static void test_escaping(void) {
        static const unsigned char special[] = { 0x01, 0x1f, '"', '\\', 0x7f, 0x20, 0x21, 0x7e, 0x80, 0xff, 0x5b, 0x5d };
        char in[40], expect[40 * 6 + 3];
        unsigned seed = 1;

        for (size_t len = 1; len < 30; len++)
                for (size_t pos = 0; pos < len; pos++)
                        for (size_t k = 0; k < sizeof special; k++) {
                                json_writer w;
                                char *out = NULL;
                                size_t n;

                                memset(in, 'a', len);
                                in[len] = '\0';
                                in[pos] = (char) special[k];
                                escape_slowly(in, expect);
                                json_writer_init(&w, false);
                                json_writer_string(&w, in);
                                CHECK(json_writer_finish(&w, &out, &n) == 0);
                                json_writer_done(&w);
                                CHECK(streq(out, expect));
                                free(out);
                        }

        for (int round = 0; round < 20000; round++) {
                size_t len = (size_t) (rand_r(&seed) % 39);
                json_writer w;
                char *out = NULL;
                size_t n;

                for (size_t i = 0; i < len; i++)
                        in[i] = (char) (1 + rand_r(&seed) % 255);
                in[len] = '\0';
                escape_slowly(in, expect);
                json_writer_init(&w, round % 2);
                json_writer_string(&w, in);
                CHECK(json_writer_finish(&w, &out, &n) == 0);
                json_writer_done(&w);
                CHECK(n == strlen(expect) && streq(out, expect));
                if (round % 2)
                        secret_free(out);
                else
                        free(out);
        }
}

int main(void) {
        CHECK(sodium_init() >= 0);
        test_document(false);
        test_document(true);
        test_errors();
        test_growth();
        test_escaping();
        return 0;
}
