/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "login/landing.h"

/* The one style block of every page. Its sha256 goes into the CSP, so any
 * change here changes the header with it; no style= attributes anywhere,
 * since a hash source does not cover them. The accent colour is the only
 * thing that differs between pages, chosen by the body's class. Colours
 * keep a contrast of 4.5:1 or more against the card, light and dark. */
static const char landing_style_text[] =
        ":root{color-scheme:light dark;--bg:#eef0f3;--fg:#1c2230;--muted:#4d5564;--card:#fff;"
        "--line:#d8dce3;--soft:#f5f6f8;--accent:#4d5564}"
        "body.ok{--accent:#1a7f45}body.info{--accent:#2f65a7}"
        "body.warn{--accent:#965400}body.fail{--accent:#b3261e}"
        "@media (prefers-color-scheme:dark){:root{--bg:#121519;--fg:#e9ebf0;--muted:#aeb5c1;"
        "--card:#1d2128;--line:#353b47;--soft:#252a33}"
        "body.ok{--accent:#5cc98a}body.info{--accent:#8ab4f8}"
        "body.warn{--accent:#f0b35a}body.fail{--accent:#ff8a80}}"
        "*{box-sizing:border-box}"
        "html{font-size:clamp(16px,0.85rem + 0.4vw,20px);-webkit-text-size-adjust:100%;text-size-adjust:100%}"
        "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
        "background:var(--bg);color:var(--fg);line-height:1.55;padding:1.25rem 0.75rem;"
        "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','DejaVu Sans',sans-serif}"
        "main{width:100%;max-width:40rem;background:var(--card);border:1px solid var(--line);"
        "border-top:0.4rem solid var(--accent);border-radius:0.75rem;padding:1.5rem 1.75rem 1rem}"
        "header{display:flex;align-items:center;gap:1rem;margin:0 0 1.1rem}"
        ".icon{flex:none;width:3rem;height:3rem;color:var(--accent)}"
        ".icon .glyph{fill:none;stroke:var(--card);stroke-width:4.5;stroke-linecap:round;stroke-linejoin:round}"
        ".icon .dot{fill:var(--card)}"
        "h1{font-size:1.55rem;line-height:1.2;margin:0;font-weight:700}"
        ".sub{margin:0.25rem 0 0;color:var(--muted);font-size:1.05rem}"
        ".facts{display:grid;grid-template-columns:max-content 1fr;gap:0.3rem 1.25rem;"
        "margin:0 0 1.1rem;padding:0.7rem 1rem;background:var(--soft);border-radius:0.5rem}"
        "dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}"
        "section p{margin:0 0 0.5rem}"
        "section+section{border-top:1px solid var(--line);margin-top:0.85rem;padding-top:0.85rem}"
        "section[lang=en]{color:var(--muted)}"
        ".todo{font-weight:600}"
        ".tech{margin:1rem 0 0;font-size:0.85rem;color:var(--muted)}"
        "code{display:inline-block;max-width:100%;font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:0.95em;color:var(--fg);"
        "background:var(--soft);border:1px solid var(--line);border-radius:0.3rem;"
        "padding:0.05rem 0.35rem;overflow-wrap:anywhere}"
        "footer{margin-top:0.9rem;padding-top:0.6rem;border-top:1px solid var(--line);"
        "font-size:0.8rem;color:var(--muted)}"
        "@media (max-width:30rem){body{padding:0.75rem 0.5rem;align-items:flex-start}"
        "main{padding:1.25rem 1.1rem 1rem}h1{font-size:1.3rem}.icon{width:2.5rem;height:2.5rem}"
        ".facts{grid-template-columns:1fr;gap:0}dd{margin-bottom:0.45rem}}";

/* How a page looks: the accent colour and the icon. */
typedef enum tone {
        TONE_OK,        /* done */
        TONE_INFO,      /* nothing went wrong, nothing to do */
        TONE_WARN,      /* stopped by the user or by time: just start again */
        TONE_FAIL,      /* something broke or was refused */
        _TONE_MAX,
} tone;

static const char *const tone_class[_TONE_MAX] = {
        [TONE_OK] = "ok",
        [TONE_INFO] = "info",
        [TONE_WARN] = "warn",
        [TONE_FAIL] = "fail",
};

/* Inline SVG: markup, not a fetched resource, so the CSP needs no img-src
 * for it. Drawn in the accent colour with the glyph cut out in the card's. */
#define ICON_OPEN \
        "<svg class=\"icon\" viewBox=\"0 0 48 48\" width=\"48\" height=\"48\" aria-hidden=\"true\" focusable=\"false\">" \
        "<circle cx=\"24\" cy=\"24\" r=\"24\" fill=\"currentColor\"/>"
static const char *const tone_icon[_TONE_MAX] = {
        [TONE_OK] = ICON_OPEN "<path class=\"glyph\" d=\"M14 24.5l6.5 6.5L34 17.5\"/></svg>",
        [TONE_INFO] = ICON_OPEN "<circle class=\"dot\" cx=\"24\" cy=\"14.5\" r=\"3\"/>"
                      "<path class=\"glyph\" d=\"M24 22v13\"/></svg>",
        [TONE_WARN] = ICON_OPEN "<path class=\"glyph\" d=\"M24 13v13\"/>"
                      "<circle class=\"dot\" cx=\"24\" cy=\"34\" r=\"3\"/></svg>",
        [TONE_FAIL] = ICON_OPEN "<path class=\"glyph\" d=\"M17 17l14 14M31 17L17 31\"/></svg>",
};

typedef enum lang {
        LANG_IT,
        LANG_EN,
        _LANG_MAX,
} lang;

static const char *const lang_code[_LANG_MAX] = {
        [LANG_IT] = "it",
        [LANG_EN] = "en",
};

typedef struct page_text {
        const char *title;
        const char *what;       /* what happened */
        const char *todo;       /* what to do next */
} page_text;

typedef struct page {
        tone tone;
        bool login_hint;        /* show "tessera login ACCOUNT" for the IT staff */
        bool show_identity;     /* user and clinic */
        bool show_idp_error;
        page_text text[_LANG_MAX];
} page;

/* Written for the person at the desk: what happened and what to do, no
 * protocol words. The command line is left to the small print. */
static const page pages[_LANDING_KIND_MAX] = {
        [LANDING_SUCCESS] = {
                .tone = TONE_OK,
                .show_identity = true,
                .text[LANG_IT] = {
                        "Accesso completato",
                        "L'accesso è riuscito. Da ora tessera lo mantiene attivo su questo computer.",
                        "Puoi chiudere questa finestra e tornare all'applicazione.",
                },
                .text[LANG_EN] = {
                        "Login complete",
                        "You are signed in. From now on tessera keeps the sign-in active on this computer.",
                        "You can close this window and return to the application.",
                },
        },
        [LANDING_ACCESS_DENIED] = {
                .tone = TONE_WARN,
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso negato",
                        "Nella pagina di accesso l'autorizzazione è stata rifiutata, quindi l'accesso non è "
                        "avvenuto. Non è stato salvato nulla.",
                        "Se è stato un errore, ripeti l'accesso e, quando ti viene chiesto, conferma l'autorizzazione.",
                },
                .text[LANG_EN] = {
                        "Access denied",
                        "The authorization was declined on the sign-in page, so you are not signed in. "
                        "Nothing was stored.",
                        "If this was a mistake, sign in again and approve the request when you are asked.",
                },
        },
        [LANDING_EXPIRED] = {
                .tone = TONE_WARN,
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso scaduto",
                        "L'accesso non è stato completato in tempo e la richiesta non è più valida. "
                        "Non è stato salvato nulla.",
                        "Ripeti l'accesso dall'inizio, dall'applicazione o con il comando qui sotto, e "
                        "completalo senza lunghe pause. Se non sai come fare, chiedi all'amministratore.",
                },
                .text[LANG_EN] = {
                        "Login expired",
                        "The login was not completed in time and the request is no longer valid. "
                        "Nothing was stored.",
                        "Start the login again, from the application or with the command below, and "
                        "complete it without long pauses. If you are not sure how, ask your administrator.",
                },
        },
        [LANDING_BAD_STATE] = {
                .tone = TONE_WARN,
                .login_hint = true,
                .text[LANG_IT] = {
                        "Collegamento non valido",
                        "Questa pagina è stata aperta da un collegamento vecchio, o che non corrisponde "
                        "all'accesso in corso. Per sicurezza è stato ignorato.",
                        "Se stai facendo l'accesso, continua nella finestra aperta per ultima, "
                        "oppure ripeti l'accesso dall'inizio.",
                },
                .text[LANG_EN] = {
                        "Invalid link",
                        "This page was opened from an old link, or one that does not match the login in "
                        "progress. For your safety it was ignored.",
                        "If you are signing in, carry on in the most recently opened window, "
                        "or start the login again.",
                },
        },
        [LANDING_IDP_ERROR] = {
                .tone = TONE_FAIL,
                .login_hint = true,
                .show_idp_error = true,
                .text[LANG_IT] = {
                        "Errore del server di accesso",
                        "Il server di accesso ha segnalato un problema e l'accesso non è stato completato. "
                        "Non è stato salvato nulla.",
                        "Riprova tra qualche minuto. Se succede ancora, comunica all'assistenza il codice "
                        "di errore riportato in questa pagina.",
                },
                .text[LANG_EN] = {
                        "Sign-in server error",
                        "The sign-in server reported a problem and the login was not completed. "
                        "Nothing was stored.",
                        "Try again in a few minutes. If it happens again, give your support contact the error "
                        "code shown on this page.",
                },
        },
        [LANDING_TENANT_NOT_ALLOWED] = {
                .tone = TONE_FAIL,
                .login_hint = true,
                .show_identity = true,
                .text[LANG_IT] = {
                        "Studio non autorizzato",
                        "Hai effettuato l'accesso, ma questo studio non è abilitato su questo computer. "
                        "Per sicurezza l'accesso è stato annullato e non è stato salvato nulla.",
                        "Ripeti l'accesso con un utente di uno studio abilitato, oppure chiedi "
                        "all'amministratore di abilitare questo studio.",
                },
                .text[LANG_EN] = {
                        "Clinic not allowed",
                        "You signed in, but this clinic is not enabled on this computer. For your safety the "
                        "sign-in was cancelled and nothing was stored.",
                        "Sign in again with a user of an enabled clinic, or ask your administrator to enable "
                        "this clinic.",
                },
        },
        [LANDING_EXCHANGE_FAILED] = {
                .tone = TONE_FAIL,
                .login_hint = true,
                .show_idp_error = true,
                .text[LANG_IT] = {
                        "Server di accesso non raggiungibile",
                        "L'autorizzazione è arrivata, ma questo computer non è riuscito a completare l'accesso "
                        "con il server. Non è stato salvato nulla.",
                        "Controlla la connessione a Internet e ripeti l'accesso. Se succede ancora, "
                        "contatta l'assistenza.",
                },
                .text[LANG_EN] = {
                        "Sign-in server unreachable",
                        "The authorization arrived, but this computer could not complete the sign-in with "
                        "the server. Nothing was stored.",
                        "Check the Internet connection and sign in again. If it happens again, contact "
                        "your support.",
                },
        },
        [LANDING_GENERIC] = {
                .tone = TONE_FAIL,
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso non riuscito",
                        "Un errore imprevisto ha interrotto l'accesso.",
                        "Riprova. Se succede ancora, contatta l'assistenza: i dettagli sono nel registro "
                        "di sistema del servizio tesserad.",
                },
                .text[LANG_EN] = {
                        "Login failed",
                        "An unexpected error stopped the login.",
                        "Try again. If it happens again, contact your support: the details are in the "
                        "system log of the tesserad service.",
                },
        },
        [LANDING_ALREADY_HANDLED] = {
                .tone = TONE_INFO,
                .text[LANG_IT] = {
                        "Accesso già gestito",
                        "Questo accesso è già stato completato, oppure si sta completando in un'altra finestra.",
                        "Controlla l'altra finestra; questa puoi chiuderla.",
                },
                .text[LANG_EN] = {
                        "Login already handled",
                        "This login has already been completed, or is being completed in another window.",
                        "Check the other window; you can close this one.",
                },
        },
        [LANDING_NOT_FOUND] = {
                .tone = TONE_INFO,
                .text[LANG_IT] = {
                        "Pagina non trovata",
                        "Questo indirizzo serve solo a completare un accesso di tessera.",
                        "Puoi chiudere questa finestra.",
                },
                .text[LANG_EN] = {
                        "Page not found",
                        "This address only serves to complete a tessera login.",
                        "You can close this window.",
                },
        },
};

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

static int put_facts(FILE *f, const page *pg, const landing_info *info) {
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

static int put_section(FILE *f, const page *pg, lang l) {
        const page_text *t = &pg->text[l];

        /* The Italian title is the page's h1; the English one is in the
         * header's second line, so each section only explains. */
        if (fprintf(f, "<section lang=\"%s\"><p>%s</p><p class=\"todo\">%s</p></section>\n",
                    lang_code[l], t->what, t->todo) < 0)
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
        const page *pg;
        int r;

        if (kind < 0 || kind >= _LANDING_KIND_MAX || !ret_html)
                return -EINVAL;
        if (!info)
                info = &no_info;
        pg = &pages[kind];

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
                    pg->text[LANG_IT].title, pg->text[LANG_EN].title,
                    landing_style_text,
                    tone_class[pg->tone],
                    tone_icon[pg->tone],
                    pg->text[LANG_IT].title, pg->text[LANG_EN].title) < 0)
                return -ENOMEM;

        r = put_facts(f, pg, info);
        if (r < 0)
                return r;
        for (lang l = 0; l < _LANG_MAX; l++) {
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
