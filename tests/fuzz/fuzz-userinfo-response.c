/* SPDX-License-Identifier: MIT */

/* oauth_parse_userinfo_response() (GipoNext's userinfo with tenants).
 * Input layout: fuzz-response.h. */

#include <sodium.h>

#include "fuzz-oauth-common.h"
#include "fuzz-response.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (sodium_init() < 0)
                abort();
        return 0;
}

static void check_text(const char *what, const char *s, size_t max) {
        FUZZ_CHECK(*s && strlen(s) <= max, "%s length", what);
        for (const char *p = s; *p; p++)
                FUZZ_CHECK((unsigned char) *p >= 0x20 && *p != 0x7f, "%s: control byte", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t live = fuzz_secret_live();
        oauth_userinfo *u = NULL;
        oauth_error e = {};
        fuzz_response f;
        int r;

        if (!fuzz_response_init(&f, data, size))
                return 0;

        r = oauth_parse_userinfo_response(&f.resp, &u, &e);
        if (r == 0) {
                FUZZ_CHECK(u, "success without result");
                FUZZ_CHECK(f.resp.status >= 200 && f.resp.status <= 299, "accepted HTTP %ld", f.resp.status);
                FUZZ_CHECK(u->sub, "no sub");
                check_text("sub", u->sub, USERINFO_SUB_MAX);
                if (u->name)
                        check_text("name", u->name, USERINFO_NAME_MAX);
                FUZZ_CHECK(u->n_tenants <= USERINFO_TENANTS_MAX, "%zu tenants", u->n_tenants);
                for (size_t i = 0; i < u->n_tenants; i++) {
                        const userinfo_tenant *t = &u->tenants[i];

                        /* Tenant ids go into API paths unescaped. */
                        FUZZ_CHECK(t->id && *t->id && strlen(t->id) <= USERINFO_TENANT_ID_MAX,
                                   "tenant id length");
                        for (const char *p = t->id; *p; p++)
                                FUZZ_CHECK((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                                           (*p >= '0' && *p <= '9') || strchr("-._~", *p),
                                           "tenant id outside RFC 3986 unreserved");
                        if (t->name)
                                check_text("tenant name", t->name, USERINFO_NAME_MAX);
                }
        } else {
                FUZZ_CHECK(!u, "result set on failure");
                fuzz_check_error(r, &e, &f.resp);
        }
        oauth_userinfo_free(u);
        oauth_error_done(&e);

        fuzz_response_done(&f);
        FUZZ_CHECK(fuzz_secret_live() == live, "secret memory leaked");
        return 0;
}
