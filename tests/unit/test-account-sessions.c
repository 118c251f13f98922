/* SPDX-License-Identifier: MIT */
/* core/account-sessions.c and the store keys of per-user sessions: one
 * account object per uid, sorted, found by binary search; "NAME@UID"
 * store keys; the store lists them back. */
#include <sodium.h>
#include <stdio.h>

#include "core/account-sessions.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret.h"
#include "tests.h"

static void test_store_keys(void) {
        char key[ACCOUNT_STORE_KEY_MAX + 1];
        uid_t uid;

        CHECK(account_store_key_is_valid("default"));
        CHECK(account_store_key_is_valid("default@1000"));
        CHECK(account_store_key_is_valid("a.b-c_9@0"));
        CHECK(account_store_key_is_valid("x@4294967294"));
        CHECK(!account_store_key_is_valid("x@4294967295"));    /* (uid_t) -1 */
        CHECK(!account_store_key_is_valid("x@01"));
        CHECK(!account_store_key_is_valid("x@"));
        CHECK(!account_store_key_is_valid("x@1@2"));
        CHECK(!account_store_key_is_valid("x@-1"));
        CHECK(!account_store_key_is_valid("@1"));
        CHECK(!account_store_key_is_valid("..@1"));
        CHECK(!account_store_key_is_valid("a/b@1"));
        CHECK(!account_store_key_is_valid(NULL));

        CHECK_R(account_store_key_format("default", 1000, key), 0);
        CHECK_STREQ(key, "default@1000");
        CHECK_R(account_store_key_format("..", 1000, key), -EINVAL);
        CHECK_R(account_store_key_format("default", (uid_t) -1, key), -EINVAL);

        CHECK_R(account_store_key_uid("default@1000", "default", &uid), 0);
        CHECK(uid == 1000);
        CHECK_R(account_store_key_uid("default@1000", "defaul", &uid), -EINVAL);
        CHECK_R(account_store_key_uid("default2@1000", "default", &uid), -EINVAL);
        CHECK_R(account_store_key_uid("default", "default", &uid), -EINVAL);
}

static void test_store_list(void) {
        char dir[] = "/tmp/test-account-sessions-XXXXXX", cmd[64];
        _cleanup_(store_freep) store *st = NULL;
        _cleanup_(freep) uid_t *uids = NULL;
        session *s = session_new();
        uid_t want[] = { 1000, 7, 65534 };
        size_t n = 0;
        unsigned seen = 0;

        CHECK(s && mkdtemp(dir));
        CHECK_R(store_open(dir, &st), 0);
        s->access_token = secret_strdup("at");
        s->refreshed_at = 1;
        s->expires_at = 2;
        s->logind_bound = true;
        CHECK_R(store_save(st, "desk", "https://idp", s), 0);          /* the shared key: not listed */
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                char key[ACCOUNT_STORE_KEY_MAX + 1];

                CHECK_R(account_store_key_format("desk", want[i], key), 0);
                CHECK_R(store_save(st, key, "https://idp", s), 0);
        }
        CHECK_R(store_save(st, "desk2@5", "https://idp", s), 0);       /* another account */
        session_free(s);

        CHECK_R(store_list_users(st, "desk", &uids, &n), 0);
        CHECK(n == ELEMENTSOF(want));
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ELEMENTSOF(want); j++)
                        if (uids[i] == want[j])
                                seen |= 1U << j;
        CHECK(seen == 7);

        /* The flag that ties a session to the desktop login survives. */
        {
                _cleanup_(session_freep) session *back = NULL;

                CHECK_R(store_load(st, "desk@1000", "https://idp", &back, NULL), 0);
                CHECK(back->logind_bound);
        }
        {
                /* A file copied over another person's does not open: the
                 * uid is in the associated data. */
                _cleanup_(session_freep) session *other = NULL;
                char copy[256];

                snprintf(copy, sizeof copy, "cp %s/accounts/desk@1000.session %s/accounts/desk@7.session", dir, dir);
                CHECK(system(copy) == 0);
                CHECK_R(store_load(st, "desk@7", "https://idp", &other, NULL), -EBADMSG);
        }
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        CHECK(system(cmd) == 0);
}

static void test_sessions(void) {
        conf_account c = { .name = (char *) "desk", .sessions = SESSIONS_PER_USER };
        conf_account shared = { .name = (char *) "team", .sessions = SESSIONS_SHARED };
        account_env env = {};
        account *parent = NULL, *team = NULL, *s = NULL;
        uid_t order[] = { 1000, 5, 70000, 0, 999 };

        CHECK_R(account_new(NULL, &env, &c, &parent), 0);
        CHECK_R(account_new(NULL, &env, &shared, &team), 0);
        CHECK(account_is_per_user(parent));
        CHECK(!account_is_per_user(team));
        CHECK_R(account_session_add(team, 1, &s), -EINVAL);

        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                CHECK_R(account_session_add(parent, order[i], &s), 0);
                CHECK(s->parent == parent && s->uid == order[i]);
                CHECK(!account_is_per_user(s));         /* a session, not a per-user account */
        }
        CHECK_R(account_session_add(parent, 5, &s), -EEXIST);
        CHECK_R(account_session_add(parent, (uid_t) -1, &s), -EINVAL);
        CHECK(parent->n_sessions == ELEMENTSOF(order));
        for (size_t i = 1; i < parent->n_sessions; i++)
                CHECK(parent->sessions[i - 1]->uid < parent->sessions[i]->uid);
        CHECK_STREQ(account_session_find(parent, 70000)->store_key, "desk@70000");
        CHECK(!account_session_find(parent, 6));
        CHECK(!account_session_find(team, 5));

        /* Unlinking keeps the order; the object is the caller's. */
        s = account_session_find(parent, 999);
        account_session_unlink(s);
        CHECK(!s->parent && !account_session_find(parent, 999));
        CHECK(parent->n_sessions == ELEMENTSOF(order) - 1);
        account_free(s);

        /* Destroying the account destroys its sessions. */
        account_destroy(parent, NULL);
        account_destroy(team, NULL);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        log_set_max_level(LOG_WARNING);
        test_store_keys();
        test_store_list();
        test_sessions();
        return 0;
}
