/* SPDX-License-Identifier: MIT */

/* session_decode(): the store's plaintext. Whatever decodes must encode
 * again, decode to the same session, and encode canonically. */

#include <sodium.h>

#include "fuzz.h"
#include "util/secret.h"
#include "store/session-codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();
        return 0;
}

static void check_string(const char *what, const char *s, bool required) {
        FUZZ_CHECK(s || !required, "%s missing", what);
        if (s)
                FUZZ_CHECK(strlen(s) <= SESSION_STRING_MAX, "%s too long", what);
}

static bool same(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_equal(const session *a, const session *b, const char *how) {
        FUZZ_CHECK(same(a->access_token, b->access_token), "%s: access_token differs", how);
        FUZZ_CHECK(same(a->refresh_token, b->refresh_token), "%s: refresh_token differs", how);
        FUZZ_CHECK(same(a->scope, b->scope), "%s: scope differs", how);
        FUZZ_CHECK(a->expires_at == b->expires_at, "%s: expires_at differs", how);
        FUZZ_CHECK(a->refreshed_at == b->refreshed_at, "%s: refreshed_at differs", how);
        FUZZ_CHECK(same(a->sub, b->sub), "%s: sub differs", how);
        FUZZ_CHECK(same(a->user, b->user), "%s: user differs", how);
        FUZZ_CHECK(same(a->tenant_id, b->tenant_id), "%s: tenant_id differs", how);
        FUZZ_CHECK(same(a->tenant_name, b->tenant_name), "%s: tenant_name differs", how);
        FUZZ_CHECK(a->n_tenants == b->n_tenants, "%s: tenant count differs", how);
        for (size_t i = 0; i < a->n_tenants; i++) {
                FUZZ_CHECK(same(a->tenants[i].id, b->tenants[i].id), "%s: tenant %zu id differs", how, i);
                FUZZ_CHECK(same(a->tenants[i].name, b->tenants[i].name), "%s: tenant %zu name differs", how, i);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t live = fuzz_secret_live();
        session *s = NULL, *again = NULL, *copy = NULL;
        uint8_t *enc = NULL, *enc2 = NULL;
        size_t enc_len = 0, enc2_len = 0;
        int r;

        r = session_decode(data, size, &s);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG, "session_decode() returned %d", r);
                FUZZ_CHECK(!s, "output set on failure");
                FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked on failure");
                return 0;
        }

        check_string("access_token", s->access_token, true);
        check_string("refresh_token", s->refresh_token, false);
        check_string("scope", s->scope, false);
        check_string("sub", s->sub, false);
        check_string("user", s->user, false);
        check_string("tenant_id", s->tenant_id, false);
        check_string("tenant_name", s->tenant_name, false);
        FUZZ_CHECK(s->n_tenants <= SESSION_TENANTS_MAX, "%zu tenants", s->n_tenants);
        for (size_t i = 0; i < s->n_tenants; i++) {
                check_string("tenant id", s->tenants[i].id, true);
                check_string("tenant name", s->tenants[i].name, false);
        }

        r = session_encode(s, &enc, &enc_len);
        FUZZ_CHECK(r == 0, "session_encode() of a decoded session: %d", r);

        r = session_decode(enc, enc_len, &again);
        FUZZ_CHECK(r == 0, "decoding the re-encoding: %d", r);
        check_equal(s, again, "round trip");

        r = session_encode(again, &enc2, &enc2_len);
        FUZZ_CHECK(r == 0, "second encode: %d", r);
        FUZZ_CHECK(enc_len == enc2_len && memcmp(enc, enc2, enc_len) == 0,
                   "encoding is not canonical");

        r = session_dup(s, &copy);
        FUZZ_CHECK(r == 0, "session_dup(): %d", r);
        check_equal(s, copy, "dup");

        secret_free(enc);
        secret_free(enc2);
        session_free(copy);
        session_free(again);
        session_free(s);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
