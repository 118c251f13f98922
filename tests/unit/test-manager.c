/* SPDX-License-Identifier: MIT */
/* core/manager.c: start and reload against real configuration files and a
 * real store in a temporary directory. No network: nothing here is due for
 * a refresh. */
#include <sodium.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/manager.h"
#include "util/log.h"
#include "util/secret.h"
#include "tests.h"

#define ISSUER "https://idp.example"
#define ACCOUNT(name, scope) \
        "[account " name "]\nissuer = " ISSUER "\nclient_id = my-app\n" \
        "client_secret = s3cr3t-inline-value\nscope = " scope "\n"

static char dir[] = "/tmp/test-manager-XXXXXX";
static char config[256];

static void write_config(const char *accounts) {
        FILE *f = fopen(config, "we");

        CHECK(f);
        fprintf(f, "[daemon]\nstate_dir = %s/state\nsocket = %s/api.sock\n%s", dir, dir, accounts);
        CHECK(fclose(f) == 0);
}

static void seed_session(const char *name);

/* Sessions loaded or refreshed together tell the service manager their
 * state once per loop iteration, not once each (a thousand STATUS=
 * messages at start-up once filled systemd's queue). */
static void test_status_coalesced(void) {
        _cleanup_(manager_freep) manager *m = NULL;
        char sock_path[300], buf[512], accounts[512];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        conf *c = NULL;
        char **errors = NULL;
        sd_event *e = NULL;
        unsigned n = 0;
        int fd;

        snprintf(sock_path, sizeof sock_path, "%s/notify", dir);
        CHECK(strlen(sock_path) < sizeof sa.sun_path);
        strcpy(sa.sun_path, sock_path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        CHECK(fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0);
        CHECK(setenv("NOTIFY_SOCKET", sock_path, 1) == 0);

        snprintf(accounts, sizeof accounts, "%s%s", ACCOUNT("desk", "openid"), "sessions = per-user\n");
        write_config(accounts);
        for (unsigned uid = 1000; uid < 1008; uid++) {
                char key[64];

                snprintf(key, sizeof key, "desk@%u", uid);
                seed_session(key);
        }

        CHECK(sd_event_new(&e) >= 0);
        CHECK_R(conf_load(config, &c, &errors), 0);
        CHECK_R(manager_new(e, config, c, &m), 0);
        CHECK_R(manager_start(m), 0);
        CHECK(m->accounts[0]->n_sessions == 8);
        for (int i = 0; i < 3; i++)
                CHECK(sd_event_run(e, 0) >= 0);
        while (recv(fd, buf, sizeof buf, 0) > 0)
                n++;
        CHECK(n == 1);

        m = manager_free(m);
        sd_event_unref(e);
        CHECK(unsetenv("NOTIFY_SOCKET") == 0);
        close(fd);
}

static void seed_session(const char *name) {
        _cleanup_(store_freep) store *st = NULL;
        session *s = session_new();
        char state[300];

        CHECK(s);
        snprintf(state, sizeof state, "%s/state", dir);
        CHECK_R(store_open(state, &st), 0);
        s->access_token = secret_strdup("at-test");
        s->refresh_token = secret_strdup("rt-test");
        s->refreshed_at = now_realtime();
        s->expires_at = s->refreshed_at + 24 * 3600;
        CHECK_R(store_save(st, name, ISSUER, s), 0);
        session_free(s);
}

/* A reload keeps an unchanged account as it is, rebuilds a changed one
 * from its stored session, drops a removed one and adds a new one, and
 * every account's state change during it is told safely (the list being
 * rebuilt has holes then: this crashed once). */
static void test_reload(void) {
        _cleanup_(manager_freep) manager *m = NULL;
        conf *c = NULL;
        char **errors = NULL;
        sd_event *e = NULL;
        account *kept;

        write_config(ACCOUNT("kept", "openid") ACCOUNT("changed", "openid") ACCOUNT("removed", "openid"));
        seed_session("kept");
        seed_session("changed");

        CHECK(sd_event_new(&e) >= 0);
        CHECK_R(conf_load(config, &c, &errors), 0);
        CHECK_R(manager_new(e, config, c, &m), 0);
        CHECK_R(manager_start(m), 0);
        CHECK(m->n_accounts == 3);
        kept = manager_find_account(m, "kept");
        CHECK(kept && kept->state == ACCOUNT_VALID);
        CHECK(manager_find_account(m, "changed")->state == ACCOUNT_VALID);
        CHECK(manager_find_account(m, "removed")->state == ACCOUNT_LOGGED_OUT);

        /* kept first: "changed" then loads while the old list has a hole. */
        write_config(ACCOUNT("kept", "openid") ACCOUNT("changed", "openid offline_access") ACCOUNT("added", "openid"));
        CHECK_R(manager_reload(m), 0);
        CHECK(m->n_accounts == 3);
        CHECK(manager_find_account(m, "kept") == kept);         /* the same object */
        CHECK(streq(kept->conf->name, "kept") && kept->conf == m->conf->accounts[0]);
        CHECK(manager_find_account(m, "changed")->state == ACCOUNT_VALID);
        CHECK(streq(manager_find_account(m, "changed")->conf->scope, "openid offline_access"));
        CHECK(manager_find_account(m, "added")->state == ACCOUNT_LOGGED_OUT);
        CHECK(!manager_find_account(m, "removed"));

        /* An invalid configuration keeps the running one. */
        write_config("[account broken]\nissuer = http://not-loopback.example\n");
        CHECK(manager_reload(m) < 0);
        CHECK(m->n_accounts == 3 && manager_find_account(m, "kept") == kept);

        m = manager_free(m);
        sd_event_unref(e);
}

int main(void) {
        CHECK(sodium_init() >= 0);
        log_set_max_level(LOG_WARNING);
        CHECK(mkdtemp(dir));
        snprintf(config, sizeof config, "%s/tessera.conf", dir);

        test_reload();
        test_status_coalesced();

        {
                char cmd[300];

                snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
                CHECK(system(cmd) == 0);
        }
        return 0;
}
