/* SPDX-License-Identifier: MIT */
#pragma once

/* A logged-in session of one account: the tokens and who they belong to.
 * This is what the store keeps encrypted on disk (session-codec.h). Every
 * string is in secret_ memory (secret.h) and wiped on free. */

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

typedef struct session_tenant {
        char *id;
        char *name;                     /* may be NULL */
} session_tenant;

typedef struct session {
        char *access_token;
        char *refresh_token;            /* NULL when the IdP gave none */
        char *scope;                    /* granted, space separated; may be NULL */
        int64_t expires_at;             /* access token expiry, unix seconds (wall clock) */
        int64_t refreshed_at;           /* when the tokens were issued, unix seconds */
        char *sub;
        char *user;                     /* display name; may be NULL */
        char *tenant_id;                /* the selected tenant; may be NULL */
        char *tenant_name;
        session_tenant *tenants;        /* every tenant userinfo listed */
        size_t n_tenants;
        /* A per-user session logged in while its uid had a desktop
         * (logind) session: it ends when that uid's last one does. */
        bool logind_bound;

        /* The audit hash of access_token (audit.h), "" until first needed;
         * not stored. Sessions are replaced, never given a new access
         * token in place, so it cannot go stale. */
        char access_token_audit[17];
} session;

#define SESSION_STRING_MAX (64U * 1024U)
#define SESSION_TENANTS_MAX 256U

session *session_new(void);
session *session_free(session *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(session *, session_free);

/* Deep copy. */
int session_dup(const session *s, session **ret);

/* Replaces *field (a session string) with a secret copy of v (NULL allowed). */
int session_set_string(char **field, const char *v);

int session_add_tenant(session *s, const char *id, const char *name);

/* Appends a tenant made of two strings in secret memory (name may be NULL)
 * already checked against SESSION_STRING_MAX: on success *id and *name
 * belong to s and are set to NULL; on failure the caller keeps them. */
int session_adopt_tenant(session *s, char **id, char **name);
