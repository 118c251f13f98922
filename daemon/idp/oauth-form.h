/* SPDX-License-Identifier: MIT */
#pragma once

/* OAuth request bodies and client authentication (RFC 6749 §2.3.1,
 * Appendix B): pure builders, everything in secret memory. */

#include <stddef.h>

#include "conf/conf.h"
#include "util/growbuf.h"
#include "util/util.h"

/* An application/x-www-form-urlencoded body in secret memory. Zero is an
 * empty form. */
typedef struct oauth_form {
        growbuf buf;                    /* .data NUL-terminated, NULL while empty; .len */
} oauth_form;

/* Appends "name=value" (both encoded per RFC 6749 Appendix B: RFC 3986
 * unreserved characters kept, space as '+', every other byte %XX). */
int oauth_form_add(oauth_form *f, const char *name, const char *value);
void oauth_form_done(oauth_form *f);

/* The encoding alone, into secret memory. */
int oauth_form_urlencode(const char *s, char **ret);

/* client_secret_basic credentials (RFC 6749 §2.3.1): base64(urlencode(id)
 * ":" urlencode(secret)), in secret memory, for http_request's
 * basic_credentials. */
int oauth_basic_credentials(const char *client_id, const char *client_secret, char **ret);

/* Adds the account's client authentication: for "post" (or when there is
 * no secret) client_id and client_secret form fields, for "basic" sets
 * *ret_basic (secret memory, caller frees) and leaves the form alone. */
int oauth_client_auth(const conf_account *a, oauth_form *form, char **ret_basic);
