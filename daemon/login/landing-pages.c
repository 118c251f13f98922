/* SPDX-License-Identifier: MIT */
#include "login/landing-pages.h"
#include "util/string-table.h"

/* The one style block of every page. Its sha256 goes into the CSP, so any
 * change here changes the header with it; no style= attributes anywhere,
 * since a hash source does not cover them. The accent colour is the only
 * thing that differs between pages, chosen by the body's class. Colours
 * keep a contrast of 4.5:1 or more against the card, light and dark. */
const char landing_style_text[] =
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

static const char *const landing_tone_table[_LANDING_TONE_MAX] = {
        [LANDING_TONE_OK] = "ok",
        [LANDING_TONE_INFO] = "info",
        [LANDING_TONE_WARN] = "warn",
        [LANDING_TONE_FAIL] = "fail",
};

/* Inline SVG: markup, not a fetched resource, so the CSP needs no img-src
 * for it. Drawn in the accent colour with the glyph cut out in the card's. */
#define ICON_OPEN \
        "<svg class=\"icon\" viewBox=\"0 0 48 48\" width=\"48\" height=\"48\" aria-hidden=\"true\" focusable=\"false\">" \
        "<circle cx=\"24\" cy=\"24\" r=\"24\" fill=\"currentColor\"/>"
static const char *const tone_icon[_LANDING_TONE_MAX] = {
        [LANDING_TONE_OK] = ICON_OPEN "<path class=\"glyph\" d=\"M14 24.5l6.5 6.5L34 17.5\"/></svg>",
        [LANDING_TONE_INFO] = ICON_OPEN "<circle class=\"dot\" cx=\"24\" cy=\"14.5\" r=\"3\"/>"
                "<path class=\"glyph\" d=\"M24 22v13\"/></svg>",
        [LANDING_TONE_WARN] = ICON_OPEN "<path class=\"glyph\" d=\"M24 13v13\"/>"
                "<circle class=\"dot\" cx=\"24\" cy=\"34\" r=\"3\"/></svg>",
        [LANDING_TONE_FAIL] = ICON_OPEN "<path class=\"glyph\" d=\"M17 17l14 14M31 17L17 31\"/></svg>",
};

static const char *const landing_lang_table[_LANDING_LANG_MAX] = {
        [LANDING_LANG_IT] = "it",
        [LANDING_LANG_EN] = "en",
};

/* Written for the person at the desk: what happened and what to do, no
 * protocol words. The command line is left to the small print. */
static const landing_page pages[_LANDING_KIND_MAX] = {
        [LANDING_SUCCESS] = {
                .tone = LANDING_TONE_OK,
                .show_identity = true,
                .text[LANDING_LANG_IT] = {
                        "Accesso completato",
                        "L'accesso è riuscito. Da ora tessera lo mantiene attivo su questo computer.",
                        "Puoi chiudere questa finestra e tornare all'applicazione.",
                },
                .text[LANDING_LANG_EN] = {
                        "Login complete",
                        "You are signed in. From now on tessera keeps the sign-in active on this computer.",
                        "You can close this window and return to the application.",
                },
        },
        [LANDING_ACCESS_DENIED] = {
                .tone = LANDING_TONE_WARN,
                .login_hint = true,
                .text[LANDING_LANG_IT] = {
                        "Accesso negato",
                        "Nella pagina di accesso l'autorizzazione è stata rifiutata, quindi l'accesso non è "
                        "avvenuto. Non è stato salvato nulla.",
                        "Se è stato un errore, ripeti l'accesso e, quando ti viene chiesto, conferma l'autorizzazione.",
                },
                .text[LANDING_LANG_EN] = {
                        "Access denied",
                        "The authorization was declined on the sign-in page, so you are not signed in. "
                        "Nothing was stored.",
                        "If this was a mistake, sign in again and approve the request when you are asked.",
                },
        },
        [LANDING_EXPIRED] = {
                .tone = LANDING_TONE_WARN,
                .login_hint = true,
                .text[LANDING_LANG_IT] = {
                        "Accesso scaduto",
                        "L'accesso non è stato completato in tempo e la richiesta non è più valida. "
                        "Non è stato salvato nulla.",
                        "Ripeti l'accesso dall'inizio, dall'applicazione o con il comando qui sotto, e "
                        "completalo senza lunghe pause. Se non sai come fare, chiedi all'amministratore.",
                },
                .text[LANDING_LANG_EN] = {
                        "Login expired",
                        "The login was not completed in time and the request is no longer valid. "
                        "Nothing was stored.",
                        "Start the login again, from the application or with the command below, and "
                        "complete it without long pauses. If you are not sure how, ask your administrator.",
                },
        },
        [LANDING_BAD_STATE] = {
                .tone = LANDING_TONE_WARN,
                .login_hint = true,
                .text[LANDING_LANG_IT] = {
                        "Collegamento non valido",
                        "Questa pagina è stata aperta da un collegamento vecchio, o che non corrisponde "
                        "all'accesso in corso. Per sicurezza è stato ignorato.",
                        "Se stai facendo l'accesso, continua nella finestra aperta per ultima, "
                        "oppure ripeti l'accesso dall'inizio.",
                },
                .text[LANDING_LANG_EN] = {
                        "Invalid link",
                        "This page was opened from an old link, or one that does not match the login in "
                        "progress. For your safety it was ignored.",
                        "If you are signing in, carry on in the most recently opened window, "
                        "or start the login again.",
                },
        },
        [LANDING_IDP_ERROR] = {
                .tone = LANDING_TONE_FAIL,
                .login_hint = true,
                .show_idp_error = true,
                .text[LANDING_LANG_IT] = {
                        "Errore del server di accesso",
                        "Il server di accesso ha segnalato un problema e l'accesso non è stato completato. "
                        "Non è stato salvato nulla.",
                        "Riprova tra qualche minuto. Se succede ancora, comunica all'assistenza il codice "
                        "di errore riportato in questa pagina.",
                },
                .text[LANDING_LANG_EN] = {
                        "Sign-in server error",
                        "The sign-in server reported a problem and the login was not completed. "
                        "Nothing was stored.",
                        "Try again in a few minutes. If it happens again, give your support contact the error "
                        "code shown on this page.",
                },
        },
        [LANDING_TENANT_NOT_ALLOWED] = {
                .tone = LANDING_TONE_FAIL,
                .login_hint = true,
                .show_identity = true,
                .text[LANDING_LANG_IT] = {
                        "Studio non autorizzato",
                        "Hai effettuato l'accesso, ma questo studio non è abilitato su questo computer. "
                        "Per sicurezza l'accesso è stato annullato e non è stato salvato nulla.",
                        "Ripeti l'accesso con un utente di uno studio abilitato, oppure chiedi "
                        "all'amministratore di abilitare questo studio.",
                },
                .text[LANDING_LANG_EN] = {
                        "Clinic not allowed",
                        "You signed in, but this clinic is not enabled on this computer. For your safety the "
                        "sign-in was cancelled and nothing was stored.",
                        "Sign in again with a user of an enabled clinic, or ask your administrator to enable "
                        "this clinic.",
                },
        },
        [LANDING_EXCHANGE_FAILED] = {
                .tone = LANDING_TONE_FAIL,
                .login_hint = true,
                .show_idp_error = true,
                .text[LANDING_LANG_IT] = {
                        "Server di accesso non raggiungibile",
                        "L'autorizzazione è arrivata, ma questo computer non è riuscito a completare l'accesso "
                        "con il server. Non è stato salvato nulla.",
                        "Controlla la connessione a Internet e ripeti l'accesso. Se succede ancora, "
                        "contatta l'assistenza.",
                },
                .text[LANDING_LANG_EN] = {
                        "Sign-in server unreachable",
                        "The authorization arrived, but this computer could not complete the sign-in with "
                        "the server. Nothing was stored.",
                        "Check the Internet connection and sign in again. If it happens again, contact "
                        "your support.",
                },
        },
        [LANDING_GENERIC] = {
                .tone = LANDING_TONE_FAIL,
                .login_hint = true,
                .text[LANDING_LANG_IT] = {
                        "Accesso non riuscito",
                        "Un errore imprevisto ha interrotto l'accesso.",
                        "Riprova. Se succede ancora, contatta l'assistenza: i dettagli sono nel registro "
                        "di sistema del servizio tesserad.",
                },
                .text[LANDING_LANG_EN] = {
                        "Login failed",
                        "An unexpected error stopped the login.",
                        "Try again. If it happens again, contact your support: the details are in the "
                        "system log of the tesserad service.",
                },
        },
        [LANDING_ALREADY_HANDLED] = {
                .tone = LANDING_TONE_INFO,
                .text[LANDING_LANG_IT] = {
                        "Accesso già gestito",
                        "Questo accesso è già stato completato, oppure si sta completando in un'altra finestra.",
                        "Controlla l'altra finestra; questa puoi chiuderla.",
                },
                .text[LANDING_LANG_EN] = {
                        "Login already handled",
                        "This login has already been completed, or is being completed in another window.",
                        "Check the other window; you can close this one.",
                },
        },
        [LANDING_NOT_FOUND] = {
                .tone = LANDING_TONE_INFO,
                .text[LANDING_LANG_IT] = {
                        "Pagina non trovata",
                        "Questo indirizzo serve solo a completare un accesso di tessera.",
                        "Puoi chiudere questa finestra.",
                },
                .text[LANDING_LANG_EN] = {
                        "Page not found",
                        "This address only serves to complete a tessera login.",
                        "You can close this window.",
                },
        },
};

const landing_page *landing_page_get(landing_kind kind) {
        if (kind < 0 || kind >= _LANDING_KIND_MAX)
                return NULL;
        return &pages[kind];
}

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(landing_tone, landing_tone);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(landing_lang, landing_lang);

const char *landing_tone_icon(landing_tone t) {
        if ((size_t) t >= ELEMENTSOF(tone_icon))
                return NULL;
        return tone_icon[t];
}
