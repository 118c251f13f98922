/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "login/landing-pages.h"
#include "login/landing.h"

/* Labels name both languages at once, so the facts are listed only once. */
#define LABEL(it, en) it " <span lang=\"en\">· " en "</span>"
static const char label_user[] = LABEL("Utente", "User");
static const char label_clinic[] = LABEL("Studio", "Clinic");
/* The same word in both languages. */
static const char label_account[] = "Account";
static const char label_error_code[] = LABEL("Codice di errore", "Error code");
static const char label_error_details[] = LABEL("Dettagli", "Details");
static const char label_tech[] = LABEL("Per l'assistenza tecnica", "For IT staff");

/* Writes s HTML-escaped, cut at LANDING_VALUE_MAX bytes on a UTF-8 character
 * boundary, with control characters shown as spaces. */
static int put_escaped(FILE *f, const char *s) {
        size_t n = strnlen(s, LANDING_VALUE_MAX + 1);
        bool cut = n > LANDING_VALUE_MAX;

        if (cut) {
                n = LANDING_VALUE_MAX;
                /* Back up over continuation bytes so no sequence is split. */
                while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                        n--;
        }

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                int r;

                switch (c) {
                case '&':  r = fputs("&amp;", f); break;
                case '<':  r = fputs("&lt;", f); break;
                case '>':  r = fputs("&gt;", f); break;
                case '"':  r = fputs("&quot;", f); break;
                case '\'': r = fputs("&#39;", f); break;
                default:
                        r = fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
                }
                if (r == EOF)
                        return -ENOMEM;
        }
        if (cut && fputs("…", f) == EOF)
                return -ENOMEM;
        return 0;
}

static int put_item(FILE *f, const char *label, const char *value) {
        int r;

        if (isempty(value))
                return 0;
        if (fprintf(f, "<dt>%s</dt><dd>", label) < 0)
                return -ENOMEM;
        r = put_escaped(f, value);
        if (r < 0)
                return r;
        return fputs("</dd>", f) == EOF ? -ENOMEM : 0;
}

static int put_facts(FILE *f, const landing_page *pg, const landing_info *info) {
        bool user = pg->show_identity && !isempty(info->user_name),
                clinic = pg->show_identity && !isempty(info->tenant_name),
                code = pg->show_idp_error && !isempty(info->idp_error),
                details = pg->show_idp_error && !isempty(info->idp_error_description);
        int r = 0;

        if (!user && !clinic && !code && !details && isempty(info->account))
                return 0;

        if (fputs("<dl class=\"facts\">", f) == EOF)
                return -ENOMEM;
        /* Who and where first: that is what the person checks. */
        if (user)
                r = put_item(f, label_user, info->user_name);
        if (r >= 0 && clinic)
                r = put_item(f, label_clinic, info->tenant_name);
        if (r >= 0 && code)
                r = put_item(f, label_error_code, info->idp_error);
        if (r >= 0 && details)
                r = put_item(f, label_error_details, info->idp_error_description);
        if (r >= 0)
                r = put_item(f, label_account, info->account);
        if (r < 0)
                return r;
        return fputs("</dl>\n", f) == EOF ? -ENOMEM : 0;
}

static int put_section(FILE *f, const landing_page *pg, landing_lang l) {
        const landing_text *t = &pg->text[l];

        /* The Italian title is the page's h1; the English one is in the
         * header's second line, so each section only explains. */
        if (fprintf(f, "<section lang=\"%s\"><p>%s</p><p class=\"todo\">%s</p></section>\n",
                    landing_lang_to_string(l), t->what, t->todo) < 0)
                return -ENOMEM;
        return 0;
}

static int put_tech(FILE *f, const landing_info *info) {
        int r;

        if (fprintf(f, "<p class=\"tech\">%s: <code>tessera login", label_tech) < 0)
                return -ENOMEM;
        if (!isempty(info->account)) {
                if (fputc(' ', f) == EOF)
                        return -ENOMEM;
                r = put_escaped(f, info->account);
                if (r < 0)
                        return r;
        }
        return fputs("</code></p>\n", f) == EOF ? -ENOMEM : 0;
}

int landing_render(landing_kind kind, const landing_info *info, char **ret_html) {
        static const landing_info no_info = {};
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(fclosep) FILE *f = NULL;
        size_t size = 0;
        const landing_page *pg;
        int r;

        pg = landing_page_get(kind);
        if (!pg || !ret_html)
                return -EINVAL;
        if (!info)
                info = &no_info;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        /* The data: icon stops the browser from asking for /favicon.ico. */
        if (fprintf(f,
                    "<!DOCTYPE html>\n"
                    "<html lang=\"it\">\n<head>\n"
                    "<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<meta name=\"referrer\" content=\"no-referrer\">\n"
                    "<meta name=\"robots\" content=\"noindex\">\n"
                    "<link rel=\"icon\" href=\"data:,\">\n"
                    "<title>tessera — %s / %s</title>\n"
                    "<style>%s</style>\n"
                    "</head>\n<body class=\"%s\">\n<main>\n"
                    "<header>%s<div><h1>%s</h1><p class=\"sub\" lang=\"en\">%s</p></div></header>\n",
                    pg->text[LANDING_LANG_IT].title, pg->text[LANDING_LANG_EN].title,
                    landing_style_text,
                    landing_tone_to_string(pg->tone),
                    landing_tone_icon(pg->tone),
                    pg->text[LANDING_LANG_IT].title, pg->text[LANDING_LANG_EN].title) < 0)
                return -ENOMEM;

        r = put_facts(f, pg, info);
        if (r < 0)
                return r;
        for (landing_lang l = 0; l < _LANDING_LANG_MAX; l++) {
                r = put_section(f, pg, l);
                if (r < 0)
                        return r;
        }
        if (pg->login_hint) {
                r = put_tech(f, info);
                if (r < 0)
                        return r;
        }

        if (fputs("<footer>tessera</footer>\n</main>\n</body>\n</html>\n", f) == EOF)
                return -ENOMEM;

        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;

        *ret_html = TAKE_PTR(buf);
        return 0;
}

int landing_csp(char **ret) {
        unsigned char digest[crypto_hash_sha256_BYTES];
        char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        char *s;

        if (!ret)
                return -EINVAL;

        crypto_hash_sha256(digest, (const unsigned char *) landing_style_text, strlen(landing_style_text));
        /* CSP hash sources use standard base64 with padding. */
        sodium_bin2base64(b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);

        if (asprintf(&s,
                     "default-src 'none'; style-src 'sha256-%s'; img-src data:; "
                     "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                     b64) < 0)
                return -ENOMEM;

        *ret = s;
        return 0;
}

unsigned landing_http_status(landing_kind kind) {
        if (kind < 0 || kind >= _LANDING_KIND_MAX)
                return 500;

        switch (kind) {
        case LANDING_SUCCESS:
                return 200;
        case LANDING_ACCESS_DENIED:
        case LANDING_TENANT_NOT_ALLOWED:
                return 403;
        case LANDING_EXPIRED:
                return 410;
        case LANDING_BAD_STATE:
                return 400;
        case LANDING_IDP_ERROR:
        case LANDING_EXCHANGE_FAILED:
                return 502;
        case LANDING_GENERIC:
                return 500;
        case LANDING_ALREADY_HANDLED:
                return 409;
        case LANDING_NOT_FOUND:
                return 404;
        case _LANDING_KIND_MAX:
        case _LANDING_KIND_INVALID:
                break;
        }
        return 500;
}
