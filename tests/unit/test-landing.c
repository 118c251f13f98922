/* SPDX-License-Identifier: MIT */
/* The landing pages: shape, languages, what each page shows and hides,
 * escaping and caps, and the CSP hash.
 *
 *   test-landing                  runs the checks
 *   test-landing --write-pages D  also writes every page, rendered with
 *                                 sample values, to D/<kind>.html and the
 *                                 CSP header to D/csp.txt (the browser test
 *                                 shows pages no real login can reach) */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landing-check.h"
#include "tests.h"

static void test_all_kinds(void) {
        for (landing_kind k = 0; k < _LANDING_KIND_MAX; k++) {
                char *html, title[256], *h1, *sub;
                unsigned status = landing_http_status(k);

                html = render(k, NULL);
                /* No facts box when there is nothing to show. */
                CHECK(!contains(html, "<dl"));
                free(html);

                html = render(k, &sample);
                /* The document title names the page in both languages. */
                h1 = element_text(html, "<h1", "</h1>");
                sub = element_text(html, "<p class=\"sub\"", "</p>");
                CHECK(h1 && sub);
                if (h1 && sub) {
                        snprintf(title, sizeof title, "<title>tessera — %s / %s</title>", h1, sub);
                        CHECK(contains(html, title));
                }
                free(h1);
                free(sub);
                /* The account is on every page it is known for. */
                CHECK(count(html, "<dd>default</dd>") == 1);
                free(html);

                CHECK(status >= 200 && status <= 599);
                CHECK((status == 200) == (k == LANDING_SUCCESS));
        }

        {
                char *html = NULL;
                CHECK(landing_render(_LANDING_KIND_MAX, NULL, &html) == -EINVAL);
                CHECK(landing_render((landing_kind) -1, NULL, &html) == -EINVAL);
                CHECK(landing_render(LANDING_SUCCESS, NULL, NULL) == -EINVAL);
                CHECK(html == NULL);
        }

        CHECK(landing_http_status(LANDING_SUCCESS) == 200);
        CHECK(landing_http_status(LANDING_ACCESS_DENIED) == 403);
        CHECK(landing_http_status(LANDING_TENANT_NOT_ALLOWED) == 403);
        CHECK(landing_http_status(LANDING_EXPIRED) == 410);
        CHECK(landing_http_status(LANDING_BAD_STATE) == 400);
        CHECK(landing_http_status(LANDING_IDP_ERROR) == 502);
        CHECK(landing_http_status(LANDING_EXCHANGE_FAILED) == 502);
        CHECK(landing_http_status(LANDING_GENERIC) == 500);
        CHECK(landing_http_status(LANDING_ALREADY_HANDLED) == 409);
        CHECK(landing_http_status(LANDING_NOT_FOUND) == 404);
        CHECK(landing_http_status(_LANDING_KIND_MAX) == 500);
        CHECK(landing_http_status((landing_kind) -1) == 500);
}

static void test_success(void) {
        landing_info info = {
                .account = "default",
                .user_name = "<script>alert('x')</script> & \"Bob\"",
                .tenant_name = "Clinica Rossi",
                .idp_error = "must-not-show",
                .idp_error_description = "must-not-show-either",
        };
        char *html = render(LANDING_SUCCESS, &info);

        if (!html)
                return;
        CHECK(contains(html, "<h1>Accesso completato</h1>"));
        CHECK(contains(html, ">Login complete</p>"));
        CHECK(contains(html, "Puoi chiudere questa finestra e tornare all'applicazione."));
        CHECK(contains(html, "You can close this window and return to the application."));
        CHECK(contains(html, "<dd>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bob&quot;</dd>"));
        CHECK(!contains(html, "<script>"));
        /* Each fact once, labelled in both languages, who before where. */
        CHECK(count(html, "<dd>Clinica Rossi</dd>") == 1);
        CHECK(count(html, "<dd>default</dd>") == 1);
        CHECK(contains(html, "<dt>Utente <span lang=\"en\">· User</span></dt>"));
        CHECK(contains(html, "<dt>Studio <span lang=\"en\">· Clinic</span></dt>"));
        CHECK(before(html, "<dt>Utente", "<dt>Studio"));
        CHECK(before(html, "<dt>Studio", "<dt>Account"));
        /* The facts come before the explanations. */
        CHECK(before(html, "<dl class=\"facts\">", "<section lang=\"it\">"));
        CHECK(!contains(html, "must-not-show"));
        CHECK(!contains(html, "Codice di errore"));
        CHECK(!contains(html, "tessera login"));
        CHECK(contains(html, "<body class=\"ok\">"));
        free(html);

        /* Without a clinic the row is left out, not shown empty. */
        html = render(LANDING_SUCCESS, &(landing_info) { .account = "default", .user_name = "Alice Rossi",
                                                         .tenant_name = "" });
        CHECK(contains(html, "<dd>Alice Rossi</dd>"));
        CHECK(!contains(html, "<dt>Studio"));
        CHECK(!contains(html, "<dd></dd>"));
        free(html);
}

static void test_failures(void) {
        char *html;

        html = render(LANDING_BAD_STATE, &(landing_info) { .account = "clinic<b>" });
        CHECK(contains(html, "Collegamento non valido") && contains(html, "Invalid link"));
        CHECK(count(html, "<code>tessera login clinic&lt;b&gt;</code>") == 1);
        CHECK(contains(html, "Per l'assistenza tecnica <span lang=\"en\">· For IT staff</span>: <code>"));
        free(html);

        html = render(LANDING_BAD_STATE, NULL);
        CHECK(count(html, "<code>tessera login</code>") == 1);
        free(html);

        html = render(LANDING_IDP_ERROR, &(landing_info) { .idp_error = "temporarily_unavailable",
                                                           .idp_error_description = "<b>down</b>",
                                                           .user_name = "not shown here" });
        CHECK(count(html, "<dd>temporarily_unavailable</dd>") == 1);
        CHECK(count(html, "<dd>&lt;b&gt;down&lt;/b&gt;</dd>") == 1);
        CHECK(contains(html, "Codice di errore") && contains(html, "Error code"));
        CHECK(!contains(html, "not shown here"));
        free(html);

        /* The token request's error is worth showing to the support desk. */
        html = render(LANDING_EXCHANGE_FAILED, &(landing_info) { .idp_error = "invalid_grant" });
        CHECK(contains(html, "non raggiungibile") && contains(html, "unreachable"));
        CHECK(count(html, "<dd>invalid_grant</dd>") == 1);
        free(html);

        html = render(LANDING_TENANT_NOT_ALLOWED, &(landing_info) { .account = "narrow", .user_name = "Alice Rossi",
                                                                    .tenant_name = "Clinica Rossi" });
        CHECK(contains(html, "<h1>Studio non autorizzato</h1>") && contains(html, "Clinic not allowed"));
        CHECK(contains(html, "amministratore") && contains(html, "administrator"));
        CHECK(count(html, "<dd>Clinica Rossi</dd>") == 1);
        CHECK(count(html, "<dd>Alice Rossi</dd>") == 1);
        CHECK(contains(html, "<code>tessera login narrow</code>"));
        CHECK(contains(html, "non è stato salvato nulla") && contains(html, "nothing was stored"));
        free(html);

        html = render(LANDING_ACCESS_DENIED, &(landing_info) { .account = "post", .user_name = "not shown" });
        CHECK(contains(html, "<h1>Accesso negato</h1>") && contains(html, "Access denied"));
        CHECK(contains(html, "Non è stato salvato nulla") && contains(html, "Nothing was stored"));
        CHECK(!contains(html, "not shown"));
        free(html);

        html = render(LANDING_EXPIRED, &(landing_info) { .account = "default", .user_name = "not shown" });
        CHECK(contains(html, "<h1>Accesso scaduto</h1>") && contains(html, "Login expired"));
        CHECK(contains(html, "Ripeti l'accesso") && contains(html, "Start the login again"));
        /* A late sign-in: who to turn to, and the command for whoever helps. */
        CHECK(contains(html, "chiedi all'amministratore") && contains(html, "ask your administrator"));
        CHECK(contains(html, "<code>tessera login default</code>"));
        CHECK(contains(html, "Non è stato salvato nulla") && contains(html, "Nothing was stored"));
        CHECK(!contains(html, "not shown"));
        free(html);

        html = render(LANDING_GENERIC, NULL);
        CHECK(contains(html, "Accesso non riuscito") && contains(html, "Login failed"));
        free(html);

        /* Pages that need no action have no command. */
        html = render(LANDING_ALREADY_HANDLED, &sample);
        CHECK(contains(html, "Login already handled") && !contains(html, "<code>"));
        free(html);
        html = render(LANDING_NOT_FOUND, &sample);
        CHECK(contains(html, "Page not found") && !contains(html, "<code>"));
        CHECK(!contains(html, "Alice Rossi"));
        free(html);
}

static void test_caps(void) {
        char value[1001], *html, *dd, *end;
        size_t n;

        memset(value, 'x', 1000);
        value[1000] = '\0';
        html = render(LANDING_SUCCESS, &(landing_info) { .user_name = value });
        dd = html ? strstr(html, "<dd>x") : NULL;
        CHECK(dd);
        if (dd) {
                end = strstr(dd, "</dd>");
                CHECK(end && (size_t) (end - dd - 4) == LANDING_VALUE_MAX + strlen("…"));
                CHECK(end && strncmp(end - strlen("…"), "…", strlen("…")) == 0);
        }
        free(html);

        /* Exactly at the cap: kept whole, no ellipsis. */
        value[LANDING_VALUE_MAX] = '\0';
        html = render(LANDING_SUCCESS, &(landing_info) { .user_name = value });
        dd = html ? strstr(html, "<dd>x") : NULL;
        CHECK(dd && strncmp(dd + 4 + LANDING_VALUE_MAX, "</dd>", 5) == 0);
        free(html);

        /* 200 two-byte characters: the cut must not split one. */
        for (n = 0; n < 200; n++)
                memcpy(value + 2 * n, "\xc3\xa8", 2);
        value[400] = '\0';
        html = render(LANDING_SUCCESS, &(landing_info) { .user_name = value });
        dd = html ? strstr(html, "<dd>\xc3\xa8") : NULL;
        CHECK(dd);
        if (dd) {
                end = strstr(dd, "</dd>");
                CHECK(end && (size_t) (end - dd - 4) == LANDING_VALUE_MAX + strlen("…"));
                /* 128 whole characters, then the ellipsis. */
                CHECK(end && strncmp(dd + 4 + LANDING_VALUE_MAX - 2, "\xc3\xa8…", 2 + strlen("…")) == 0);
        }
        free(html);

        /* Control characters become spaces. */
        html = render(LANDING_SUCCESS, &(landing_info) { .user_name = "a\nb\tc\x1b" });
        CHECK(contains(html, "<dd>a b c </dd>"));
        free(html);

        /* The account in the command is escaped and capped as well. */
        memset(value, 'a', 1000);
        value[1000] = '\0';
        html = render(LANDING_EXPIRED, &(landing_info) { .account = value });
        CHECK(html && strlen(html) < 12000);
        CHECK(contains(html, "…</code>"));
        free(html);
}

static void test_csp(void) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        char expected[128];
        char *csp = NULL, *html = NULL;
        const char *start, *end;

        CHECK(landing_csp(NULL) == -EINVAL);
        CHECK(landing_csp(&csp) == 0);
        CHECK(landing_render(LANDING_SUCCESS, NULL, &html) == 0);
        if (!csp || !html)
                goto finish;

        CHECK(contains(csp, "default-src 'none'"));
        CHECK(contains(csp, "img-src data:"));
        CHECK(contains(csp, "base-uri 'none'"));
        CHECK(contains(csp, "form-action 'none'"));
        CHECK(contains(csp, "frame-ancestors 'none'"));
        CHECK(!contains(csp, "unsafe"));
        CHECK(!contains(csp, "script-src"));

        start = strstr(html, "<style>");
        end = strstr(html, "</style>");
        CHECK(start && end && end > start);
        if (!start || !end)
                goto finish;
        start += strlen("<style>");
        crypto_hash_sha256(digest, (const unsigned char *) start, (size_t) (end - start));
        sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
        snprintf(expected, sizeof expected, "style-src 'sha256-%s';", b64);
        CHECK(contains(csp, expected));

        /* Every page uses the very same style block. */
        for (landing_kind k = 0; k < _LANDING_KIND_MAX; k++) {
                char *other = NULL;
                const char *s;

                CHECK(landing_render(k, &sample, &other) == 0);
                s = other ? strstr(other, "<style>") : NULL;
                CHECK(s && strncmp(s + strlen("<style>"), start, (size_t) (end - start)) == 0 &&
                      strncmp(s + strlen("<style>") + (end - start), "</style>", 8) == 0);
                free(other);
        }

finish:
        free(csp);
        free(html);
}

static int write_file(const char *dir, const char *name, const char *text) {
        char path[4096];
        FILE *f;
        int r = 0;

        if ((size_t) snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
                return -ENAMETOOLONG;
        f = fopen(path, "we");
        if (!f)
                return -errno;
        if (fputs(text, f) == EOF)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        return r;
}

static int write_pages(const char *dir) {
        char *csp = NULL;
        int r;

        r = landing_csp(&csp);
        if (r < 0)
                return r;
        r = write_file(dir, "csp.txt", csp);
        free(csp);
        if (r < 0)
                return r;

        for (landing_kind k = 0; k < _LANDING_KIND_MAX; k++) {
                char *html = NULL, name[64];

                r = landing_render(k, &sample, &html);
                if (r < 0)
                        return r;
                snprintf(name, sizeof name, "%s.html", kind_name[k]);
                r = write_file(dir, name, html);
                free(html);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_all_kinds();
        test_success();
        test_failures();
        test_caps();
        test_csp();

        if (argc == 3 && strcmp(argv[1], "--write-pages") == 0) {
                int r = write_pages(argv[2]);

                if (r < 0) {
                        fprintf(stderr, "test-landing: cannot write the pages to %s: %s\n", argv[2], strerror(-r));
                        return 1;
                }
        } else if (argc != 1) {
                fprintf(stderr, "usage: test-landing [--write-pages DIR]\n");
                return 2;
        }

        printf("test-landing: all checks passed\n");
        return 0;
}
