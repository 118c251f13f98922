/* SPDX-License-Identifier: MIT */
#pragma once

/* The audit entries about an account's session (peer/audit.h), told from
 * the account: its name, whose session, the GipoNext user. */

#include <stdbool.h>

#include "core/account.h"
#include "peer/peer.h"

/* Told by the manager's state hook of every change. */
void account_audit_state_changed(const account *a, account_state old);

/* flow: "code" or "device". ok: user and tenant say who logged in, else
 * code and message say why not. */
void account_audit_login(const account *a, const char *flow, bool ok, const char *user, const char *tenant,
                         const char *code, const char *message);

void account_audit_logout(const account *a, const peer *by);

/* The person's last desktop session ended (sessions = per-user). */
void account_audit_session_ended(const account *a);
