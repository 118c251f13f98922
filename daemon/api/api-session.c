/* SPDX-License-Identifier: MIT */
#include "api/api-access.h"
#include "api/api-login.h"
#include "api/api-session.h"
#include "core/account-sessions.h"
#include "util/log.h"

/* ?uid=N, or the caller's uid. */
static int target_uid(api_request *r, uid_t *ret) {
        const char *q = api_request_query(r, "uid");
        unsigned long long v;
        char *end = NULL;

        if (!q) {
                *ret = r->peer->uid;
                return 0;
        }
        if (!*q || strlen(q) > 10 || strspn(q, "0123456789") != strlen(q))
                return -EINVAL;
        errno = 0;
        v = strtoull(q, &end, 10);
        if (errno != 0 || *end || v >= (uid_t) -1)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

int api_pick_session(api_request *r, account *parent, api_session_use use, account **ret) {
        const char *name = parent->conf->name;
        bool self;
        account *s;
        uid_t uid;
        int k = 0;

        if (use == API_SESSION_GATEWAY)
                uid = r->peer->uid;
        else if (target_uid(r, &uid) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "uid must be a number of a user") < 0 ? -EIO : 0;
        self = uid == r->peer->uid;
        if (!self) {
                bool allowed = r->peer->uid == 0 ||
                        (use == API_SESSION_LOGOUT && api_may_administer(r->manager, r->peer));

                if (!allowed)
                        return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                                       "uid %u may not act on the session of uid %u in account %s; "
                                                       "only root may name another user (admins: to log them out)",
                                                       (unsigned) r->peer->uid, (unsigned) uid, name) < 0 ? -EIO : 0;
                if (uid != 0 && !api_uid_may_use_account(parent->conf, uid))
                        return api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                                       "uid %u is not in users= of account %s", (unsigned) uid,
                                                       name) < 0 ? -EIO : 0;
                log_info("account %s: uid %u acts on the session of uid %u (%s)", name, (unsigned) r->peer->uid,
                         (unsigned) uid, r->path);
        }

        s = account_session_find(parent, uid);
        if (!s && use == API_SESSION_LOGIN_START) {
                k = account_session_add(parent, uid, &s);
                if (k < 0)
                        return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "internal_error",
                                                       "cannot make a session for uid %u in account %s: %s",
                                                       (unsigned) uid, name, strerror(-k)) < 0 ? -EIO : 0;
        }
        if (s) {
                *ret = s;
                return 1;
        }

        switch (use) {
        case API_SESSION_LOGIN_WAIT:
                k = api_reply_login_state(r, NULL);
                break;
        case API_SESSION_LOGOUT:
                k = api_reply_logout(r, true, "there was no session");
                break;
        case API_SESSION_TOKEN:
        case API_SESSION_GATEWAY:
        case API_SESSION_NONE:
        case API_SESSION_LOGIN_START:
        case _API_SESSION_USE_MAX:
                if (self)
                        k = api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                                    "you are not logged in to account %s; run: tessera login %s",
                                                    name, name);
                else
                        k = api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                                    "uid %u is not logged in to account %s", (unsigned) uid, name);
                break;
        }
        return k < 0 ? k : 0;
}
