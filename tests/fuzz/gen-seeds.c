/* SPDX-License-Identifier: MIT */

/* Writes the binary seeds of fuzz-session-decode and fuzz-store-file
 * (real encodings from session_encode() and store_save(), and edge cases
 * derived from them) into CORPUS_DIR/<fuzzer>/. Run by hand after a
 * format change:  build-fuzz/tests/fuzz/gen-seeds tests/fuzz/corpus
 * The tokens are made up. */

#include <sodium.h>
#include <sys/stat.h>

#include "fuzz-store.h"
#include "fuzz.h"
#include "util/secret.h"
#include "store/session-codec.h"
#include "store/store.h"

static const char *corpus;

static void put(const char *fuzzer, const char *name, uint8_t mode, bool with_mode,
                const uint8_t *data, size_t size) {
        char *dir = NULL, *path = NULL;
        uint8_t *buf = malloc(size + 1);

        FUZZ_OOM_IF(!buf);
        FUZZ_OOM_IF(asprintf(&dir, "%s/%s", corpus, fuzzer) < 0);
        FUZZ_OOM_IF(asprintf(&path, "%s/%s", dir, name) < 0);
        (void) mkdir(dir, 0755);
        buf[0] = mode;
        if (size > 0)
                memcpy(buf + with_mode, data, size);
        fuzz_write_file(path, buf, size + with_mode);
        (void) chmod(path, 0644);
        printf("%s (%zu bytes)\n", path, size + with_mode);
        free(buf);
        free(path);
        free(dir);
}

static void put_session(const char *name, const uint8_t *data, size_t size) {
        put("fuzz-session-decode", name, 0, false, data, size);
}

static session *make_session(bool full) {
        session *s = session_new();

        FUZZ_OOM_IF(!s);
        FUZZ_OOM_IF(session_set_string(&s->access_token, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdXp6In0.") < 0);
        if (full) {
                FUZZ_OOM_IF(session_set_string(&s->refresh_token, "rt-0123456789abcdef") < 0);
                FUZZ_OOM_IF(session_set_string(&s->scope, "openid offline_access giponext.patients") < 0);
                s->expires_at = 1767225600;
                s->refreshed_at = 1767222000;
                FUZZ_OOM_IF(session_set_string(&s->sub, "a1b2c3d4-sub") < 0);
                FUZZ_OOM_IF(session_set_string(&s->user, "Dr. Anna Rossi \xc3\xa8") < 0);
                FUZZ_OOM_IF(session_set_string(&s->tenant_id, "clinic-1") < 0);
                FUZZ_OOM_IF(session_set_string(&s->tenant_name, "Clinica Uno") < 0);
                FUZZ_OOM_IF(session_add_tenant(s, "clinic-1", "Clinica Uno") < 0);
                FUZZ_OOM_IF(session_add_tenant(s, "clinic-2", NULL) < 0);
        } else
                s->expires_at = -1;     /* negative values are representable */
        return s;
}

/* A record: tag, u32 LE length, value. */
static size_t record(uint8_t *p, uint8_t tag, const void *v, uint32_t len) {
        p[0] = tag;
        for (int i = 0; i < 4; i++)
                p[1 + i] = (uint8_t) (len >> (8 * i));
        if (v && len > 0)
                memcpy(p + 5, v, len);
        return 5 + (size_t) len;
}

static void session_seeds(const uint8_t *full, size_t full_len, const uint8_t *min, size_t min_len) {
        uint8_t buf[4096], *big;
        size_t n;

        put_session("valid-full", full, full_len);
        put_session("valid-minimal", min, min_len);

        put_session("edge-empty", NULL, 0);
        put_session("edge-version-only", (const uint8_t *) "\x01", 1);
        put_session("edge-no-end-record", full, full_len - 5);
        put_session("edge-truncated-record", full, full_len / 2);

        memcpy(buf, full, full_len);
        buf[0] = 2;
        put_session("edge-version-2", buf, full_len);

        memcpy(buf, full, full_len);
        buf[full_len] = 0;
        put_session("edge-trailing-byte", buf, full_len + 1);

        /* access token only, its length claiming 4 GiB */
        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "tok", 3);
        buf[2] = buf[3] = buf[4] = buf[5] = 0xff;
        put_session("edge-huge-length", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "tok", 3);
        n += record(buf + n, 1, "tok", 3);
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-repeated-field", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "t\0k", 3);
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-nul-in-string", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "tok", 3);
        n += record(buf + n, 0x42, "x", 1);
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-unknown-tag", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "tok", 3);
        n += record(buf + n, 4, "1234567", 7);         /* an int64 of 7 bytes */
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-short-int", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 1, "tok", 3);
        n += record(buf + n, 10, "\x02\x04\0\0\0name", 9);      /* tenant without id */
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-tenant-without-id", buf, n);

        n = 0;
        buf[n++] = 1;
        n += record(buf + n, 0xff, NULL, 0);
        put_session("edge-no-access-token", buf, n);

        /* 257 tenants: one more than allowed */
        big = malloc(1 + 8 + 257 * 11 + 5);
        FUZZ_OOM_IF(!big);
        n = 0;
        big[n++] = 1;
        n += record(big + n, 1, "tok", 3);
        for (int i = 0; i < 257; i++) {
                uint8_t t[6];
                record(t, 1, "t", 1);
                n += record(big + n, 10, t, sizeof(t));
        }
        n += record(big + n, 0xff, NULL, 0);
        put_session("edge-257-tenants", big, n);
        free(big);
}

static void store_seeds(const uint8_t *full, size_t full_len, const uint8_t *min, size_t min_len) {
        uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], *file;
        char *dir, *path = NULL;
        session *s = NULL, *loaded = NULL;
        store *st = NULL;
        size_t len;
        FILE *f;
        uint8_t saved[4096];
        size_t saved_len;
        int r;

        put("fuzz-store-file", "sealed-full", FUZZ_STORE_SEALED, true, full, full_len);
        put("fuzz-store-file", "sealed-minimal", FUZZ_STORE_SEALED, true, min, min_len);
        put("fuzz-store-file", "sealed-other-issuer", FUZZ_STORE_SEALED_OTHER, true, full, full_len);
        put("fuzz-store-file", "sealed-no-end-record", FUZZ_STORE_SEALED, true, full, full_len - 5);

        /* A file as store_save() writes it, with the harness's key. */
        unsetenv("CREDENTIALS_DIRECTORY");
        dir = fuzz_make_tempdir("gen-seeds");
        FUZZ_OOM_IF(asprintf(&path, "%s/key", dir) < 0);
        fuzz_store_key(key);
        fuzz_write_file(path, key, sizeof(key));
        free(path);
        r = store_open(dir, &st);
        FUZZ_CHECK(r == 0, "store_open(): %d", r);
        s = make_session(true);
        r = store_save(st, FUZZ_STORE_ACCOUNT, FUZZ_STORE_ISSUER, s);
        FUZZ_CHECK(r == 0, "store_save(): %d", r);
        FUZZ_OOM_IF(asprintf(&path, "%s/accounts/%s.session", dir, FUZZ_STORE_ACCOUNT) < 0);
        f = fopen(path, "re");
        FUZZ_CHECK(f, "saved file missing");
        saved_len = fread(saved, 1, sizeof(saved), f);
        fclose(f);
        put("fuzz-store-file", "raw-store-save", FUZZ_STORE_RAW, true, saved, saved_len);
        put("fuzz-store-file", "raw-header-only", FUZZ_STORE_RAW, true, saved, FUZZ_STORE_HEADER_LEN);
        put("fuzz-store-file", "raw-empty", FUZZ_STORE_RAW, true, NULL, 0);
        saved[saved_len / 2] ^= 0x01;
        put("fuzz-store-file", "raw-bit-flip", FUZZ_STORE_RAW, true, saved, saved_len);

        /* The harness's sealing must match store.c, or its sealed inputs
         * would test nothing but the MAC. */
        file = fuzz_store_seal(full, full_len, FUZZ_STORE_ACCOUNT, FUZZ_STORE_ISSUER, &len);
        FUZZ_OOM_IF(!file);
        fuzz_write_file(path, file, len);
        free(file);
        r = store_load(st, FUZZ_STORE_ACCOUNT, FUZZ_STORE_ISSUER, &loaded, NULL);
        FUZZ_CHECK(r == 0, "a file sealed like fuzz-store-file does does not load (%d): "
                   "fuzz-store.h no longer matches store.c", r);

        session_free(loaded);
        session_free(s);
        store_free(st);
        free(path);
        fuzz_rm_rf(dir);
        free(dir);
}

int main(int argc, char **argv) {
        session *full, *min;
        uint8_t *full_enc, *min_enc;
        size_t full_len, min_len;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
                return 2;
        }
        corpus = argv[1];
        if (sodium_init() < 0)
                return 1;

        full = make_session(true);
        min = make_session(false);
        FUZZ_CHECK(session_encode(full, &full_enc, &full_len) == 0, "encode");
        FUZZ_CHECK(session_encode(min, &min_enc, &min_len) == 0, "encode");

        session_seeds(full_enc, full_len, min_enc, min_len);
        store_seeds(full_enc, full_len, min_enc, min_len);

        secret_free(full_enc);
        secret_free(min_enc);
        session_free(full);
        session_free(min);
        return 0;
}
