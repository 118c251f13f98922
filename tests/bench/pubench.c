/* SPDX-License-Identifier: MIT */
/* tessera-pubench: the per-user measurements of run-per-user-bench that
 * need a clock inside the process (see README.md here).
 *
 *   tessera-pubench status [--socket S] [--count N]
 *       GET /v1/status N times in a closed loop as the calling user (root:
 *       every session); prints the latency and the number of per-user
 *       entries in the last answer.
 *   tessera-pubench shift  [--socket S] [--account A] --caller-uid U --caller-gid G
 *                          --first-uid F --logouts K [--base-seconds B]
 *       A caller process running as uid U asks for its own cached token in
 *       a closed loop; after B seconds, K threads (root) log out uids
 *       F .. F+K-1 at once (POST /v1/accounts/A/logout?uid=N, each waits
 *       for the IdP's verdict on the revocation). Prints the caller's
 *       latency in the B seconds before and while the logouts ran.
 *
 * Each prints one line "NAME key=value ..." (run-per-user-bench parses it)
 * and exits non-zero when the measured operation failed. Never prints a
 * token. */

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tessera/tessera.h>

#include "bench-util.h"

typedef struct opts {
        const char *socket;
        const char *account;
        unsigned count, logouts;
        long caller_uid, caller_gid, first_uid;
        double base_seconds;
} opts;

static void usage(void) {
        fputs("usage: tessera-pubench status|shift [OPTIONS]\n"
              "  see the comment at the top of tests/bench/pubench.c\n", stderr);
        exit(2);
}

static void parse_opts(int argc, char **argv, opts *o) {
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!v)
                        usage();
                i++;
                if (strcmp(a, "--socket") == 0)
                        o->socket = v;
                else if (strcmp(a, "--account") == 0)
                        o->account = v;
                else if (strcmp(a, "--count") == 0)
                        o->count = bench_parse_uint(a, v);
                else if (strcmp(a, "--logouts") == 0)
                        o->logouts = bench_parse_uint(a, v);
                else if (strcmp(a, "--caller-uid") == 0)
                        o->caller_uid = bench_parse_uint(a, v);
                else if (strcmp(a, "--caller-gid") == 0)
                        o->caller_gid = bench_parse_uint(a, v);
                else if (strcmp(a, "--first-uid") == 0)
                        o->first_uid = bench_parse_uint(a, v);
                else if (strcmp(a, "--base-seconds") == 0)
                        o->base_seconds = bench_parse_double(a, v);
                else
                        usage();
        }
}

static size_t count_substr(const char *s, const char *needle) {
        size_t n = 0, l = strlen(needle);

        for (const char *p = s; (p = strstr(p, needle)); p += l)
                n++;
        return n;
}

/* ---- status ---- */

static int cmd_status(const opts *o) {
        tessera_client *c = NULL;
        samples s = {};
        size_t bytes = 0, entries = 0;
        int r;

        r = tessera_client_new(o->socket, &c);
        if (r < 0)
                return 1;
        /* The first call connects and warms the daemon's buffers: not kept. */
        for (unsigned i = 0; i < o->count + 1; i++) {
                char *body = NULL;
                int status = 0;
                uint64_t t0 = bench_now_ns(), ns;

                r = tessera_request(c, "GET", "/v1/status", NULL, 30000, &status, &body);
                ns = bench_now_ns() - t0;
                if (r < 0 || status != 200) {
                        fprintf(stderr, "status: %s (HTTP %d)\n", r < 0 ? tessera_strerror(r) : "failed", status);
                        tessera_free(body);
                        return 1;
                }
                bytes = strlen(body);
                entries = count_substr(body, "\"sessions\":\"per-user\"");
                tessera_free(body);
                if (i > 0 && samples_add(&s, ns) < 0)
                        return 1;
        }
        tessera_client_free(c);
        samples_sort(&s);
        printf("status calls=%u entries=%zu bytes=%zu p50_us=%.1f min_us=%.1f max_us=%.1f\n", o->count, entries,
               bytes, samples_quantile(&s, 0.5) / 1e3, samples_quantile(&s, 0.0) / 1e3,
               samples_quantile(&s, 1.0) / 1e3);
        samples_done(&s);
        return 0;
}

/* ---- shift change: many logouts while someone else asks for tokens ---- */

/* Written by the caller process, read by the parent once it has stopped. */
typedef struct shared_log {
        atomic_int stop;
        atomic_int ready;
        int error;
        size_t n, cap;
        struct { uint64_t start, ns; } v[];
} shared_log;

static _Noreturn void caller_main(const opts *o, shared_log *log) {
        gid_t g = (gid_t) o->caller_gid;
        tessera_client *c = NULL;
        int r;

        /* The session of a person: the daemon sees uid U with group G. */
        if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 || setresuid((uid_t) o->caller_uid,
            (uid_t) o->caller_uid, (uid_t) o->caller_uid) < 0) {
                log->error = -errno;
                atomic_store(&log->ready, 1);
                _exit(1);
        }
        r = tessera_client_new(o->socket, &c);
        atomic_store(&log->ready, 1);
        while (r == 0 && !atomic_load(&log->stop) && log->n < log->cap) {
                tessera_token *t = NULL;
                uint64_t t0 = bench_now_ns();

                r = tessera_get_token(c, o->account, 60, &t);
                if (r == 0 && (!tessera_token_value(t) || !tessera_token_value(t)[0]))
                        r = TESSERA_E_PROTOCOL;
                tessera_token_free(t);
                log->v[log->n].start = t0;
                log->v[log->n].ns = bench_now_ns() - t0;
                log->n++;
        }
        log->error = r;
        tessera_client_free(c);
        _exit(r == 0 ? 0 : 1);
}

typedef struct logout_job {
        const opts *o;
        pthread_barrier_t *barrier;
        pthread_t thread;
        long uid;
        int result, http;
        uint64_t ns;
} logout_job;

static void *logout_main(void *p) {
        logout_job *j = p;
        tessera_client *c = NULL;
        char path[256], *body = NULL;
        uint64_t t0;

        j->result = tessera_client_new(j->o->socket, &c);
        pthread_barrier_wait(j->barrier);
        if (j->result < 0)
                return NULL;
        snprintf(path, sizeof(path), "/v1/accounts/%s/logout?uid=%ld", j->o->account, j->uid);
        t0 = bench_now_ns();
        j->result = tessera_request(c, "POST", path, NULL, 120000, &j->http, &body);
        j->ns = bench_now_ns() - t0;
        tessera_free(body);
        tessera_client_free(c);
        return NULL;
}

/* Prints the caller's calls started in [from, to). */
static int print_window(const char *label, const shared_log *log, uint64_t from, uint64_t to) {
        samples s = {};

        for (size_t i = 0; i < log->n; i++)
                if (log->v[i].start >= from && log->v[i].start < to && samples_add(&s, log->v[i].ns) < 0)
                        return -ENOMEM;
        samples_sort(&s);
        printf(" %s_calls=%zu %s_p50_us=%.1f %s_p99_us=%.1f %s_p999_us=%.1f %s_max_us=%.1f", label, s.n, label,
               samples_quantile(&s, 0.5) / 1e3, label, samples_quantile(&s, 0.99) / 1e3, label,
               samples_quantile(&s, 0.999) / 1e3, label, samples_quantile(&s, 1.0) / 1e3);
        samples_done(&s);
        return 0;
}

static int cmd_shift(const opts *o) {
        size_t cap = 4u << 20;  /* calls: far more than a few seconds need */
        size_t size = sizeof(shared_log) + cap * sizeof(((shared_log *) NULL)->v[0]);
        shared_log *log;
        pthread_barrier_t barrier;
        pthread_attr_t attr;
        logout_job *jobs;
        samples lo = {};
        uint64_t t_fire, t_done;
        unsigned failed = 0;
        int status = 0, first_http = 0;
        pid_t pid;

        if (o->caller_uid < 0 || o->caller_gid < 0 || o->first_uid < 0 || o->logouts == 0)
                usage();
        bench_raise_nofile();
        log = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (log == MAP_FAILED)
                return 1;
        log->cap = cap;
        pid = fork();
        if (pid < 0)
                return 1;
        if (pid == 0)
                caller_main(o, log);

        /* The logout threads connect while the caller warms up. */
        jobs = calloc(o->logouts, sizeof(*jobs));
        if (!jobs)
                return 1;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        pthread_barrier_init(&barrier, NULL, o->logouts + 1);
        for (unsigned i = 0; i < o->logouts; i++) {
                jobs[i] = (logout_job) { .o = o, .barrier = &barrier, .uid = o->first_uid + (long) i };
                if (pthread_create(&jobs[i].thread, &attr, logout_main, &jobs[i]) != 0) {
                        fprintf(stderr, "shift: cannot start thread %u\n", i);
                        exit(1);
                }
        }
        while (!atomic_load(&log->ready))
                usleep(1000);
        usleep(300000);         /* warm-up */
        usleep((useconds_t) (o->base_seconds * 1e6));
        t_fire = bench_now_ns();
        pthread_barrier_wait(&barrier);
        for (unsigned i = 0; i < o->logouts; i++) {
                pthread_join(jobs[i].thread, NULL);
                (void) samples_add(&lo, jobs[i].ns);
                if (jobs[i].result < 0 || jobs[i].http != 200) {
                        if (failed++ == 0)
                                first_http = jobs[i].result < 0 ? jobs[i].result : jobs[i].http;
                }
        }
        t_done = bench_now_ns();
        usleep(100000);
        atomic_store(&log->stop, 1);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        samples_sort(&lo);
        printf("shift logouts=%u failed=%u window_ms=%.1f logout_p50_ms=%.1f logout_max_ms=%.1f caller_errors=%d",
               o->logouts, failed, (double) (t_done - t_fire) / 1e6, samples_quantile(&lo, 0.5) / 1e6,
               samples_quantile(&lo, 1.0) / 1e6, log->error ? 1 : 0);
        /* The baseline: the same length of time as the logouts took, just
         * before them (at least the last base_seconds). */
        if (print_window("base", log, t_fire - (uint64_t) (o->base_seconds * 1e9), t_fire) < 0 ||
            print_window("during", log, t_fire, t_done) < 0)
                return 1;
        printf("\n");
        if (failed)
                fprintf(stderr, "shift: %u logouts failed, first: %d\n", failed, first_http);
        if (log->error || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fprintf(stderr, "shift: the caller failed: %s\n",
                        log->error < 0 && log->error >= -11 ? tessera_strerror(log->error) : strerror(-log->error));
        samples_done(&lo);
        pthread_barrier_destroy(&barrier);
        pthread_attr_destroy(&attr);
        free(jobs);
        return failed || log->error || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        opts o = {
                .account = "staff", .count = 20, .caller_uid = -1, .caller_gid = -1, .first_uid = -1,
                .base_seconds = 2,
        };
        const char *cmd;

        if (argc < 2)
                usage();
        cmd = argv[1];
        parse_opts(argc, argv, &o);
        (void) signal(SIGPIPE, SIG_IGN);
        if (strcmp(cmd, "status") == 0)
                return cmd_status(&o);
        if (strcmp(cmd, "shift") == 0)
                return cmd_shift(&o);
        usage();
}
