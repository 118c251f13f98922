/* SPDX-License-Identifier: MIT */
#pragma once

/* What a callback to the redirect listener says, decided without any I/O:
 * its query parameters checked one by one (limits, duplicates, the
 * character sets of RFC 6749 appendix A), the outcome they add up to, and
 * the landing page each outcome earns. The listener (redirect.h) feeds it
 * the parameters libmicrohttpd has decoded. */

#include <stdbool.h>
#include <stddef.h>

#include "login/landing.h"
#include "util/util.h"

/* Parameter limits, far above what real IdPs send. */
#define REDIRECT_CODE_MAX 4096
#define REDIRECT_STATE_MAX 256
#define REDIRECT_ISS_MAX 2048
#define REDIRECT_ERROR_MAX 128
#define REDIRECT_ERROR_DESCRIPTION_MAX 1024

typedef enum redirect_outcome {
        REDIRECT_CODE,          /* state ok, code= present */
        REDIRECT_ERROR,         /* state ok, error= from the IdP (see res->error) */
        REDIRECT_BAD_STATE,     /* state missing or wrong: never awaiting a response */
        REDIRECT_BAD_ISSUER,    /* state ok, iss= present and not the expected issuer */
        REDIRECT_MALFORMED,     /* awaiting_response tells whether the state was verified */
        REDIRECT_EXPIRED,       /* state ok after redirect_listener_expire(): a report, never awaiting */
        _REDIRECT_OUTCOME_MAX,
        _REDIRECT_OUTCOME_INVALID = -EINVAL,
} redirect_outcome;

/* The known parameters of one callback. The values point into the
 * request's decoded query (not copied, not NUL-checked beyond their
 * length): valid while the request is. */
typedef struct redirect_params {
        const char *code;               /* secret: never log it */
        const char *state;
        const char *iss;
        const char *error;
        const char *error_description;
        bool malformed;                 /* a parameter broke a rule: the rest are not trustworthy */
} redirect_params;

/* Takes one decoded query parameter (value NULL: "key" without "="). 0 when
 * it is stored or is not one we know (session_state, scope, ... are
 * ignored); -EBADMSG when it is repeated, empty, too long, or has a
 * character its grammar does not allow: p->malformed is then set and the
 * caller should stop feeding parameters. */
int redirect_params_add(redirect_params *p, const char *key, size_t key_size, const char *value, size_t value_size);

/* The outcome of a callback with these parameters. *ret_verified tells
 * whether its state matched expected_state (compared in constant time);
 * always set. expected_issuer NULL: iss= is not checked; otherwise an iss=
 * that is present must equal it (RFC 9207). */
redirect_outcome redirect_params_classify(
                const redirect_params *p,
                const char *expected_state,
                const char *expected_issuer,
                bool *ret_verified);

/* The landing page for a callback that ended with outcome o: the one
 * place that maps outcomes to pages, for the listener's own answers and
 * for the owner's. state_verified matters for REDIRECT_MALFORMED only (a
 * malformed request that did not prove its state is an invalid link, not a
 * failed login). idp_error: the error= value, for REDIRECT_ERROR. */
landing_kind redirect_outcome_landing(redirect_outcome o, bool state_verified, const char *idp_error);

const char *redirect_outcome_to_string(redirect_outcome o);
