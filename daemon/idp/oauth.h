/* SPDX-License-Identifier: MIT */
#pragma once

/* OAuth 2.0 client side (RFC 6749, 7636, 8628, 7009) plus GipoNext's
 * userinfo, for the layers above: errors, request building, response
 * parsing and the asynchronous operations. Library-style: never logs.
 * Every token, code, verifier and client secret handled here lives in
 * secret memory (secret.h); strings taken from a parsed JSON tree are
 * wiped inside json-c before it is released. The parts include only each
 * other's headers below them, never this one. */

#include "idp/oauth-error.h"
#include "idp/oauth-form.h"
#include "idp/oauth-ops.h"
#include "idp/oauth-parse.h"
