/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landing.h"

static unsigned failures;

#define CHECK(cond)                                                             \
        do {                                                                    \
                if (!(cond)) {                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s\n",            \
                                __FILE__, __LINE__, #cond);                     \
                        failures++;                                             \
                }                                                               \
        } while (0)

static bool contains(const char *hay, const char *needle) {
        return hay && strstr(hay, needle);
}

static size_t count(const char *hay, const char *needle) {
        size_t n = 0;

        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* Every page: a full document, both languages in order, nothing that could
 * run or be fetched. */
static void check_page_shape(const char *html, landing_kind kind) {
        const char *it, *en, *p;

        CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
        CHECK(contains(html, "<html lang=\"it\">"));
        CHECK(contains(html, "<meta charset=\"utf-8\">"));
        CHECK(contains(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        CHECK(contains(html, "</html>"));

        it = strstr(html, "<section lang=\"it\">");
        en = strstr(html, "<section lang=\"en\">");
        CHECK(it && en && it < en);
        CHECK(count(html, "<h1>") == 2);

        CHECK(!contains(html, "<script"));
        CHECK(!contains(html, "<img"));
        CHECK(!contains(html, "<iframe"));
        CHECK(!contains(html, "<form"));
        CHECK(!contains(html, "src="));
        CHECK(!contains(html, "url("));
        CHECK(!contains(html, "@import"));
        CHECK(!contains(html, "http:"));
        CHECK(!contains(html, "https:"));
        CHECK(!contains(html, "//"));
        CHECK(!contains(html, " style="));
        CHECK(count(html, "<style>") == 1);
        /* The one link is the data: icon that keeps /favicon.ico away. */
        CHECK(count(html, "href=") == 1);
        p = strstr(html, "href=");
        CHECK(p && strncmp(p, "href=\"data:,\"", 13) == 0);

        CHECK(contains(html, kind == LANDING_SUCCESS ? "<body class=\"ok\">" : "<body class=\"fail\">"));
}

static char *render(landing_kind kind, const landing_info *info) {
        char *html = NULL;

        CHECK(landing_render(kind, info, &html) == 0);
        if (html)
                check_page_shape(html, kind);
        return html;
}

static void test_all_kinds(void) {
        for (landing_kind k = 0; k < _LANDING_KIND_MAX; k++) {
                char *html;

                html = render(k, NULL);
                free(html);
                html = render(k, &(landing_info) { .account = "default", .user_name = "Anna",
                                                   .tenant_name = "Studio Rossi", .idp_error = "server_error",
                                                   .idp_error_description = "Try later" });
                free(html);
                CHECK(landing_http_status(k) >= 200 && landing_http_status(k) <= 599);
        }

        {
                char *html = NULL;
                CHECK(landing_render(_LANDING_KIND_MAX, NULL, &html) == -EINVAL);
                CHECK(landing_render((landing_kind) -1, NULL, &html) == -EINVAL);
                CHECK(landing_render(LANDING_SUCCESS, NULL, NULL) == -EINVAL);
                CHECK(html == NULL);
        }

        CHECK(landing_http_status(LANDING_SUCCESS) == 200);
        CHECK(landing_http_status(LANDING_BAD_STATE) == 400);
        CHECK(landing_http_status(LANDING_ALREADY_HANDLED) == 409);
        CHECK(landing_http_status(LANDING_NOT_FOUND) == 404);
        CHECK(landing_http_status(_LANDING_KIND_MAX) == 500);
}

static void test_success(void) {
        landing_info info = {
                .account = "default",
                .user_name = "<script>alert('x')</script> & \"Bob\"",
                .tenant_name = "Studio Dentistico Rossi",
                .idp_error = "must-not-show",
        };
        char *html = render(LANDING_SUCCESS, &info);

        if (!html)
                return;
        CHECK(contains(html, "Accesso completato"));
        CHECK(contains(html, "Login complete"));
        CHECK(contains(html, "Puoi chiudere questa finestra e tornare all'applicazione."));
        CHECK(contains(html, "You can close this window and return to the application."));
        CHECK(contains(html, "<dd>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Bob&quot;</dd>"));
        CHECK(!contains(html, "<script>"));
        CHECK(count(html, "<dd>Studio Dentistico Rossi</dd>") == 2);
        CHECK(count(html, "<dd>default</dd>") == 2);
        CHECK(contains(html, "<dt>Studio</dt>") && contains(html, "<dt>Clinic</dt>"));
        CHECK(!contains(html, "must-not-show"));
        CHECK(!contains(html, "tessera login"));
        free(html);
}

static void test_failures(void) {
        char *html;

        html = render(LANDING_BAD_STATE, &(landing_info) { .account = "clinic<b>" });
        CHECK(contains(html, "Collegamento non valido") && contains(html, "Invalid link"));
        CHECK(count(html, "<code>tessera login clinic&lt;b&gt;</code>") == 2);
        free(html);

        html = render(LANDING_BAD_STATE, NULL);
        CHECK(count(html, "<code>tessera login</code>") == 2);
        free(html);

        html = render(LANDING_IDP_ERROR, &(landing_info) { .idp_error = "temporarily_unavailable",
                                                           .idp_error_description = "<b>down</b>" });
        CHECK(count(html, "<dd>temporarily_unavailable</dd>") == 2);
        CHECK(count(html, "<dd>&lt;b&gt;down&lt;/b&gt;</dd>") == 2);
        CHECK(contains(html, "Codice di errore") && contains(html, "Error code"));
        free(html);

        html = render(LANDING_TENANT_NOT_ALLOWED, &(landing_info) { .tenant_name = "Altro Studio" });
        CHECK(contains(html, "Studio non autorizzato") && contains(html, "Clinic not allowed"));
        CHECK(contains(html, "amministratore") && contains(html, "administrator"));
        CHECK(count(html, "<dd>Altro Studio</dd>") == 2);
        free(html);

        html = render(LANDING_ACCESS_DENIED, NULL);
        CHECK(contains(html, "Accesso negato") && contains(html, "Access denied"));
        free(html);

        html = render(LANDING_EXPIRED, NULL);
        CHECK(contains(html, "Accesso scaduto") && contains(html, "Login expired"));
        free(html);

        html = render(LANDING_EXCHANGE_FAILED, NULL);
        CHECK(contains(html, "non raggiungibile") && contains(html, "unreachable"));
        free(html);

        html = render(LANDING_GENERIC, NULL);
        CHECK(contains(html, "Accesso non riuscito") && contains(html, "Login failed"));
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
}

static void test_csp(void) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        char expected[128];
        char *csp = NULL, *html = NULL;
        const char *start, *end;

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

                CHECK(landing_render(k, NULL, &other) == 0);
                s = other ? strstr(other, "<style>") : NULL;
                CHECK(s && strncmp(s + strlen("<style>"), start, (size_t) (end - start)) == 0 &&
                      strncmp(s + strlen("<style>") + (end - start), "</style>", 8) == 0);
                free(other);
        }

finish:
        free(csp);
        free(html);
}

int main(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                return 1;
        }

        test_all_kinds();
        test_success();
        test_failures();
        test_caps();
        test_csp();

        if (failures > 0) {
                fprintf(stderr, "test-landing: %u check(s) failed\n", failures);
                return 1;
        }
        printf("test-landing: all checks passed\n");
        return 0;
}
