/* SPDX-License-Identifier: MIT */
#pragma once

/* One caller's request on its way to the API and back, and the account's
 * gateway state that its calls share. A call lives while the request
 * does, and while MHD still streams its answer (refs). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/account.h"
#include "core/refresh.h"
#include "gateway/gateway-error.h"
#include "gateway/gateway-queue.h"
#include "http/api-request.h"
#include "idp/upstream.h"
#include "util/list.h"

typedef enum gateway_call_phase {
        CALL_QUEUED,
        CALL_TOKEN,             /* waiting for a refresh */
        CALL_UPSTREAM,          /* request sent, headers not yet back */
        CALL_STREAMING,         /* answer queued, body flowing */
        CALL_DONE,
        _CALL_PHASE_MAX,
} gateway_call_phase;

typedef struct gateway_call gateway_call;

/* One per configured account: a per-user account's sessions share its
 * queue and its 429 pause, as GipoNext counts per client_id. */
struct gateway_account {
        account *account;
        gateway_queue queue;
        LIST_HEAD(gateway_call, calls);         /* every live call of the account */
};

struct gateway_call {
        gateway_account *gw;            /* NULL once the account is gone */
        account *account;               /* whose token: the account, or one person's session of it */
        api_request *request;           /* NULL once MHD is done with it */
        gateway_fail_fn fail;           /* answers our errors (api/) */
        unsigned refs;                  /* the request, and the response while MHD holds it */
        gateway_call_phase phase;
        gateway_queue_entry entry;
        char *method;
        char *url;
        char *audit_path;               /* upstream path without the query */
        char *body;
        size_t body_len;
        char **headers;
        unsigned attempt;
        uint64_t arrived;               /* CLOCK_MONOTONIC */
        bool audited;
        refresh_waiter *refresh;
        upstream *up;
        char *token_used;               /* secret: tells a refreshed token from the refused one */
        long status;
        pid_t pid;
        uid_t uid;
        gid_t gid;
        char *exe, *unit, *os_user;
        LIST_FIELDS(gateway_call, calls);
};

static inline gateway_call *gateway_call_of_entry(gateway_queue_entry *e) {
        return (gateway_call *) ((char *) e - offsetof(gateway_call, entry));
}

/* The call of r (who is calling, from r->peer), in gw's list, one ref. */
int gateway_call_new(gateway_account *gw, api_request *r, gateway_fail_fn fail, gateway_call **ret);
void gateway_call_unref(gateway_call *c);

/* Stops everything that works for the call (queue, refresh, transfer,
 * slot); the call itself lives on while MHD holds references. */
void gateway_call_stop(gateway_call *c);

/* The audit line, once. status 0: no answer reached the caller. */
void gateway_call_audit(gateway_call *c, long status);

/* Ends the call with e, answered through the fail callback (while the
 * request is there), audited. */
void gateway_call_fail(gateway_call *c, const gateway_error *e);
void gateway_call_fail_kind(gateway_call *c, gateway_error_kind kind, const char *detail);

/* Back in line, first when front. */
void gateway_call_queue(gateway_call *c, bool front);
void gateway_call_release_slot(gateway_call *c);
