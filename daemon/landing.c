/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "landing.h"

/* The one style block of every page. Its sha256 goes into the CSP, so any
 * change here changes the header with it; no style= attributes anywhere,
 * since a hash source does not cover them. */
static const char landing_style_text[] =
        ":root{color-scheme:light dark;--bg:#f4f5f7;--fg:#1d2330;--muted:#545c6b;"
        "--card:#fff;--line:#d9dde4;--accent:#6b7280}"
        "body.ok{--accent:#1a7f45}"
        "body.fail{--accent:#b3261e}"
        "@media (prefers-color-scheme:dark){:root{--bg:#15181e;--fg:#e8eaef;"
        "--muted:#a9b0bd;--card:#1f232b;--line:#343a46}"
        "body.ok{--accent:#4cc27f}body.fail{--accent:#ff8a80}}"
        "*{box-sizing:border-box}"
        "html{font-size:clamp(16px,0.9rem + 0.35vw,21px)}"
        "body{margin:0;min-height:100vh;display:flex;align-items:center;"
        "justify-content:center;background:var(--bg);color:var(--fg);"
        "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;"
        "line-height:1.5;padding:1rem}"
        "main{width:100%;max-width:40rem;background:var(--card);"
        "border:1px solid var(--line);border-top:0.4rem solid var(--accent);"
        "border-radius:0.6rem;padding:1.5rem 1.75rem}"
        "h1{font-size:1.45rem;line-height:1.25;margin:0 0 0.6rem;color:var(--accent)}"
        "section+section{border-top:1px solid var(--line);margin-top:1.25rem;padding-top:1.25rem}"
        "p{margin:0.5rem 0}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:0.25rem 1rem;margin:0.9rem 0}"
        "dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere;font-weight:600}"
        "code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:0.95em;"
        "background:var(--bg);border:1px solid var(--line);border-radius:0.3rem;"
        "padding:0.05rem 0.35rem;overflow-wrap:anywhere}"
        "footer{margin-top:1.25rem;font-size:0.8rem;color:var(--muted)}";

typedef enum lang {
        LANG_IT,
        LANG_EN,
        _LANG_MAX,
} lang;

typedef struct page_text {
        const char *title;
        const char *what;       /* what happened */
        const char *todo;       /* what to do next */
} page_text;

typedef struct page {
        bool success;
        bool login_hint;        /* show "tessera login ACCOUNT" */
        bool show_identity;     /* account, user, clinic */
        bool show_idp_error;
        page_text text[_LANG_MAX];
} page;

static const page pages[_LANDING_KIND_MAX] = {
        [LANDING_SUCCESS] = {
                .success = true,
                .show_identity = true,
                .text[LANG_IT] = {
                        "Accesso completato",
                        "L'accesso è riuscito: tessera custodisce ora le credenziali di questo account.",
                        "Puoi chiudere questa finestra e tornare all'applicazione.",
                },
                .text[LANG_EN] = {
                        "Login complete",
                        "You are signed in: tessera now keeps the credentials of this account.",
                        "You can close this window and return to the application.",
                },
        },
        [LANDING_ACCESS_DENIED] = {
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso negato",
                        "L'autorizzazione è stata rifiutata nella pagina di accesso: nessuna credenziale è stata salvata.",
                        "Se è stato un errore, ripeti l'accesso e conferma l'autorizzazione richiesta dall'applicazione.",
                },
                .text[LANG_EN] = {
                        "Access denied",
                        "The authorization was declined on the sign-in page: no credentials were stored.",
                        "If this was a mistake, sign in again and approve the access the application asks for.",
                },
        },
        [LANDING_EXPIRED] = {
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso scaduto",
                        "È passato troppo tempo dall'avvio dell'accesso e la richiesta non è più valida.",
                        "Avvia di nuovo l'accesso e completalo entro pochi minuti.",
                },
                .text[LANG_EN] = {
                        "Login expired",
                        "Too much time passed since the login was started, and the request is no longer valid.",
                        "Start the login again and complete it within a few minutes.",
                },
        },
        [LANDING_BAD_STATE] = {
                .login_hint = true,
                .text[LANG_IT] = {
                        "Collegamento non valido",
                        "Questa pagina è stata aperta da un collegamento vecchio o non riconosciuto, che non corrisponde "
                        "all'accesso in corso. Per sicurezza è stato ignorato.",
                        "Avvia di nuovo l'accesso dall'applicazione o con il comando qui sotto.",
                },
                .text[LANG_EN] = {
                        "Invalid link",
                        "This page was opened from an old or unrecognised link that does not match the login in "
                        "progress. For your safety it was ignored.",
                        "Start the login again from the application or with the command below.",
                },
        },
        [LANDING_IDP_ERROR] = {
                .login_hint = true,
                .show_idp_error = true,
                .text[LANG_IT] = {
                        "Errore del server di accesso",
                        "Il server di accesso ha risposto con un errore e l'accesso non è stato completato.",
                        "Riprova tra qualche minuto. Se il problema continua, comunica all'amministratore il codice "
                        "di errore riportato qui.",
                },
                .text[LANG_EN] = {
                        "Sign-in server error",
                        "The sign-in server answered with an error and the login was not completed.",
                        "Try again in a few minutes. If it keeps happening, give your administrator the error code "
                        "shown here.",
                },
        },
        [LANDING_TENANT_NOT_ALLOWED] = {
                .login_hint = true,
                .show_identity = true,
                .text[LANG_IT] = {
                        "Studio non autorizzato",
                        "L'accesso è riuscito, ma questo studio non è autorizzato a usare questa applicazione: "
                        "le credenziali sono state scartate.",
                        "Contatta l'amministratore. Se lavori per più studi, ripeti l'accesso scegliendo quello corretto.",
                },
                .text[LANG_EN] = {
                        "Clinic not allowed",
                        "You signed in, but this clinic is not allowed to use this application: the credentials "
                        "were discarded.",
                        "Contact your administrator. If you work for several clinics, sign in again choosing the "
                        "right one.",
                },
        },
        [LANDING_EXCHANGE_FAILED] = {
                .login_hint = true,
                .text[LANG_IT] = {
                        "Server di accesso non raggiungibile",
                        "L'autorizzazione è arrivata, ma non è stato possibile ottenere le credenziali dal server di accesso.",
                        "Controlla la connessione a Internet e riprova. Se il problema continua, contatta l'amministratore.",
                },
                .text[LANG_EN] = {
                        "Sign-in server unreachable",
                        "The authorization arrived, but the credentials could not be obtained from the sign-in server.",
                        "Check the Internet connection and try again. If it keeps happening, contact your administrator.",
                },
        },
        [LANDING_GENERIC] = {
                .login_hint = true,
                .text[LANG_IT] = {
                        "Accesso non riuscito",
                        "Un errore imprevisto ha interrotto l'accesso.",
                        "Riprova. Se il problema continua, contatta l'amministratore: i dettagli sono nel registro "
                        "di sistema del servizio tesserad.",
                },
                .text[LANG_EN] = {
                        "Login failed",
                        "An unexpected error stopped the login.",
                        "Try again. If it keeps happening, contact your administrator: the details are in the "
                        "system log of the tesserad service.",
                },
        },
        [LANDING_ALREADY_HANDLED] = {
                .text[LANG_IT] = {
                        "Accesso già gestito",
                        "Questo accesso è già stato completato, oppure è in corso di completamento in un'altra finestra.",
                        "Puoi chiudere questa finestra.",
                },
                .text[LANG_EN] = {
                        "Login already handled",
                        "This login has already been completed, or is being completed in another window.",
                        "You can close this window.",
                },
        },
        [LANDING_NOT_FOUND] = {
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

static const struct {
        const char *lang;
        const char *account, *user, *clinic, *error_code, *error_details, *command;
} labels[_LANG_MAX] = {
        [LANG_IT] = { "it", "Account", "Utente", "Studio", "Codice di errore", "Dettagli", "Per ripetere l'accesso:" },
        [LANG_EN] = { "en", "Account", "User", "Clinic", "Error code", "Details", "To sign in again:" },
};

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

static int put_section(FILE *f, const page *pg, lang l, const landing_info *info) {
        const page_text *t = &pg->text[l];
        int r;

        if (fprintf(f, "<section lang=\"%s\"><h1>%s</h1><p>%s</p>", labels[l].lang, t->title, t->what) < 0)
                return -ENOMEM;

        if (pg->show_identity || pg->show_idp_error || !isempty(info->account)) {
                bool any = !isempty(info->account) ||
                        (pg->show_identity && (!isempty(info->user_name) || !isempty(info->tenant_name))) ||
                        (pg->show_idp_error && (!isempty(info->idp_error) || !isempty(info->idp_error_description)));

                if (any) {
                        if (fputs("<dl>", f) == EOF)
                                return -ENOMEM;
                        r = put_item(f, labels[l].account, info->account);
                        if (r >= 0 && pg->show_identity)
                                r = put_item(f, labels[l].user, info->user_name);
                        if (r >= 0 && pg->show_identity)
                                r = put_item(f, labels[l].clinic, info->tenant_name);
                        if (r >= 0 && pg->show_idp_error)
                                r = put_item(f, labels[l].error_code, info->idp_error);
                        if (r >= 0 && pg->show_idp_error)
                                r = put_item(f, labels[l].error_details, info->idp_error_description);
                        if (r < 0)
                                return r;
                        if (fputs("</dl>", f) == EOF)
                                return -ENOMEM;
                }
        }

        if (fprintf(f, "<p>%s</p>", t->todo) < 0)
                return -ENOMEM;

        if (pg->login_hint) {
                if (fprintf(f, "<p>%s <code>tessera login", labels[l].command) < 0)
                        return -ENOMEM;
                if (!isempty(info->account)) {
                        if (fputc(' ', f) == EOF)
                                return -ENOMEM;
                        r = put_escaped(f, info->account);
                        if (r < 0)
                                return r;
                }
                if (fputs("</code></p>", f) == EOF)
                        return -ENOMEM;
        }

        return fputs("</section>", f) == EOF ? -ENOMEM : 0;
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
                    "</head>\n<body class=\"%s\">\n<main>\n",
                    pg->text[LANG_IT].title, pg->text[LANG_EN].title,
                    landing_style_text,
                    pg->success ? "ok" : "fail") < 0)
                return -ENOMEM;

        r = put_section(f, pg, LANG_IT, info);
        if (r < 0)
                return r;
        r = put_section(f, pg, LANG_EN, info);
        if (r < 0)
                return r;

        if (fputs("\n<footer>tessera</footer>\n</main>\n</body>\n</html>\n", f) == EOF)
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
