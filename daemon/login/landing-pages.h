/* SPDX-License-Identifier: MIT */
#pragma once

/* What each landing page says and how it looks: the one style block, the
 * tones (accent colour and icon) and the Italian and English texts. Data
 * only; landing.c puts a page together from it. */

#include <stdbool.h>

#include "login/landing-kind.h"

/* How a page looks: the accent colour and the icon. */
typedef enum landing_tone {
        LANDING_TONE_OK,        /* done */
        LANDING_TONE_INFO,      /* nothing went wrong, nothing to do */
        LANDING_TONE_WARN,      /* stopped by the user or by time: just start again */
        LANDING_TONE_FAIL,      /* something broke or was refused */
        _LANDING_TONE_MAX,
} landing_tone;

typedef enum landing_lang {
        LANDING_LANG_IT,
        LANDING_LANG_EN,
        _LANDING_LANG_MAX,
} landing_lang;

typedef struct landing_text {
        const char *title;
        const char *what;       /* what happened */
        const char *todo;       /* what to do next */
} landing_text;

typedef struct landing_page {
        landing_tone tone;
        bool login_hint;        /* show "tessera login ACCOUNT" for the IT staff */
        bool show_identity;     /* user and clinic */
        bool show_idp_error;
        landing_text text[_LANDING_LANG_MAX];
} landing_page;

/* The contents of every page's <style>. Its sha256 goes into the CSP, so
 * any change here changes the header with it. */
extern const char landing_style_text[];

/* NULL for an unknown kind. */
const landing_page *landing_page_get(landing_kind kind);

/* The body class that selects the tone's accent colour: "ok", "info"... */
const char *landing_tone_to_string(landing_tone t);
/* The tone's inline SVG icon. */
const char *landing_tone_icon(landing_tone t);
/* The lang= attribute value: "it", "en". */
const char *landing_lang_to_string(landing_lang l);
