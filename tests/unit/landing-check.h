/* SPDX-License-Identifier: MIT */
#pragma once

/* The landing page tests' helpers: sample values, string searches, and
 * render(), which checks the shape every page must have. */

#include <stdbool.h>
#include <stddef.h>

#include "login/landing.h"

/* File names of the pages ("success", "access-denied", ...). */
extern const char *const kind_name[_LANDING_KIND_MAX];
/* Values for every field a page may show. */
extern const landing_info sample;

bool contains(const char *hay, const char *needle);
size_t count(const char *hay, const char *needle);
/* a appears, b appears, and a comes first. */
bool before(const char *hay, const char *a, const char *b);
/* The text between the first "<tag" ... ">" and "</tag>" after start. */
char *element_text(const char *html, const char *open, const char *close);
/* Renders the page and checks its shape; the caller frees it. */
char *render(landing_kind kind, const landing_info *info);
