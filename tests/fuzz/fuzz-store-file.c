/* SPDX-License-Identifier: MIT */

/* The store file decoder, through store_load(): header checks, the AEAD
 * and session_decode(). The store keeps its file reader internal, so each input
 * becomes the account's file in a state directory set up once with a
 * fixed key. The first byte picks the mode (fuzz-store.h): the rest is
 * either the raw file, or a plaintext the harness seals with the right
 * key so that mutations reach session_decode() past the MAC. */

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz-store.h"
#include "fuzz.h"
#include "util/secret.h"
#include "store/session-codec.h"
#include "store/store.h"

static char *state_dir, *accounts_dir, *session_path;
static store *st;

static void teardown(void) {
        st = store_free(st);
        fuzz_rm_rf(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
        char *key_path = NULL;
        int r;

        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();

        /* The key must come from the state directory, not from a
         * credential of whoever runs the fuzzer. */
        unsetenv("CREDENTIALS_DIRECTORY");

        state_dir = fuzz_make_tempdir("fuzz-store");
        FUZZ_OOM_IF(asprintf(&key_path, "%s/key", state_dir) < 0);
        fuzz_store_key(key);
        fuzz_write_file(key_path, key, sizeof(key));
        sodium_memzero(key, sizeof(key));
        free(key_path);

        r = store_open(state_dir, &st);
        if (r < 0) {
                fprintf(stderr, "store_open(%s): %s\n", state_dir, strerror(-r));
                abort();
        }
        FUZZ_OOM_IF(asprintf(&accounts_dir, "%s/accounts", state_dir) < 0);
        FUZZ_OOM_IF(asprintf(&session_path, "%s/%s.session", accounts_dir, FUZZ_STORE_ACCOUNT) < 0);
        atexit(teardown);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t live = fuzz_secret_live();
        session *s = NULL, *direct = NULL;
        char *quarantined = NULL;
        uint8_t *file = NULL;
        size_t file_len = 0;
        struct stat sb;
        int mode, r, expect = 0;

        if (size < 1)
                return 0;
        mode = data[0] % 3;
        data++;
        size--;

        switch (mode) {
        case FUZZ_STORE_RAW:
                fuzz_write_file(session_path, data, size);
                break;
        case FUZZ_STORE_SEALED:
        case FUZZ_STORE_SEALED_OTHER:
                file = fuzz_store_seal(data, size, FUZZ_STORE_ACCOUNT,
                                       mode == FUZZ_STORE_SEALED ? FUZZ_STORE_ISSUER : FUZZ_STORE_OTHER_ISSUER,
                                       &file_len);
                FUZZ_OOM_IF(!file);
                fuzz_write_file(session_path, file, file_len);
                free(file);
                /* What the store must conclude: exactly what the session
                 * decoder says, or a MAC failure for another issuer. */
                if (mode == FUZZ_STORE_SEALED) {
                        expect = session_decode(data, size, &direct);
                        FUZZ_CHECK(expect == 0 || expect == -EBADMSG, "session_decode(): %d", expect);
                } else
                        expect = -EBADMSG;
                break;
        }

        r = store_load(st, FUZZ_STORE_ACCOUNT, FUZZ_STORE_ISSUER, &s, &quarantined);
        FUZZ_CHECK(r == 0 || r == -EBADMSG, "store_load(): %d", r);
        if (mode != FUZZ_STORE_RAW)
                FUZZ_CHECK(r == expect, "store_load() gave %d, the plaintext decodes to %d", r, expect);

        if (r == 0) {
                FUZZ_CHECK(s && s->access_token, "loaded session without access token");
                FUZZ_CHECK(!quarantined, "quarantine name set on success");
                if (direct)
                        FUZZ_CHECK(strcmp(s->access_token, direct->access_token) == 0 &&
                                   s->n_tenants == direct->n_tenants &&
                                   s->expires_at == direct->expires_at,
                                   "store_load() and session_decode() disagree");
        } else {
                FUZZ_CHECK(!s, "session set on failure");
                /* A rejected file is moved aside, never left in place. */
                FUZZ_CHECK(quarantined, "no quarantine name for a rejected file");
                FUZZ_CHECK(strncmp(quarantined, FUZZ_STORE_ACCOUNT ".session.corrupt-",
                                   strlen(FUZZ_STORE_ACCOUNT ".session.corrupt-")) == 0,
                           "unexpected quarantine name");
                FUZZ_CHECK(lstat(session_path, &sb) < 0 && errno == ENOENT,
                           "rejected file still in place");
        }

        session_free(s);
        session_free(direct);
        free(quarantined);
        fuzz_empty_dir(accounts_dir);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
