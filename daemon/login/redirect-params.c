/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "login/redirect-params.h"
#include "util/secret.h"
#include "util/string-table.h"

static const char *const redirect_outcome_table[_REDIRECT_OUTCOME_MAX] = {
        [REDIRECT_CODE] = "code",
        [REDIRECT_ERROR] = "error",
        [REDIRECT_BAD_STATE] = "bad-state",
        [REDIRECT_BAD_ISSUER] = "bad-issuer",
        [REDIRECT_MALFORMED] = "malformed",
        [REDIRECT_EXPIRED] = "expired",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(redirect_outcome, redirect_outcome);

typedef enum charset {
        CHARSET_VSCHAR_NOSPACE,         /* %x21-7E: code, state, iss */
        CHARSET_NQSCHAR,                /* RFC 6749 A.7: error */
        CHARSET_NQSCHAR_SPACE,          /* RFC 6749 A.8: error_description */
} charset;

static bool value_in_charset(const char *v, size_t n, charset cs) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) v[i];

                switch (cs) {
                case CHARSET_VSCHAR_NOSPACE:
                        if (c < 0x21 || c > 0x7e)
                                return false;
                        break;
                case CHARSET_NQSCHAR_SPACE:
                        if (c == 0x20)
                                break;
                        __attribute__((fallthrough));
                case CHARSET_NQSCHAR:
                        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
                                return false;
                        break;
                }
        }
        return true;
}

int redirect_params_add(redirect_params *p, const char *key, size_t key_size, const char *value, size_t value_size) {
        static const struct {
                const char *name;
                size_t offset;
                size_t max;
                charset cs;
        } known[] = {
                { "code",              offsetof(redirect_params, code),              REDIRECT_CODE_MAX,              CHARSET_VSCHAR_NOSPACE },
                { "state",             offsetof(redirect_params, state),             REDIRECT_STATE_MAX,             CHARSET_VSCHAR_NOSPACE },
                { "iss",               offsetof(redirect_params, iss),               REDIRECT_ISS_MAX,               CHARSET_VSCHAR_NOSPACE },
                { "error",             offsetof(redirect_params, error),             REDIRECT_ERROR_MAX,             CHARSET_NQSCHAR },
                { "error_description", offsetof(redirect_params, error_description), REDIRECT_ERROR_DESCRIPTION_MAX, CHARSET_NQSCHAR_SPACE },
        };

        if (!p || (!key && key_size > 0))
                return -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                const char **slot;

                if (key_size != strlen(known[i].name) || memcmp(key, known[i].name, key_size) != 0)
                        continue;

                slot = (const char **) ((char *) p + known[i].offset);
                /* A duplicate leaves it ambiguous which value the IdP meant
                 * (RFC 6749 §3.1: parameters must not be repeated). */
                if (*slot ||
                    !value || value_size == 0 || value_size > known[i].max ||
                    memchr(value, '\0', value_size) ||
                    !value_in_charset(value, value_size, known[i].cs)) {
                        p->malformed = true;
                        return -EBADMSG;
                }
                *slot = value;
                return 0;
        }

        /* Extra parameters (session_state, scope, ...) are ignored. */
        return 0;
}

redirect_outcome redirect_params_classify(
                const redirect_params *p,
                const char *expected_state,
                const char *expected_issuer,
                bool *ret_verified) {

        *ret_verified = false;

        if (p->malformed)
                return REDIRECT_MALFORMED;
        if (!p->state || !expected_state || !secret_streq(p->state, expected_state))
                return REDIRECT_BAD_STATE;

        *ret_verified = true;
        if (expected_issuer && p->iss && !streq(p->iss, expected_issuer))
                return REDIRECT_BAD_ISSUER;
        if (!!p->code == !!p->error)
                return REDIRECT_MALFORMED;
        if (p->error)
                return REDIRECT_ERROR;
        return REDIRECT_CODE;
}

landing_kind redirect_outcome_landing(redirect_outcome o, bool state_verified, const char *idp_error) {
        switch (o) {
        case REDIRECT_CODE:
                /* What the code exchange brings may still change this. */
                return LANDING_SUCCESS;
        case REDIRECT_ERROR:
                /* The one error= a person causes on purpose: no fault to report. */
                return streq_ptr(idp_error, "access_denied") ? LANDING_ACCESS_DENIED : LANDING_IDP_ERROR;
        case REDIRECT_BAD_STATE:
                return LANDING_BAD_STATE;
        case REDIRECT_BAD_ISSUER:
                return LANDING_IDP_ERROR;
        case REDIRECT_MALFORMED:
                /* Without a verified state it may be anybody's request: it
                 * must not read like the end of the real login. */
                return state_verified ? LANDING_GENERIC : LANDING_BAD_STATE;
        case REDIRECT_EXPIRED:
                return LANDING_EXPIRED;
        case _REDIRECT_OUTCOME_MAX:
        case _REDIRECT_OUTCOME_INVALID:
                break;
        }
        return LANDING_GENERIC;
}
