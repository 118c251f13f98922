/* SPDX-License-Identifier: MIT */
#include "api/api-access.h"

bool api_may_use_account(const manager *m, const conf_account *c, const peer *p) {
        return principal_list_match(&c->users, p->uid, p->gid, p->groups, p->n_groups);
}

bool api_may_administer(const manager *m, const peer *p) {
        return principal_list_match(&m->conf->admins, p->uid, p->gid, p->groups, p->n_groups);
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
        case API_ALLOW_ADMINS:
                if (api_may_administer(r->manager, r->peer))
                        return 1;
                k = api_request_reply_error(r, MHD_HTTP_FORBIDDEN, "forbidden",
                                            "uid %u may not log account %s in or out; only the admins= of tesserad may",
                                            (unsigned) r->peer->uid, a->conf->name);
                return k < 0 ? k : 0;
        case _API_PERMISSION_MAX:
                break;
        }
        return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "unknown permission");
}
