/* SPDX-License-Identifier: MIT */
#pragma once

/* Checks shared by the OAuth response harnesses. */

#include "fuzz.h"
#include "idp/oauth.h"

static inline bool fuzz_in_range(const char *s, unsigned char lo, unsigned char hi) {
        for (; *s; s++)
                if ((unsigned char) *s < lo || (unsigned char) *s > hi)
                        return false;
        return true;
}

/* A failure carries its classification, the response's status, and a
 * printable description; its code, when set, is an RFC 6749 error code. */
static inline void fuzz_check_error(int r, const oauth_error *e, const http_response *resp) {
        FUZZ_CHECK(r == -EACCES || r == -EBUSY || r == -EIO || r == -EBADMSG,
                   "unexpected error %d", r);
        FUZZ_CHECK(e->error == r, "oauth_error.error %d, returned %d", e->error, r);
        FUZZ_CHECK(e->http_status == resp->status, "oauth_error.http_status not the response's");
        FUZZ_CHECK(e->has_retry_after == resp->has_retry_after, "Retry-After lost");
        FUZZ_CHECK(e->description, "no description");
        /* Descriptions go to the journal: no control bytes from the peer. */
        for (const char *p = e->description; *p; p++)
                FUZZ_CHECK((unsigned char) *p >= 0x20 && (unsigned char) *p != 0x7f,
                           "control byte 0x%02x in the description", (unsigned char) *p);
        if (e->code) {
                FUZZ_CHECK(r == -EACCES, "OAuth code with error %d", r);
                FUZZ_CHECK(*e->code && strlen(e->code) <= OAUTH_ERROR_CODE_MAX, "bad code length");
                /* NQSCHAR: %x20-21 / %x23-5B / %x5D-7E */
                for (const char *p = e->code; *p; p++)
                        FUZZ_CHECK((unsigned char) *p >= 0x20 && (unsigned char) *p <= 0x7e &&
                                   *p != '"' && *p != '\\', "code outside NQSCHAR");
        }
        (void) oauth_error_code_from_string(e->code);
        (void) oauth_error_is_transient(e);
}
