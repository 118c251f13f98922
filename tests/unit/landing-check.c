/* SPDX-License-Identifier: MIT */
/* The landing page tests' helpers and the shape of every page
 * (landing-check.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landing-check.h"
#include "tests.h"

const char *const kind_name[_LANDING_KIND_MAX] = {
        [LANDING_SUCCESS] = "success",
        [LANDING_ACCESS_DENIED] = "access-denied",
        [LANDING_EXPIRED] = "expired",
        [LANDING_BAD_STATE] = "bad-state",
        [LANDING_IDP_ERROR] = "idp-error",
        [LANDING_TENANT_NOT_ALLOWED] = "tenant-not-allowed",
        [LANDING_EXCHANGE_FAILED] = "exchange-failed",
        [LANDING_GENERIC] = "generic",
        [LANDING_ALREADY_HANDLED] = "already-handled",
        [LANDING_NOT_FOUND] = "not-found",
};

/* The body class of each page: the accent colour and icon. */
static const char *const kind_tone[_LANDING_KIND_MAX] = {
        [LANDING_SUCCESS] = "ok",
        [LANDING_ACCESS_DENIED] = "warn",
        [LANDING_EXPIRED] = "warn",
        [LANDING_BAD_STATE] = "warn",
        [LANDING_IDP_ERROR] = "fail",
        [LANDING_TENANT_NOT_ALLOWED] = "fail",
        [LANDING_EXCHANGE_FAILED] = "fail",
        [LANDING_GENERIC] = "fail",
        [LANDING_ALREADY_HANDLED] = "info",
        [LANDING_NOT_FOUND] = "info",
};

const landing_info sample = {
        .account = "default",
        .user_name = "Alice Rossi",
        .tenant_name = "Clinica Rossi",
        .idp_error = "temporarily_unavailable",
        .idp_error_description = "The service is down for maintenance",
};

bool contains(const char *hay, const char *needle) {
        return hay && strstr(hay, needle);
}

size_t count(const char *hay, const char *needle) {
        size_t n = 0;

        if (!hay)
                return 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

/* a appears, b appears, and a comes first. */
bool before(const char *hay, const char *a, const char *b) {
        const char *pa = hay ? strstr(hay, a) : NULL, *pb = hay ? strstr(hay, b) : NULL;

        return pa && pb && pa < pb;
}

/* An event handler attribute (" onload=", " onclick=", ...) anywhere. */
static bool has_event_attribute(const char *html) {
        for (const char *p = html; (p = strstr(p, " on")); p += 3) {
                const char *q = p + 3;

                while (*q >= 'a' && *q <= 'z')
                        q++;
                if (q > p + 3 && *q == '=')
                        return true;
        }
        return false;
}

char *element_text(const char *html, const char *open, const char *close) {
        const char *s = html ? strstr(html, open) : NULL, *e;

        if (!s)
                return NULL;
        s = strchr(s, '>');
        if (!s)
                return NULL;
        s++;
        e = strstr(s, close);
        return e ? strndup(s, (size_t) (e - s)) : NULL;
}

/* Every page: a full document, Italian first, nothing that could run or be
 * fetched, the right tone. */
static void check_page_shape(const char *html, landing_kind kind) {
        char body_class[64], *it = NULL, *en = NULL;
        const char *p;

        CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
        CHECK(contains(html, "<html lang=\"it\">"));
        CHECK(contains(html, "<meta charset=\"utf-8\">"));
        CHECK(contains(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        CHECK(contains(html, "<meta name=\"referrer\" content=\"no-referrer\">"));
        CHECK(contains(html, "</html>"));

        /* One h1 (Italian), the English title right below it, then one
         * section per language in that order. */
        CHECK(count(html, "<h1>") == 1);
        CHECK(count(html, "<p class=\"sub\" lang=\"en\">") == 1);
        CHECK(before(html, "<h1>", "<p class=\"sub\" lang=\"en\">"));
        CHECK(count(html, "<section lang=\"it\">") == 1);
        CHECK(count(html, "<section lang=\"en\">") == 1);
        CHECK(before(html, "<p class=\"sub\"", "<section lang=\"it\">"));
        CHECK(before(html, "<section lang=\"it\">", "<section lang=\"en\">"));
        CHECK(count(html, "<p class=\"todo\">") == 2);

        /* The two sections say the same thing in two languages: not the same
         * text twice, and neither one empty. */
        it = element_text(html, "<section lang=\"it\">", "</section>");
        en = element_text(html, "<section lang=\"en\">", "</section>");
        CHECK(it && en && strlen(it) > 40 && strlen(en) > 40 && strcmp(it, en) != 0);
        free(it);
        free(en);

        CHECK(!contains(html, "<script"));
        CHECK(!contains(html, "<img"));
        CHECK(!contains(html, "<iframe"));
        CHECK(!contains(html, "<object"));
        CHECK(!contains(html, "<embed"));
        CHECK(!contains(html, "<form"));
        CHECK(!contains(html, "<input"));
        CHECK(!contains(html, "<meta http-equiv"));
        CHECK(!contains(html, "src="));
        CHECK(!contains(html, "url("));
        CHECK(!contains(html, "@import"));
        CHECK(!contains(html, "@font-face"));
        CHECK(!contains(html, "http:"));
        CHECK(!contains(html, "https:"));
        CHECK(!contains(html, "//"));
        CHECK(!contains(html, "javascript:"));
        CHECK(!contains(html, " style="));
        CHECK(!has_event_attribute(html));
        CHECK(count(html, "<style>") == 1);
        /* The one link is the data: icon that keeps /favicon.ico away. */
        CHECK(count(html, "href=") == 1);
        p = strstr(html, "href=");
        CHECK(p && strncmp(p, "href=\"data:,\"", 13) == 0);

        CHECK(count(html, "<svg class=\"icon\"") == 1);
        CHECK(contains(html, "aria-hidden=\"true\""));
        snprintf(body_class, sizeof body_class, "<body class=\"%s\">", kind_tone[kind]);
        CHECK(contains(html, body_class));
        CHECK(contains(html, "<footer>tessera</footer>"));
}

/* Not inlined: GCC 12 at -O3 then takes the returned page for a pointer to
 * this function's local variable (-Wdangling-pointer, a false alarm). */
__attribute__((noinline)) char *render(landing_kind kind, const landing_info *info) {
        char *html = NULL;

        CHECK(landing_render(kind, info, &html) == 0);
        if (html)
                check_page_shape(html, kind);
        else
                fprintf(stderr, "  (while rendering %s)\n", kind_name[kind]);
        return html;
}
