/* SPDX-License-Identifier: MIT */
#include "core/account-audit.h"
#include "peer/audit.h"
#include "util/log.h"

static audit_session session_of(const account *a) {
        return (audit_session) {
                .account = a->conf->name,
                .store_key = a->store_key,
                .uid = a->parent ? a->uid : (uid_t) -1,
                .os_user = a->parent ? a->os_user : NULL,
                .sub = a->session ? a->session->sub : NULL,
        };
}

void account_audit_state_changed(const account *a, account_state old) {
        /* valid -> refreshing -> valid comes once per token lifetime: routine.
         * Whatever leaves the pair (degraded, needs_login, a login, a
         * logout) is worth an administrator's eye. */
        bool routine = (old == ACCOUNT_VALID && a->state == ACCOUNT_REFRESHING) ||
                       (old == ACCOUNT_REFRESHING && a->state == ACCOUNT_VALID);
        audit_session s = session_of(a);

        audit_state_changed(&s, account_state_to_string(old), account_state_to_string(a->state),
                            routine ? LOG_DEBUG : LOG_INFO);
}

void account_audit_login(const account *a, const char *flow, bool ok, const char *user, const char *tenant,
                         const char *code, const char *message) {
        audit_session s = session_of(a);

        audit_login(&s, flow, ok, user, tenant, code, message);
}

void account_audit_logout(const account *a, const peer *by) {
        audit_session s = session_of(a);

        audit_logout(&s, by);
}

void account_audit_session_ended(const account *a) {
        audit_session s = session_of(a);

        audit_session_ended(&s);
}
