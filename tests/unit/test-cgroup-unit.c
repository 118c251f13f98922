/* SPDX-License-Identifier: MIT */
/* The audit line's unit: systemd's rule over the text of /proc/PID/cgroup,
 * and the same answer as sd_pid_get_unit() for real processes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "peer/cgroup-unit.h"
#include "tests.h"
#include "util/util.h"

static void expect_unit(const char *text, bool legacy, const char *root, const char *want) {
        _cleanup_(freep) char *u = NULL;
        int r = cgroup_unit_from_text(text, legacy, root, &u);

        if (r < 0 || !streq(u, want)) {
                fprintf(stderr, "text %s: got %d %s, want %s\n", text, r, u ? u : "(none)", want);
                abort();
        }
}

static void expect_error(const char *text, bool legacy, const char *root, int want) {
        _cleanup_(freep) char *u = NULL;
        int r = cgroup_unit_from_text(text, legacy, root, &u);

        if (r != want || u) {
                fprintf(stderr, "text %s: got %d %s, want error %d\n", text, r, u ? u : "(none)", want);
                abort();
        }
}

static void test_unified(void) {
        expect_unit("0::/system.slice/foo.service\n", false, NULL, "foo.service");
        expect_unit("0::/system.slice/foo.service", false, "/", "foo.service");
        expect_unit("0::/user.slice/user-1000.slice/session-3.scope\n", false, "/", "session-3.scope");
        /* Within the user manager: sd_pid_get_unit() names the manager. */
        expect_unit("0::/user.slice/user-1000.slice/user@1000.service/app.slice/emr.service\n", false, "/",
                    "user@1000.service");
        expect_unit("0::/system.slice/system-getty.slice/getty@tty1.service\n", false, "/", "getty@tty1.service");
        expect_unit("0::/init.scope\n", false, "/", "init.scope");
        /* A unit's own sub-cgroups do not change the answer. */
        expect_unit("0::/system.slice/emr.service/worker/deep\n", false, "/", "emr.service");
        /* An escaped component. */
        expect_unit("0::/system.slice/_cpu.service\n", false, "/", "cpu.service");
        expect_unit("0::/foo.service\n", false, "/", "foo.service");
}

static void test_hybrid_and_legacy(void) {
        const char *both = "12:name=systemd:/system.slice/a.service\n3:cpu:/x.service\n0::/system.slice/b.service\n";

        /* A hybrid host reads the unified line, a legacy host name=systemd. */
        expect_unit(both, false, "/", "b.service");
        expect_unit(both, true, "/", "a.service");
        expect_unit("11:cpu,cpuacct:/x.service\n1:name=systemd:/system.slice/c.service\n", true, "/", "c.service");
        expect_error("11:cpu,cpuacct:/x.service\n5:memory:/y.service\n", true, "/", -EBADMSG);
        expect_error("11:cpu,cpuacct:/x.service\n5:memory:/y.service\n", false, "/", -EBADMSG);
}

static void test_no_unit(void) {
        expect_error("0::/\n", false, "/", -ENXIO);
        expect_error("0::/user.slice\n", false, "/", -ENXIO);
        expect_error("0::/user.slice/user-1000.slice/\n", false, "/", -ENXIO);
        expect_error("", false, "/", -EBADMSG);
        expect_error("0::\n", false, "/", -EBADMSG);
        expect_error("0::relative/a.service\n", false, "/", -EBADMSG);
}

static void test_hostile(void) {
        _cleanup_(freep) char *u = NULL;
        char long_name[400];

        /* Nothing but a valid unit name reaches the audit line. */
        expect_error("0::/system.slice/evil name.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/a.service\tunit=fake.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/noext\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/x.unknowntype\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/a@.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/@x.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/a@b@c.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/bad\xc3\xa9.service\n", false, "/", -EBADMSG);
        expect_error("0::/system.slice/../a.service\n", false, "/", -EBADMSG);

        memcpy(long_name, "0::/", 4);
        memset(long_name + 4, 'a', 300);
        memcpy(long_name + 304, ".service\n", 10);
        expect_error(long_name, false, "/", -EBADMSG);
        /* 255 characters is the longest valid name. */
        memset(long_name + 4, 'a', 247);
        memcpy(long_name + 251, ".service\n", 10);
        CHECK(cgroup_unit_from_text(long_name, false, "/", &u) == 0);
        CHECK(strlen(u) == 255);
}

static void test_container_root(void) {
        _cleanup_(freep) char *root = NULL, *host = NULL, *legacy = NULL;

        CHECK(cgroup_root_from_text("0::/init.scope\n", false, &host) == 0);
        CHECK(streq(host, "/"));
        CHECK(cgroup_root_from_text("0::/machine.slice/ctr.scope/init.scope\n", false, &root) == 0);
        CHECK(streq(root, "/machine.slice/ctr.scope"));
        CHECK(cgroup_root_from_text("1:name=systemd:/system.slice\n0::/\n", true, &legacy) == 0);
        CHECK(streq(legacy, "/"));

        expect_unit("0::/machine.slice/ctr.scope/system.slice/b.service\n", false, root, "b.service");
        /* Outside the container's tree: the path as it is. */
        expect_unit("0::/system.slice/c.service\n", false, root, "c.service");
        /* Only whole components count as the root. */
        expect_unit("0::/machine.slice/ctr.scope.scope/d.service\n", false, root, "ctr.scope.scope");
        expect_error("0::/machine.slice/ctr.scope\n", false, root, -ENXIO);
}

/* Whatever this machine's cgroups are, the answer matches libsystemd's. */
static void test_same_as_libsystemd(pid_t pid) {
        _cleanup_(freep) char *ours = NULL, *theirs = NULL;
        int r1 = cgroup_pid_unit(pid, &ours);
        int r2 = sd_pid_get_unit(pid, &theirs);

        fprintf(stderr, "pid %d: ours %d %s, libsystemd %d %s\n", (int) pid, r1, ours ? ours : "-", r2,
                theirs ? theirs : "-");
        CHECK((r1 >= 0) == (r2 >= 0));
        if (r1 >= 0)
                CHECK(streq(ours, theirs));
}

static void move_to(const char *dir, const char *pid_text) {
        char procs[300];
        FILE *f;

        snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
        f = fopen(procs, "we");
        CHECK(f);
        CHECK(fputs(pid_text, f) >= 0);
        CHECK(fclose(f) == 0);
}

/* With root and writable cgroup hierarchies (CI's machines have them): a
 * real process in a different unit in each hierarchy, so that the answer
 * also shows which hierarchy was read; then in a cgroup below the unit. */
static void test_real_cgroups(void) {
        static const char *const candidates[] = {
                "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup",
        };
        char slice[3][128] = {}, unit[3][192] = {}, sub[3][256] = {}, name[3][64] = {}, pid_text[32], c;
        const char *base[3];
        size_t n = 0;
        int pipefd[2];
        pid_t child;

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++) {
                char p[128];
                snprintf(p, sizeof p, "%s/cgroup.procs", candidates[i]);
                if (access(p, W_OK) == 0)
                        base[n++] = candidates[i];
        }
        if (n == 0) {
                fprintf(stderr, "# real cgroups not compared: no writable cgroup hierarchy (not root?)\n");
                return;
        }

        CHECK(pipe(pipefd) == 0);
        child = fork();
        CHECK(child >= 0);
        if (child == 0) {
                close(pipefd[1]);
                (void) !read(pipefd[0], &c, 1);
                _exit(0);
        }
        close(pipefd[0]);
        snprintf(pid_text, sizeof pid_text, "%d\n", (int) child);

        for (size_t i = 0; i < n; i++) {
                snprintf(name[i], sizeof name[i], "tessera-test-%d-%zu.service", (int) getpid(), i);
                snprintf(slice[i], sizeof slice[i], "%s/tessera-test.slice", base[i]);
                snprintf(unit[i], sizeof unit[i], "%s/%s", slice[i], name[i]);
                snprintf(sub[i], sizeof sub[i], "%s/worker", unit[i]);
                CHECK(mkdir(slice[i], 0755) == 0 || errno == EEXIST);
                CHECK(mkdir(unit[i], 0755) == 0);
                CHECK(mkdir(sub[i], 0755) == 0);
                move_to(unit[i], pid_text);
        }
        test_same_as_libsystemd(child);
        for (size_t i = 0; i < n; i++)
                move_to(sub[i], pid_text);
        test_same_as_libsystemd(child);

        /* And one answer, not just the same failure. */
        _cleanup_(freep) char *u = NULL;
        CHECK(cgroup_pid_unit(child, &u) == 0);
        size_t hit = n;
        for (size_t i = 0; i < n; i++)
                if (strcmp(u, name[i]) == 0)
                        hit = i;
        CHECK(hit < n);

        for (size_t i = 0; i < n; i++)
                move_to(base[i], pid_text);
        close(pipefd[1]);
        CHECK(waitpid(child, NULL, 0) == child);
        for (size_t i = 0; i < n; i++) {
                CHECK(rmdir(sub[i]) == 0);
                CHECK(rmdir(unit[i]) == 0);
                (void) rmdir(slice[i]);
        }
}

int main(void) {
        test_unified();
        test_hybrid_and_legacy();
        test_no_unit();
        test_hostile();
        test_container_root();
        test_same_as_libsystemd(getpid());
        test_same_as_libsystemd(getppid());
        test_same_as_libsystemd(1);
        test_real_cgroups();
        CHECK(cgroup_pid_unit(-1, &(char *) { NULL }) < 0);
        return 0;
}
