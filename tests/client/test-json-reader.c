/* SPDX-License-Identifier: MIT */

/* Unit test of the private JSON reader shared by libtessera and tessera. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "json-reader.h"

int failures;

/* Parses a copy of s (the reader writes into its input). */
static int parse(const char *s, size_t len, char **ret_buf, jr_doc **ret) {
        char *b = malloc(len ? len : 1);
        int r;

        if (!b)
                abort();
        memcpy(b, s, len);
        r = jr_parse(b, len, ret);
        if (r < 0 || !ret_buf)
                free(b);
        else
                *ret_buf = b;
        return r;
}

static int parse_str(const char *s) {
        jr_doc *d = NULL;
        int r = parse(s, strlen(s), NULL, &d);
        jr_doc_free(d);
        return r;
}

static void test_token_response(void) {
        const char *s = "{\"access_token\":\"abc.def-ghi\",\"token_type\":\"Bearer\","
                        "\"expires_at\":1700000000,\"expires_in\":3599,\"scope\":\"openid giponext.agenda\","
                        "\"tenant_id\":\"t-1\",\"extra\":{\"nested\":[1,2,{\"x\":null}]},\"flag\":true}";
        char *buf = NULL;
        jr_doc *d = NULL;
        int64_t v = 0;

        CHECK(parse(s, strlen(s), &buf, &d) == 0);
        if (!d)
                return;
        const jr_node *root = jr_root(d);
        CHECK(root->type == JR_OBJECT);
        CHECK(root->n_children == 8);
        CHECK(strcmp(jr_get_string(root, "access_token"), "abc.def-ghi") == 0);
        CHECK(strcmp(jr_get_string(root, "token_type"), "Bearer") == 0);
        CHECK(jr_get_int(root, "expires_at", &v) && v == 1700000000);
        CHECK(jr_get_int(root, "expires_in", &v) && v == 3599);
        CHECK(!jr_get_int(root, "scope", &v));
        CHECK(!jr_get_string(root, "expires_at"));
        CHECK(!jr_get(root, "missing"));
        CHECK(jr_get(root, "flag")->type == JR_TRUE);
        const jr_node *e = jr_get(root, "extra");
        CHECK(e && e->type == JR_OBJECT);
        const jr_node *nested = jr_get(e, "nested");
        CHECK(nested && nested->type == JR_ARRAY && nested->n_children == 3);
        CHECK(nested->child->next->next->type == JR_OBJECT);
        CHECK(jr_get(nested->child->next->next, "x")->type == JR_NULL);
        jr_doc_free(d);
        free(buf);
}

static void test_strings(void) {
        const char *s = "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", \"\\ud83d\\ude00\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"\"]";
        char *buf = NULL;
        jr_doc *d = NULL;

        CHECK(parse(s, strlen(s), &buf, &d) == 0);
        if (!d)
                return;
        const jr_node *c = jr_root(d)->child;
        CHECK(strcmp(c->str, "a\"b\\c/d\b\f\n\r\t") == 0 && c->len == 12);
        c = c->next;
        CHECK(strcmp(c->str, "\xc3\xa9\xe2\x82\xac") == 0);
        c = c->next;
        CHECK(strcmp(c->str, "\xf0\x9f\x98\x80") == 0 && c->len == 4);
        c = c->next;
        CHECK(strcmp(c->str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0);
        c = c->next;
        CHECK(c->len == 0 && c->str[0] == '\0');
        jr_doc_free(d);
        free(buf);

        /* Rejected strings. */
        CHECK(parse_str("\"\\u0000\"") == -EINVAL);            /* NUL */
        CHECK(parse_str("\"\\ud83d\"") == -EINVAL);            /* lone high surrogate */
        CHECK(parse_str("\"\\ude00\"") == -EINVAL);            /* lone low surrogate */
        CHECK(parse_str("\"\\ud83d\\u0041\"") == -EINVAL);     /* high + non-low */
        CHECK(parse_str("\"\\x41\"") == -EINVAL);
        CHECK(parse_str("\"\\u12G4\"") == -EINVAL);
        CHECK(parse_str("\"a\nb\"") == -EINVAL);               /* raw control char */
        CHECK(parse_str("\"\xc0\xaf\"") == -EINVAL);           /* overlong */
        CHECK(parse_str("\"\xed\xa0\x80\"") == -EINVAL);       /* encoded surrogate */
        CHECK(parse_str("\"\xf4\x90\x80\x80\"") == -EINVAL);   /* > U+10FFFF */
        CHECK(parse_str("\"\xe2\x82\"") == -EINVAL);           /* truncated sequence */
        CHECK(parse_str("\"\xff\"") == -EINVAL);
        CHECK(parse_str("\"abc") == -EINVAL);

        /* Embedded NUL outside a string. */
        CHECK(parse("[1,\0 2]", 7, NULL, &(jr_doc *) { NULL }) == -EINVAL);
}

static void test_numbers(void) {
        char *buf = NULL;
        jr_doc *d = NULL;
        const char *s = "[0,-0,12,-7,9223372036854775807,-9223372036854775808,9223372036854775808,1.5,2e3,-1E-2]";

        CHECK(parse(s, strlen(s), &buf, &d) == 0);
        if (!d)
                return;
        const jr_node *c = jr_root(d)->child;
        CHECK(c->is_int && c->i == 0);
        c = c->next;
        CHECK(c->is_int && c->i == 0);
        c = c->next;
        CHECK(c->is_int && c->i == 12);
        c = c->next;
        CHECK(c->is_int && c->i == -7);
        c = c->next;
        CHECK(c->is_int && c->i == INT64_MAX);
        c = c->next;
        CHECK(c->is_int && c->i == INT64_MIN);
        c = c->next;
        CHECK(!c->is_int && c->type == JR_NUMBER && c->len == 19);
        c = c->next;
        CHECK(!c->is_int && c->len == 3 && memcmp(c->str, "1.5", 3) == 0);
        c = c->next;
        CHECK(!c->is_int);
        c = c->next;
        CHECK(!c->is_int && c->len == 5);
        jr_doc_free(d);
        free(buf);

        const char *bad[] = { "01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1..2", "--1", "NaN", "Infinity", "1 2" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (parse_str(bad[i]) != -EINVAL) {
                        fprintf(stderr, "number %s was accepted\n", bad[i]);
                        failures++;
                }
        /* Huge digit strings are numbers, not ints, and do not overflow. */
        char big[4096];
        memset(big, '9', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        CHECK(parse_str(big) == 0);
}

static void test_structure(void) {
        const char *good[] = {
                "{}", "[]", " { } ", "\t[\n]\r\n", "null", "true", "false", "\"x\"", "1",
                "{\"a\":[],\"b\":{}}", "[[[]]]", "[1,[2,[3]],{\"k\":\"v\"}]",
        };
        const char *bad[] = {
                "", " ", "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]",
                "{a:1}", "{'a':1}", "[1 2]", "{\"a\":1 \"b\":2}", "tru", "nul", "falsey", "[]]",
                "{}{}", "[1]x", "{\"a\":1}}", "[\"a\",]", "{,}", "{\"a\" 1}", "{1:2}", "/*c*/[]",
        };

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (parse_str(good[i]) != 0) {
                        fprintf(stderr, "valid JSON rejected: %s\n", good[i]);
                        failures++;
                }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (parse_str(bad[i]) >= 0) {
                        fprintf(stderr, "invalid JSON accepted: %s\n", bad[i]);
                        failures++;
                }
}

static void test_truncated(void) {
        const char *s = "{\"access_token\":\"t\\u00e9k\",\"expires_at\":1700000000,\"a\":[true,false,null,{\"b\":-1.5e3}]}";
        size_t n = strlen(s);

        CHECK(parse_str(s) == 0);
        /* Every proper prefix of a document that ends in '}' is incomplete. */
        for (size_t l = 0; l < n; l++) {
                jr_doc *d = NULL;
                int r = parse(s, l, NULL, &d);
                if (r >= 0) {
                        fprintf(stderr, "truncated JSON of %zu bytes accepted\n", l);
                        failures++;
                }
                jr_doc_free(d);
        }
}

static void test_depth(void) {
        char deep[4 * JR_MAX_DEPTH + 8];
        size_t k = 0;

        /* JR_MAX_DEPTH nested arrays are fine, one more is not. */
        for (int i = 0; i < JR_MAX_DEPTH; i++)
                deep[k++] = '[';
        for (int i = 0; i < JR_MAX_DEPTH; i++)
                deep[k++] = ']';
        deep[k] = 0;
        CHECK(parse_str(deep) == 0);

        k = 0;
        for (int i = 0; i < JR_MAX_DEPTH + 1; i++)
                deep[k++] = '[';
        for (int i = 0; i < JR_MAX_DEPTH + 1; i++)
                deep[k++] = ']';
        deep[k] = 0;
        CHECK(parse_str(deep) == -E2BIG);

        /* A huge unterminated nesting must fail fast, not recurse away. */
        size_t n = 1000000;
        char *b = malloc(n);
        if (!b)
                abort();
        memset(b, '[', n);
        jr_doc *d = NULL;
        CHECK(parse(b, n, NULL, &d) == -E2BIG);
        memset(b, '{', n);
        CHECK(parse(b, n, NULL, &d) == -EINVAL);  /* '{' is not a valid key */
        free(b);
}

static void test_huge(void) {
        /* More elements than JR_MAX_NODES: refused with E2BIG. */
        size_t count = JR_MAX_NODES + 10, n = count * 2 + 2;
        char *b = malloc(n + 1);
        jr_doc *d = NULL;

        if (!b)
                abort();
        b[0] = '[';
        for (size_t i = 0; i < count; i++) {
                b[1 + 2 * i] = '0';
                b[2 + 2 * i] = i + 1 < count ? ',' : ']';
        }
        CHECK(parse(b, 2 * count + 1, NULL, &d) == -E2BIG);

        /* A long string is fine. */
        size_t sl = 1024 * 1024;
        char *s = malloc(sl + 2);
        if (!s)
                abort();
        s[0] = '"';
        memset(s + 1, 'a', sl);
        s[sl + 1] = '"';
        char *buf = NULL;
        CHECK(parse(s, sl + 2, &buf, &d) == 0);
        if (d)
                CHECK(jr_root(d)->len == sl);
        jr_doc_free(d);
        free(buf);
        free(s);
        free(b);
}

static void test_garbage(void) {
        /* Random bytes and random mutations of a valid document must never
         * crash (the sanitizers watch) and must not be reported as success
         * with a NULL root. */
        const char *seed = "{\"accounts\":[{\"name\":\"default\",\"state\":\"valid\",\"expires_at\":17,"
                           "\"scope_missing\":[\"giponext.invoices\"],\"x\":\"\\ud83d\\ude00\"}]}";
        size_t sl = strlen(seed);
        unsigned state = 12345;
        static const char mut[] = { '{', '}', '[', ']', '"', ',', ':', '\\', '0', 'a', '\x80', ' ', '\0' };
        char buf[256];

        for (int iter = 0; iter < 200000; iter++) {
                size_t n;
                jr_doc *d = NULL;

                state = state * 1103515245U + 12345U;
                if (iter % 2) {
                        n = (state >> 8) % sizeof(buf);
                        for (size_t i = 0; i < n; i++) {
                                state = state * 1103515245U + 12345U;
                                buf[i] = (char) (state >> 16);
                        }
                } else {
                        n = sl;
                        memcpy(buf, seed, sl);
                        for (int m = 0; m < 3; m++) {
                                state = state * 1103515245U + 12345U;
                                buf[(state >> 8) % sl] = mut[(state >> 20) % sizeof(mut)];
                        }
                }
                int r = jr_parse(buf, n, &d);
                if (r == 0 && !jr_root(d)) {
                        fprintf(stderr, "parse succeeded without a root\n");
                        failures++;
                }
                jr_doc_free(d);
        }
}

int main(void) {
        test_token_response();
        test_strings();
        test_numbers();
        test_structure();
        test_truncated();
        test_depth();
        test_huge();
        test_garbage();

        if (failures) {
                fprintf(stderr, "test-json-reader: %d check(s) failed\n", failures);
                return 1;
        }
        printf("test-json-reader: ok\n");
        return 0;
}
