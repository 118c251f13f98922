/* SPDX-License-Identifier: MIT */
#include <grp.h>
#include <pwd.h>

#include "conf/conf-principals.h"
#include "conf/conf-values.h"

#define NSS_BUFFER_MAX (1024 * 1024)

bool principal_list_match(const principal_list *l, uid_t uid, gid_t gid,
                          const gid_t *groups, size_t n_groups) {
        if (uid == 0)
                return true;
        if (!l)
                return false;
        for (size_t i = 0; i < l->n_uids; i++)
                if (l->uids[i] == uid)
                        return true;
        for (size_t i = 0; i < l->n_gids; i++) {
                if (l->gids[i] == gid)
                        return true;
                for (size_t j = 0; j < n_groups; j++)
                        if (groups && l->gids[i] == groups[j])
                                return true;
        }
        return false;
}

void principal_list_done(principal_list *l) {
        free(l->uids);
        free(l->gids);
        free(l->text);
        *l = (principal_list) {};
}

bool principal_list_equal(const principal_list *a, const principal_list *b) {
        return streq_ptr(a->text, b->text) &&
                a->n_uids == b->n_uids && a->n_gids == b->n_gids &&
                (a->n_uids == 0 || memcmp(a->uids, b->uids, a->n_uids * sizeof(uid_t)) == 0) &&
                (a->n_gids == 0 || memcmp(a->gids, b->gids, a->n_gids * sizeof(gid_t)) == 0);
}

static int parse_id(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (!*s || strlen(s) > 10)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        /* (uid_t) -1 means "no change" to chown() and friends. */
        if (v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

static int nss_lookup(const char *name, bool group, uint32_t *ret) {
        long hint = sysconf(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
        size_t size = hint > 0 && hint <= NSS_BUFFER_MAX ? (size_t) hint : 4096;

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct passwd pw, *pwr = NULL;
                struct group gr, *grr = NULL;
                int r;

                if (!buf)
                        return -ENOMEM;
                if (group)
                        r = getgrnam_r(name, &gr, buf, size, &grr);
                else
                        r = getpwnam_r(name, &pw, buf, size, &pwr);
                if (r == ERANGE && size < NSS_BUFFER_MAX) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (group ? !grr : !pwr)
                        return -ESRCH;
                *ret = group ? (uint32_t) grr->gr_gid : (uint32_t) pwr->pw_uid;
                return 0;
        }
}

int conf_parse_principals(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        principal_list *field = CONF_FIELD(principal_list, key, object);
        _cleanup_(principal_list_done) principal_list p = {};
        _cleanup_(strv_freep) char **tokens = NULL;
        bool bad = false;

        if (conf_split_tokens(value, &tokens) < 0)
                return conf_parse_oom(ctx);
        for (char **t = tokens; *t; t++) {
                bool group = (*t)[0] == '@';
                const char *name = *t + group;
                uint32_t id = 0;
                int r;

                if (parse_id(name, &id) < 0) {
                        if (isempty(name)) {
                                conf_parse_error(ctx, ctx->line, "%s: \"@\" needs a group name", key->name);
                                bad = true;
                                continue;
                        }
                        r = nss_lookup(name, group, &id);
                        if (r == -ENOMEM)
                                return conf_parse_oom(ctx);
                        if (r == -ESRCH) {
                                conf_parse_error(ctx, ctx->line, "%s: unknown %s \"%s\"", key->name,
                                                  group ? "group" : "user", name);
                                bad = true;
                                continue;
                        }
                        if (r < 0) {
                                conf_parse_error(ctx, ctx->line, "%s: cannot look up %s \"%s\": %s", key->name,
                                                  group ? "group" : "user", name, strerror(-r));
                                bad = true;
                                continue;
                        }
                }

                if (group) {
                        gid_t *n = realloc(p.gids, (p.n_gids + 1) * sizeof(gid_t));
                        if (!n)
                                return conf_parse_oom(ctx);
                        p.gids = n;
                        p.gids[p.n_gids++] = (gid_t) id;
                } else if (id != 0) {
                        /* root always may, so it is not listed. */
                        uid_t *n = realloc(p.uids, (p.n_uids + 1) * sizeof(uid_t));
                        if (!n)
                                return conf_parse_oom(ctx);
                        p.uids = n;
                        p.uids[p.n_uids++] = (uid_t) id;
                }
        }
        if (bad)
                return -EINVAL;

        p.text = strdup(value);
        if (!p.text)
                return conf_parse_oom(ctx);
        principal_list_done(field);
        *field = p;
        p = (principal_list) {};
        return 0;
}
