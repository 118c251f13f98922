/* SPDX-License-Identifier: MIT */
#include <sodium.h>

#include "util/growbuf.h"
#include "util/secret.h"
#include "store/session-codec.h"
#include "tests.h"

/* Checks never print field values: some are tokens. */

/* A hand-rolled encoder for crafting malformed input. */
typedef growbuf buf;

/* Far above SESSION_STRING_MAX: room for oversized records. */
#define BUF_INIT GROWBUF_INIT(16U * 1024U * 1024U, false)

static void buf_put(buf *b, const void *p, size_t n) {
        CHECK(growbuf_append(b, p, n) == 0);
}

static void buf_u8(buf *b, uint8_t v) {
        buf_put(b, &v, 1);
}

static void buf_record_len(buf *b, uint8_t tag, uint32_t len, const void *v, size_t n) {
        uint8_t h[5] = { tag, (uint8_t) len, (uint8_t) (len >> 8),
                         (uint8_t) (len >> 16), (uint8_t) (len >> 24) };
        buf_put(b, h, sizeof(h));
        buf_put(b, v, n);
}

static void buf_record(buf *b, uint8_t tag, const void *v, size_t n) {
        buf_record_len(b, tag, (uint32_t) n, v, n);
}

static void buf_str(buf *b, uint8_t tag, const char *s) {
        buf_record(b, tag, s, strlen(s));
}

static void buf_end(buf *b) {
        buf_record(b, 0xff, NULL, 0);
}

static void buf_done(buf *b) {
        growbuf_done(b);
}

static int decode_buf(const buf *b) {
        session *s = NULL;
        int r = session_decode((const uint8_t *) b->data, b->len, &s);
        CHECK((r == 0) == (s != NULL));
        session_free(s);
        return r;
}

static session *make_full(void) {
        session *s = session_new();
        CHECK(s);
        CHECK_R(session_set_string(&s->access_token, "at-Zq81-distinctive-access"), 0);
        CHECK_R(session_set_string(&s->refresh_token, "rt-Pw47-distinctive-refresh"), 0);
        CHECK_R(session_set_string(&s->scope, "giponext.patients offline_access"), 0);
        s->expires_at = INT64_MAX;
        s->refreshed_at = INT64_MIN;
        CHECK_R(session_set_string(&s->sub, "user-123"), 0);
        CHECK_R(session_set_string(&s->user, "Dott. Rossi"), 0);
        CHECK_R(session_set_string(&s->tenant_id, "t-1"), 0);
        CHECK_R(session_set_string(&s->tenant_name, "Clinica Uno"), 0);
        CHECK_R(session_add_tenant(s, "t-1", "Clinica Uno"), 0);
        CHECK_R(session_add_tenant(s, "t-2", NULL), 0);
        CHECK_R(session_add_tenant(s, "t-3", ""), 0);
        return s;
}

static void check_equal(const session *a, const session *b) {
        CHECK(streq_ptr(a->access_token, b->access_token));
        CHECK(streq_ptr(a->refresh_token, b->refresh_token));
        CHECK(streq_ptr(a->scope, b->scope));
        CHECK(a->expires_at == b->expires_at);
        CHECK(a->refreshed_at == b->refreshed_at);
        CHECK(streq_ptr(a->sub, b->sub));
        CHECK(streq_ptr(a->user, b->user));
        CHECK(streq_ptr(a->tenant_id, b->tenant_id));
        CHECK(streq_ptr(a->tenant_name, b->tenant_name));
        CHECK(a->n_tenants == b->n_tenants);
        for (size_t i = 0; i < a->n_tenants; i++) {
                CHECK(streq_ptr(a->tenants[i].id, b->tenants[i].id));
                CHECK(streq_ptr(a->tenants[i].name, b->tenants[i].name));
        }
}

static void test_round_trip_full(void) {
        _cleanup_(session_freep) session *s = make_full(), *d = NULL, *c = NULL;
        _cleanup_(secret_freep) uint8_t *enc = NULL;
        size_t len;

        CHECK_R(session_encode(s, &enc, &len), 0);
        CHECK(len > 1);
        CHECK_R(session_decode(enc, len, &d), 0);
        check_equal(s, d);
        CHECK(d->tenants[1].name == NULL);
        CHECK(d->tenants[2].name && d->tenants[2].name[0] == '\0');

        CHECK_R(session_dup(s, &c), 0);
        check_equal(s, c);
        CHECK(c->access_token != s->access_token);
        CHECK(c->tenants != s->tenants);
}

static void test_round_trip_minimal(void) {
        _cleanup_(session_freep) session *s = session_new(), *d = NULL;
        _cleanup_(secret_freep) uint8_t *enc = NULL;
        size_t len;

        CHECK(s);
        /* No access token: nothing worth storing. */
        CHECK_R(session_encode(s, &enc, &len), -EINVAL);

        CHECK_R(session_set_string(&s->access_token, "x"), 0);
        CHECK_R(session_encode(s, &enc, &len), 0);
        CHECK_R(session_decode(enc, len, &d), 0);
        check_equal(s, d);
        CHECK(!d->refresh_token && !d->scope && !d->sub && !d->user);
        CHECK(!d->tenant_id && !d->tenant_name);
        CHECK(d->n_tenants == 0 && d->expires_at == 0 && d->refreshed_at == 0);
}

static void test_truncations(void) {
        _cleanup_(session_freep) session *s = make_full();
        _cleanup_(secret_freep) uint8_t *enc = NULL;
        size_t len;

        CHECK_R(session_encode(s, &enc, &len), 0);
        for (size_t l = 0; l < len; l++) {
                /* A copy of exactly l bytes, so ASan sees any overread. */
                uint8_t *copy = malloc(MAX(l, (size_t) 1));
                session *d = NULL;

                CHECK(copy);
                memcpy(copy, enc, l);
                CHECK_R(session_decode(copy, l, &d), -EBADMSG);
                CHECK(!d);
                free(copy);
        }
        CHECK_R(session_decode(NULL, 0, &s), -EBADMSG);
}

static void test_random_flips(void) {
        _cleanup_(session_freep) session *s = make_full();
        _cleanup_(secret_freep) uint8_t *enc = NULL;
        size_t len;
        unsigned ok = 0, bad = 0;

        CHECK_R(session_encode(s, &enc, &len), 0);
        for (unsigned i = 0; i < 10000; i++) {
                uint8_t *copy = malloc(len);
                unsigned flips = 1 + randombytes_uniform(4);
                session *d = NULL;
                int r;

                CHECK(copy);
                memcpy(copy, enc, len);
                for (unsigned f = 0; f < flips; f++)
                        copy[randombytes_uniform((uint32_t) len)] ^= (uint8_t) (1 + randombytes_uniform(255));
                r = session_decode(copy, len, &d);
                CHECK(r == 0 || r == -EBADMSG);
                CHECK((r == 0) == (d != NULL));
                if (r == 0) {
                        CHECK(d->access_token);
                        CHECK(d->n_tenants <= SESSION_TENANTS_MAX);
                        ok++;
                } else
                        bad++;
                session_free(d);
                free(copy);
        }
        /* Flips inside string values still decode; flips in framing not. */
        CHECK(ok > 0 && bad > 0);

        /* Pure noise, any length. */
        for (unsigned i = 0; i < 5000; i++) {
                size_t n = randombytes_uniform(64);
                uint8_t *noise = malloc(MAX(n, (size_t) 1));
                session *d = NULL;
                int r;

                CHECK(noise);
                randombytes_buf(noise, n);
                if (n > 0)
                        noise[0] = 1;
                r = session_decode(noise, n, &d);
                CHECK(r == 0 || r == -EBADMSG);
                session_free(d);
                free(noise);
        }
}

static void test_malformed(void) {
        buf b = BUF_INIT;
        uint8_t eight[8] = {};

        /* Baseline: the hand encoder agrees with the real one. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_end(&b);
        CHECK_R(decode_buf(&b), 0);
        buf_done(&b);

        /* Unknown format version. */
        buf_u8(&b, 2);
        buf_str(&b, 1, "tok");
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);
        buf_u8(&b, 0);
        buf_str(&b, 1, "tok");
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Missing access token. */
        buf_u8(&b, 1);
        buf_str(&b, 2, "refresh");
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Missing end record. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Bytes after the end record. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_end(&b);
        buf_u8(&b, 0);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* End record with a value. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_record(&b, 0xff, "x", 1);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Duplicated single fields. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_str(&b, 1, "tok2");
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_record(&b, 4, eight, 8);
        buf_record(&b, 4, eight, 8);
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Integers of the wrong width. */
        for (size_t w = 0; w <= 9; w++) {
                uint8_t nine[9] = {};

                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                buf_record(&b, 5, nine, w);
                buf_end(&b);
                CHECK_R(decode_buf(&b), w == 8 ? 0 : -EBADMSG);
                buf_done(&b);
        }

        /* Unknown tag, at top level and inside a tenant. */
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_str(&b, 42, "what");
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);
        {
                buf t = BUF_INIT;
                buf_str(&t, 1, "tid");
                buf_str(&t, 9, "x");
                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                buf_record(&b, 10, t.data, t.len);
                buf_end(&b);
                CHECK_R(decode_buf(&b), -EBADMSG);
                buf_done(&b);
                buf_done(&t);
        }

        /* Tenant without id; tenant with a duplicated name. */
        {
                buf t = BUF_INIT;
                buf_str(&t, 2, "name only");
                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                buf_record(&b, 10, t.data, t.len);
                buf_end(&b);
                CHECK_R(decode_buf(&b), -EBADMSG);
                buf_done(&b);
                buf_done(&t);

                buf_str(&t, 1, "tid");
                buf_str(&t, 2, "a");
                buf_str(&t, 2, "b");
                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                buf_record(&b, 10, t.data, t.len);
                buf_end(&b);
                CHECK_R(decode_buf(&b), -EBADMSG);
                buf_done(&b);
                buf_done(&t);
        }

        /* Embedded NUL. */
        buf_u8(&b, 1);
        buf_record(&b, 1, "to\0k", 4);
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);
        buf_u8(&b, 1);
        buf_str(&b, 1, "tok");
        buf_record(&b, 7, "\0", 1);
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Empty input. */
        CHECK_R(decode_buf(&b), -EBADMSG);
}

static void test_oversize(void) {
        _cleanup_(freep) char *big = malloc(SESSION_STRING_MAX + 2);
        buf b = BUF_INIT;

        CHECK(big);
        memset(big, 'a', SESSION_STRING_MAX + 1);
        big[SESSION_STRING_MAX + 1] = '\0';

        /* Lengths that point past the end, up to the u32 maximum. */
        uint32_t lens[] = { 4, 100, SESSION_STRING_MAX, SESSION_STRING_MAX + 1, 0x7fffffffU, 0xfffffffbU, 0xffffffffU };
        for (size_t i = 0; i < ELEMENTSOF(lens); i++) {
                buf_u8(&b, 1);
                buf_record_len(&b, 1, lens[i], "abc", 3);
                buf_end(&b);
                CHECK_R(decode_buf(&b), -EBADMSG);
                buf_done(&b);
        }

        /* A string of exactly the limit is fine, one more byte is not. */
        buf_u8(&b, 1);
        buf_record(&b, 1, big, SESSION_STRING_MAX);
        buf_end(&b);
        CHECK_R(decode_buf(&b), 0);
        buf_done(&b);
        buf_u8(&b, 1);
        buf_record(&b, 1, big, SESSION_STRING_MAX + 1);
        buf_end(&b);
        CHECK_R(decode_buf(&b), -EBADMSG);
        buf_done(&b);

        /* Over-long tenant id inside a tenant record. */
        {
                buf t = BUF_INIT;
                buf_record(&t, 1, big, SESSION_STRING_MAX + 1);
                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                buf_record(&b, 10, t.data, t.len);
                buf_end(&b);
                CHECK_R(decode_buf(&b), -EBADMSG);
                buf_done(&b);
                buf_done(&t);
        }

        /* Tenant count: exactly the limit passes, one more does not. */
        for (unsigned extra = 0; extra <= 1; extra++) {
                buf t = BUF_INIT;
                buf_str(&t, 1, "tenant");
                buf_u8(&b, 1);
                buf_str(&b, 1, "tok");
                for (unsigned i = 0; i < SESSION_TENANTS_MAX + extra; i++)
                        buf_record(&b, 10, t.data, t.len);
                buf_end(&b);
                CHECK_R(decode_buf(&b), extra ? -EBADMSG : 0);
                buf_done(&b);
                buf_done(&t);
        }

        /* The setters enforce the same limits. */
        {
                _cleanup_(session_freep) session *s = session_new();
                _cleanup_(secret_freep) uint8_t *enc = NULL;
                size_t len;

                CHECK(s);
                CHECK_R(session_set_string(&s->access_token, big), -E2BIG);
                CHECK(!s->access_token);
                big[SESSION_STRING_MAX] = '\0';
                CHECK_R(session_set_string(&s->access_token, big), 0);
                CHECK_R(session_set_string(&s->refresh_token, big), 0);
                CHECK_R(session_set_string(&s->refresh_token, NULL), 0);
                CHECK(!s->refresh_token);
                for (unsigned i = 0; i < SESSION_TENANTS_MAX; i++)
                        CHECK_R(session_add_tenant(s, "t", NULL), 0);
                CHECK_R(session_add_tenant(s, "t", NULL), -E2BIG);
                CHECK_R(session_add_tenant(s, NULL, "n"), -EINVAL);
                CHECK_R(session_encode(s, &enc, &len), 0);
                {
                        _cleanup_(session_freep) session *d = NULL;
                        CHECK_R(session_decode(enc, len, &d), 0);
                        check_equal(s, d);
                }
        }
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return EXIT_FAILURE;
        }

        test_round_trip_full();
        test_round_trip_minimal();
        test_truncations();
        test_random_flips();
        test_malformed();
        test_oversize();

        printf("test-session: all checks passed\n");
        return EXIT_SUCCESS;
}
