/* SPDX-License-Identifier: MIT */
#pragma once

/* The owner of the redirect listener under test: records what its callback
 * saw and answers the held request as told. */

#include "login/landing.h"
#include "login/redirect.h"
#include "redirect-client.h"

typedef enum action {
        ACT_NONE,               /* leave the request waiting */
        ACT_RESPOND_NOW,        /* respond from inside the handler */
        ACT_RESPOND_LATER,      /* respond from a timer, 150 ms later */
        ACT_FREE_NOW,           /* free the listener from inside the handler */
} action;

typedef struct owner {
        sd_event *event;
        redirect_listener *listener;
        action action;
        landing_kind reply_kind;
        job *watch;                     /* the request that must still be held */

        unsigned calls;
        atomic_bool called;
        atomic_bool responded;
        redirect_outcome outcome;
        bool awaiting;
        bool held_until_respond;
        char *code;                     /* secret: compared, never printed */
        char *error;
        char *error_description;
        sd_event_source *timer;
} owner;

/* Forgets the last call and sets what the next one does. */
void owner_reset(owner *o, action a, landing_kind reply_kind);
/* The listener's callback; userdata is an owner. */
void on_redirect(redirect_listener *l, const redirect_result *res, void *userdata);
/* A listener for STATE and issuer (NULL: iss not checked) in o->listener. */
int new_listener(owner *o, const char *issuer);
/* Nothing listens on port any more. */
bool port_refuses(uint16_t port);
/* Finds our own sockets bound to port: the listener's must be 127.0.0.1
 * only, with no IPv6 twin. */
void check_bound_to_loopback(uint16_t port);
