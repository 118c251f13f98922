/* SPDX-License-Identifier: MIT */
#include <grp.h>
#include <pwd.h>

#include "api/api-access.h"
#include "core/account-sessions.h"

bool api_may_use_account(const manager *m, const conf_account *c, const peer *p) {
        return principal_list_match(&c->users, p->uid, p->gid, p->groups, p->n_groups);
}

bool api_may_administer(const manager *m, const peer *p) {
        return principal_list_match(&m->conf->admins, p->uid, p->gid, p->groups, p->n_groups);
}

bool api_may_read_metrics(const manager *m, const peer *p) {
        return api_may_administer(m, p) ||
                principal_list_match(&m->conf->metrics_users, p->uid, p->gid, p->groups, p->n_groups);
}

bool api_uid_may_use_account(const conf_account *c, uid_t uid) {
        _cleanup_(freep) gid_t *groups = NULL;
        struct passwd pw, *res = NULL;
        char buf[4096];
        int n = 64;

        if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res)
                /* No entry: only the uid itself can match. */
                return principal_list_match(&c->users, uid, (gid_t) -1, NULL, 0);

        for (unsigned tries = 0; tries < 4; tries++) {
                gid_t *g = reallocarray(groups, (size_t) n, sizeof *g);
                int want = n;

                if (!g)
                        return false;
                groups = g;
                if (getgrouplist(res->pw_name, res->pw_gid, groups, &want) >= 0)
                        return principal_list_match(&c->users, uid, res->pw_gid, groups, (size_t) want);
                if (want <= n || want > (int) PEER_GROUPS_MAX)
                        return false;
                n = want;
        }
        return false;
}

int api_check_permission(api_request *r, const account *a, api_permission p) {
        int k;

        switch (p) {
        case API_ALLOW_ANYONE:
                return 1;
        case API_ALLOW_USERS:
                if (api_may_use_account(r->manager, a->conf, r->peer))
                        return 1;
                k = api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                            "uid %u may not use account %s; an administrator can add it to users= in the [account %s] section",
                                            (unsigned) r->peer->uid, a->conf->name, a->conf->name);
                return k < 0 ? k : 0;
        case API_ALLOW_SELF:
                /* Everyone logs in and out their own session of a per-user
                 * account (api-routes.c picks the caller's); admins may
                 * also end another's. Shared accounts: admins only. */
                if (!account_is_per_user(a) || api_may_administer(r->manager, r->peer))
                        return api_check_permission(r, a, API_ALLOW_ADMINS);
                return api_check_permission(r, a, API_ALLOW_USERS);
        case API_ALLOW_ADMINS:
                if (api_may_administer(r->manager, r->peer))
                        return 1;
                k = api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                            "uid %u may not log account %s in or out; only the admins= of tesserad may",
                                            (unsigned) r->peer->uid, a->conf->name);
                return k < 0 ? k : 0;
        case API_ALLOW_METRICS:
                if (api_may_read_metrics(r->manager, r->peer))
                        return 1;
                k = api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                            "uid %u may not read the metrics; an administrator can add it to metrics_users= in the [daemon] section",
                                            (unsigned) r->peer->uid);
                return k < 0 ? k : 0;
        case _API_PERMISSION_MAX:
                break;
        }
        return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "unknown permission");
}
