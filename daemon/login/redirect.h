/* SPDX-License-Identifier: MIT */
#pragma once

/* The loopback redirect listener of the Authorization Code login (RFC 8252
 * §7.3): a small libmicrohttpd daemon on 127.0.0.1 and a kernel-chosen
 * port, driven by the sd-event loop, that accepts one GET /callback.
 *
 * A callback whose `state` matches (constant-time compare) is "accepted":
 * the listener copies its parameters, suspends the browser's request and
 * calls the handler with awaiting_response = true; the owner answers later
 * with redirect_listener_respond() (after the code exchange), which sends
 * the landing page. Only one callback is ever accepted; later ones get the
 * "already handled" page (409) and do not reach the handler.
 *
 * A callback whose state is missing or wrong, or whose parameters are
 * malformed before the state can be checked (duplicates, over-long values,
 * bad characters), is answered at once with the "invalid link" page (400)
 * and reported with awaiting_response = false: it does not end the login,
 * so a stray or forged request cannot spoil the real one.
 *
 * Every other path or method gets 404. Requests whose Host is not
 * 127.0.0.1:PORT get 404 too (no answers to DNS-rebound names).
 *
 * When the login times out, the owner may keep the listener open a while
 * longer after redirect_listener_expire(): a person who finishes signing in
 * late then reads "login expired" (410) instead of "connection refused". A
 * callback with the right state is answered that way at once and its code
 * is dropped, never handed to the owner; a wrong state still gets the
 * "invalid link" page. */

#include <systemd/sd-event.h>

#include "login/landing.h"
#include "login/redirect-params.h"
#include "util/util.h"

typedef struct redirect_listener redirect_listener;

typedef struct redirect_result {
        redirect_outcome outcome;
        /* true: the request is suspended and the owner must answer it with
         * redirect_listener_respond*() (or free the listener). false: the
         * listener has answered already; the result is only a report. */
        bool awaiting_response;
        /* Set only when awaiting_response; they stay valid until the
         * listener is freed. */
        const char *code;               /* REDIRECT_CODE: secret (sodium_malloc'ed), never log it */
        const char *error;              /* REDIRECT_ERROR: e.g. "access_denied" (checked charset) */
        const char *error_description;  /* REDIRECT_ERROR: may be NULL (checked charset) */
} redirect_result;

/* Called from inside libmicrohttpd's request processing. It may call
 * redirect_listener_respond*() right away, and it may call
 * redirect_listener_free(): the teardown is then finished on the next loop
 * iteration (the call returns NULL at once and the listener must not be
 * used again; the waiting browser gets the generic failure page if nothing
 * was responded). */
typedef void (*redirect_handler)(redirect_listener *l, const redirect_result *res, void *userdata);

/* expected_state: the secret state of this login (copied into secret
 * memory). expected_issuer: NULL means iss= is not checked; when set, an iss=
 * that is present must equal it (RFC 9207); an absent iss= is accepted. */
int redirect_listener_new(
                sd_event *e,
                const char *expected_state,
                const char *expected_issuer,
                redirect_handler handler,
                void *userdata,
                redirect_listener **ret);

/* Stops the daemon and closes the port. A suspended browser request is
 * resumed and closed. Safe from inside the handler (see above). NULL-safe. */
redirect_listener *redirect_listener_free(redirect_listener *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(redirect_listener *, redirect_listener_free);

uint16_t redirect_listener_port(const redirect_listener *l);

/* "http://127.0.0.1:PORT/callback", the redirect_uri to register. */
int redirect_listener_uri(const redirect_listener *l, char **ret);

/* Account name shown in the "tessera login ACCOUNT" hint of the pages the
 * listener renders itself. Optional. */
int redirect_listener_set_account(redirect_listener *l, const char *account);

/* Answers the accepted, suspended callback request with html (copied) and
 * http_status (100..599). -ENOTCONN when no request is waiting (none
 * accepted yet, or already answered, or its connection is gone), -EINVAL for
 * bad arguments. */
int redirect_listener_respond(redirect_listener *l, const char *html, unsigned http_status);

/* landing_render(kind, info) + landing_http_status(kind) + respond. */
int redirect_listener_respond_page(redirect_listener *l, landing_kind kind, const landing_info *info);

/* The login this listener serves is over by timeout. From now on every
 * callback with the right state is answered with the LANDING_EXPIRED page
 * and reported as REDIRECT_EXPIRED; its code is never copied or delivered.
 * A request still held (accepted, awaiting a response) gets the same page.
 * Idempotent; -EINVAL for NULL. */
int redirect_listener_expire(redirect_listener *l);
