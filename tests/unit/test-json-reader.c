/* SPDX-License-Identifier: MIT */
/* util/json-reader: the strict reader for peer documents and its
 * member getters. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json-reader.h"
#include "util/secret.h"
#include "tests.h"

#define DEPTH 16

static int parse(const char *text, unsigned depth) {
        json_object *o = NULL;
        int r;

        r = json_reader_parse(text, strlen(text), depth, &o);
        CHECK((r == 0) == (o != NULL));
        json_reader_wipe_put(o);
        return r;
}

static int parse_object(const char *text, unsigned depth) {
        json_object *o = NULL;
        int r;

        r = json_reader_parse_object(text, strlen(text), depth, &o);
        CHECK((r == 0) == (o != NULL));
        CHECK(r < 0 || json_object_is_type(o, json_type_object));
        json_reader_wipe_put(o);
        return r;
}

static void test_accepts(void) {
        CHECK_R(parse_object("{}", DEPTH), 0);
        CHECK_R(parse_object("{\"a\":\"b\",\"n\":[1,2.5,true,null]}", DEPTH), 0);
        CHECK_R(parse_object(" \t\r\n{\"a\":1} \t\r\n", DEPTH), 0);
        CHECK_R(parse_object("{\"s\":\"\\u00e9\xc3\xa9\"}", DEPTH), 0);
        /* Containers and strings at the top for the general reader. */
        CHECK_R(parse("[]", DEPTH), 0);
        CHECK_R(parse("[1,{\"a\":2}]", DEPTH), 0);
        CHECK_R(parse("\"just a string\"", DEPTH), 0);
}

static void test_rejects(void) {
        json_object *o = NULL;

        CHECK_R(parse_object("", DEPTH), -EBADMSG);
        CHECK_R(parse_object("   ", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":1", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{} x", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{}{}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{}\v", DEPTH), -EBADMSG);
        /* STRICT mode. (json-c 0.16 still lets single-quoted strings, NaN
         * and raw tabs in strings through even then.) */
        CHECK_R(parse_object("{\"a\":1,}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":[1,]}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{a:1}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":01}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{/* c */}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":True}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":1e}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":\"\\x41\"}", DEPTH), -EBADMSG);
        /* UTF-8 is validated. */
        CHECK_R(parse_object("{\"a\":\"\xff\"}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":\"\xc3\"}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{\"a\":\"\xc3\"} ", DEPTH), -EBADMSG);
        /* Not an object. */
        CHECK_R(parse_object("[]", DEPTH), -EBADMSG);
        CHECK_R(parse_object("\"s\"", DEPTH), -EBADMSG);
        /* A bare scalar cannot be told complete. */
        CHECK_R(parse("123", DEPTH), -EBADMSG);
        CHECK_R(parse("true", DEPTH), -EBADMSG);
        CHECK_R(parse("null", DEPTH), -EBADMSG);

        CHECK_R(json_reader_parse(NULL, 1, DEPTH, &o), -EINVAL);
        CHECK_R(json_reader_parse("{}", 2, DEPTH, NULL), -EINVAL);
        CHECK_R(json_reader_parse("{}", 2, 0, &o), -EINVAL);
        CHECK_R(json_reader_parse("{}", 2, JSON_READER_DEPTH_MAX + 1, &o), -EINVAL);
        CHECK_R(json_reader_parse_object(NULL, 1, DEPTH, &o), -EINVAL);
        CHECK_R(json_reader_parse_object("{}", 2, DEPTH, NULL), -EINVAL);
        CHECK(!o);
}

static void test_depth(void) {
        CHECK_R(parse_object("{}", 1), 0);
        CHECK_R(parse_object("{\"a\":1}", 1), -EBADMSG);
        CHECK_R(parse_object("{\"a\":1}", 2), 0);
        CHECK_R(parse_object("{\"a\":{\"b\":1}}", 2), -EBADMSG);
        CHECK_R(parse_object("{\"a\":{\"b\":1}}", 3), 0);
        CHECK_R(parse("[[[[1]]]]", 4), -EBADMSG);
        CHECK_R(parse("[[[[1]]]]", 5), 0);
        CHECK_R(parse_object("{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}", DEPTH), -EBADMSG);
        CHECK_R(parse_object("{}", JSON_READER_DEPTH_MAX), 0);
}

/* What a small request body needs, e.g. POST .../login: {"flow":"code"}. */
static void test_request_body(void) {
        static const char body[] = "{\"flow\":\"code\"}";
        _cleanup_(freep) char *flow = NULL;
        json_object *o = NULL;

        CHECK_R(json_reader_parse_object(body, strlen(body), 4, &o), 0);
        CHECK_R(json_reader_get_string(o, "flow", 16, false, &flow), 1);
        CHECK_STREQ(flow, "code");
        json_reader_wipe_put(o);

        CHECK_R(parse_object("{\"flow\":\"code\"}x", 4), -EBADMSG);
        CHECK_R(parse_object("{\"flow\":\"code\"}\n", 4), 0);
        CHECK_R(parse_object("[\"code\"]", 4), -EBADMSG);
        CHECK_R(parse_object("{\"flow\":{\"a\":{\"b\":{\"c\":1}}}}", 4), -EBADMSG);
}

/* The input needs no terminator: only size bytes are read. */
static void test_unterminated(void) {
        static const char buf[] = { '{', '"', 'a', '"', ':', '1', '}', 'x', 'y' };
        json_object *o = NULL;
        char *copy;

        CHECK_R(json_reader_parse_object(buf, 7, DEPTH, &o), 0);
        json_reader_wipe_put(o);
        o = NULL;
        CHECK_R(json_reader_parse_object(buf, sizeof buf, DEPTH, &o), -EBADMSG);
        CHECK(!o);

        /* Exactly sized heap copy: ASan would see a read past the end. */
        copy = malloc(7);
        CHECK(copy);
        memcpy(copy, buf, 7);
        CHECK_R(json_reader_parse_object(copy, 7, DEPTH, &o), 0);
        json_reader_wipe_put(o);
        free(copy);
}

static void test_get_string(void) {
        static const char doc[] =
                "{\"s\":\"value\",\"empty\":\"\",\"null\":null,\"num\":5,\"arr\":[],"
                "\"nul\":\"a\\u0000b\",\"long\":\"0123456789\",\"tok\":\"s3cret\"}";
        json_object *o = NULL;
        char *s = NULL;

        CHECK_R(json_reader_parse_object(doc, strlen(doc), DEPTH, &o), 0);

        CHECK_R(json_reader_get_string(o, "s", 64, false, &s), 1);
        CHECK_STREQ(s, "value");
        s = mfree_str(s);
        CHECK_R(json_reader_get_string(o, "empty", 64, false, &s), 1);
        CHECK_STREQ(s, "");
        s = mfree_str(s);
        CHECK_R(json_reader_get_string(o, "long", 10, false, &s), 1);
        CHECK_STREQ(s, "0123456789");
        s = mfree_str(s);
        CHECK_R(json_reader_get_string(o, "tok", 64, true, &s), 1);
        CHECK_SECRET_EQ(s, "s3cret");
        s = secret_free(s);

        CHECK_R(json_reader_get_string(o, "absent", 64, false, &s), 0);
        CHECK_R(json_reader_get_string(o, "null", 64, false, &s), 0);
        CHECK_R(json_reader_get_string(o, "num", 64, false, &s), -EBADMSG);
        CHECK_R(json_reader_get_string(o, "arr", 64, false, &s), -EBADMSG);
        CHECK_R(json_reader_get_string(o, "nul", 64, false, &s), -EBADMSG);
        CHECK_R(json_reader_get_string(o, "long", 9, false, &s), -EBADMSG);
        CHECK(!s);

        json_reader_wipe_put(o);
}

static void test_get_uint(void) {
        static const char doc[] =
                "{\"n\":42,\"zero\":0,\"neg\":-1,\"big\":9223372036854775807,\"dbl\":1.5,"
                "\"str\":\"7\",\"null\":null}";
        json_object *o = NULL;
        uint64_t v = 99;

        CHECK_R(json_reader_parse_object(doc, strlen(doc), DEPTH, &o), 0);

        CHECK_R(json_reader_get_uint(o, "n", 100, &v), 1);
        CHECK(v == 42);
        CHECK_R(json_reader_get_uint(o, "n", 42, &v), 1);
        CHECK_R(json_reader_get_uint(o, "zero", 0, &v), 1);
        CHECK(v == 0);
        CHECK_R(json_reader_get_uint(o, "big", UINT64_MAX, &v), 1);
        CHECK(v == INT64_MAX);

        v = 99;
        CHECK_R(json_reader_get_uint(o, "absent", 100, &v), 0);
        CHECK_R(json_reader_get_uint(o, "null", 100, &v), 0);
        CHECK_R(json_reader_get_uint(o, "n", 41, &v), -EBADMSG);
        CHECK_R(json_reader_get_uint(o, "neg", 100, &v), -EBADMSG);
        CHECK_R(json_reader_get_uint(o, "dbl", 100, &v), -EBADMSG);
        CHECK_R(json_reader_get_uint(o, "str", 100, &v), -EBADMSG);
        CHECK(v == 99);

        json_reader_wipe_put(o);
}

static void test_wipe(void) {
        static const char doc[] = "{\"a\":\"secret-one\",\"b\":[\"secret-two\",{\"c\":\"secret-three\"}],\"n\":1}";
        json_object *o = NULL, *a, *b, *two, *three;

        CHECK_R(json_reader_parse_object(doc, strlen(doc), DEPTH, &o), 0);
        CHECK(json_object_object_get_ex(o, "a", &a));
        CHECK(json_object_object_get_ex(o, "b", &b));
        two = json_object_array_get_idx(b, 0);
        CHECK(json_object_object_get_ex(json_object_array_get_idx(b, 1), "c", &three));

        /* An extra reference keeps the tree alive to look at it after. */
        json_object_get(o);
        json_reader_wipe_put(o);
        CHECK(sodium_is_zero((const unsigned char *) json_object_get_string(a), strlen("secret-one")));
        CHECK(sodium_is_zero((const unsigned char *) json_object_get_string(two), strlen("secret-two")));
        CHECK(sodium_is_zero((const unsigned char *) json_object_get_string(three), strlen("secret-three")));
        json_object_put(o);

        json_reader_wipe_put(NULL);
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_accepts();
        test_rejects();
        test_depth();
        test_request_body();
        test_unterminated();
        test_get_string();
        test_get_uint();
        test_wipe();

        printf("test-json-reader: all checks passed\n");
        return 0;
}
