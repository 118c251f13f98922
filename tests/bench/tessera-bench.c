/* SPDX-License-Identifier: MIT */
/* tessera-bench: load generator and timers for tesserad, on libtessera.
 *
 *   tessera-bench cached  [--socket S] [--account A] [--threads N] [--seconds T]
 *                         [--mode shared|per-thread|new-conn] [--watch-pid PID]
 *   tessera-bench floor   [--threads N] [--seconds T] [--req BYTES] [--resp BYTES]
 *   tessera-bench exec    [--count N] -- COMMAND [ARGS...]
 *   tessera-bench ready   [--count N] -- TESSERAD [ARGS...]
 *   tessera-bench flight  [--socket S] [--account A] [--callers K] [--min-valid M] [--when-left L]
 *   tessera-bench refresh [--socket S] [--account A] [--samples N] [--min-valid M] [--when-left L]
 *
 * Each prints one line "NAME key=value ..." on stdout (run-bench parses
 * it) and exits non-zero when the measured operation failed. Tokens are
 * never printed: they are compared through a hash. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tessera/tessera.h>

#include "bench-util.h"

extern char **environ;

typedef struct opts {
        const char *socket;
        const char *account;
        const char *mode;
        unsigned threads, count, callers, samples, min_valid, when_left;
        unsigned req, resp;
        double seconds, warmup;
        pid_t watch_pid;
        char **cmd;             /* after "--" */
} opts;

static void usage(void) {
        fputs("usage: tessera-bench cached|floor|exec|ready|flight|refresh [OPTIONS] [-- COMMAND...]\n"
              "  see the comment at the top of tests/bench/tessera-bench.c\n", stderr);
        exit(2);
}

static void parse_opts(int argc, char **argv, opts *o) {
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (strcmp(a, "--") == 0) {
                        o->cmd = argv + i + 1;
                        return;
                }
                if (!v)
                        usage();
                i++;
                if (strcmp(a, "--socket") == 0)
                        o->socket = v;
                else if (strcmp(a, "--account") == 0)
                        o->account = v;
                else if (strcmp(a, "--mode") == 0)
                        o->mode = v;
                else if (strcmp(a, "--threads") == 0)
                        o->threads = bench_parse_uint(a, v);
                else if (strcmp(a, "--count") == 0)
                        o->count = bench_parse_uint(a, v);
                else if (strcmp(a, "--callers") == 0)
                        o->callers = bench_parse_uint(a, v);
                else if (strcmp(a, "--samples") == 0)
                        o->samples = bench_parse_uint(a, v);
                else if (strcmp(a, "--min-valid") == 0)
                        o->min_valid = bench_parse_uint(a, v);
                else if (strcmp(a, "--when-left") == 0)
                        o->when_left = bench_parse_uint(a, v);
                else if (strcmp(a, "--req") == 0)
                        o->req = bench_parse_uint(a, v);
                else if (strcmp(a, "--resp") == 0)
                        o->resp = bench_parse_uint(a, v);
                else if (strcmp(a, "--seconds") == 0)
                        o->seconds = bench_parse_double(a, v);
                else if (strcmp(a, "--warmup") == 0)
                        o->warmup = bench_parse_double(a, v);
                else if (strcmp(a, "--watch-pid") == 0)
                        o->watch_pid = (pid_t) bench_parse_uint(a, v);
                else
                        usage();
        }
}

static uint64_t token_hash(const char *s) {
        uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

        for (; s && *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

/* ---- cached token ---- */

typedef struct cached_ctx {
        const opts *o;
        tessera_client *shared;
        tessera_client **per_thread;
} cached_ctx;

static int get_one(tessera_client *c, const opts *o) {
        tessera_token *t = NULL;
        int r = tessera_get_token(c, o->account, o->min_valid, &t);

        if (r == 0 && (!tessera_token_value(t) || !tessera_token_value(t)[0]))
                r = TESSERA_E_PROTOCOL;
        tessera_token_free(t);
        return r;
}

static int cached_setup(void *p, unsigned idx) {
        cached_ctx *c = p;
        int r;

        if (!c->per_thread)
                return 0;
        r = tessera_client_new(c->o->socket, &c->per_thread[idx]);
        /* Connect before the clock starts: the pool keeps the connection. */
        return r < 0 ? r : get_one(c->per_thread[idx], c->o);
}

static void cached_teardown(void *p, unsigned idx) {
        cached_ctx *c = p;

        if (c->per_thread)
                c->per_thread[idx] = tessera_client_free(c->per_thread[idx]);
}

static int cached_call(void *p, unsigned idx) {
        cached_ctx *c = p;
        tessera_client *fresh = NULL;
        int r;

        if (c->shared)
                return get_one(c->shared, c->o);
        if (c->per_thread)
                return get_one(c->per_thread[idx], c->o);
        r = tessera_client_new(c->o->socket, &fresh);
        if (r == 0)
                r = get_one(fresh, c->o);
        tessera_client_free(fresh);
        return r;
}

static int cmd_cached(const opts *o) {
        cached_ctx c = { .o = o };
        bench_load l = {
                .threads = o->threads, .seconds = o->seconds, .warmup_seconds = o->warmup,
                .watch_pid = o->watch_pid, .call = cached_call, .setup = cached_setup,
                .teardown = cached_teardown, .ctx = &c,
        };
        bench_result res;
        char extra[128];
        int r;

        if (strcmp(o->mode, "shared") == 0) {
                r = tessera_client_new(o->socket, &c.shared);
                if (r == 0)
                        r = get_one(c.shared, o);
                if (r < 0) {
                        fprintf(stderr, "cached: first token: %s\n", tessera_strerror(r));
                        return 1;
                }
        } else if (strcmp(o->mode, "per-thread") == 0) {
                c.per_thread = calloc(o->threads, sizeof(tessera_client *));
                if (!c.per_thread)
                        return 1;
        } else if (strcmp(o->mode, "new-conn") != 0)
                usage();

        r = bench_run_load(&l, &res);
        if (r < 0) {
                fprintf(stderr, "cached: %s\n", r >= -11 ? tessera_strerror(r) : strerror(-r));
                return 1;
        }
        snprintf(extra, sizeof(extra), "mode=%s threads=%u", o->mode, o->threads);
        bench_print_result("cached", extra, &res);
        r = res.errors ? 1 : 0;
        if (res.errors)
                fprintf(stderr, "cached: %" PRIu64 " errors, first: %s\n", res.errors, tessera_strerror(res.first_error));
        bench_result_done(&res);
        tessera_client_free(c.shared);
        free(c.per_thread);
        return r;
}

/* ---- the floor: a bare Unix-socket round trip between two processes ---- */

typedef struct floor_ctx {
        const opts *o;
        int *fd;
        pid_t *pid;
        char **buf;
} floor_ctx;

static int read_full(int fd, char *p, size_t n) {
        while (n > 0) {
                ssize_t k = read(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int write_full(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return -1;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static _Noreturn void echo_server(int fd, unsigned req, unsigned resp) {
        char *buf = calloc(1, req > resp ? req : resp);

        if (!buf)
                _exit(1);
        /* Reads a request of `req` bytes, answers `resp` bytes: the shape of
         * a token call without any work in between. */
        while (read_full(fd, buf, req) == 0)
                if (write_full(fd, buf, resp) < 0)
                        break;
        _exit(0);
}

static int floor_setup(void *p, unsigned idx) {
        floor_ctx *c = p;
        int sv[2];
        pid_t pid;

        c->buf[idx] = calloc(1, c->o->req > c->o->resp ? c->o->req : c->o->resp);
        if (!c->buf[idx])
                return -ENOMEM;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                close(sv[0]);
                echo_server(sv[1], c->o->req, c->o->resp);
        }
        close(sv[1]);
        c->fd[idx] = sv[0];
        c->pid[idx] = pid;
        return 0;
}

static void floor_teardown(void *p, unsigned idx) {
        floor_ctx *c = p;

        close(c->fd[idx]);
        /* Children forked by other workers hold copies of this end, so the
         * echo server would never see EOF: stop it. */
        kill(c->pid[idx], SIGKILL);
        (void) waitpid(c->pid[idx], NULL, 0);
        free(c->buf[idx]);
}

static int floor_call(void *p, unsigned idx) {
        floor_ctx *c = p;

        if (write_full(c->fd[idx], c->buf[idx], c->o->req) < 0 ||
            read_full(c->fd[idx], c->buf[idx], c->o->resp) < 0)
                return -EIO;
        return 0;
}

static int cmd_floor(const opts *o) {
        floor_ctx c = {
                .o = o,
                .fd = calloc(o->threads, sizeof(int)),
                .pid = calloc(o->threads, sizeof(pid_t)),
                .buf = calloc(o->threads, sizeof(char *)),
        };
        bench_load l = {
                .threads = o->threads, .seconds = o->seconds, .warmup_seconds = o->warmup,
                .call = floor_call, .setup = floor_setup, .teardown = floor_teardown, .ctx = &c,
        };
        bench_result res;
        char extra[96];
        int r;

        if (!c.fd || !c.pid || !c.buf)
                return 1;
        r = bench_run_load(&l, &res);
        if (r < 0) {
                fprintf(stderr, "floor: %s\n", strerror(-r));
                return 1;
        }
        snprintf(extra, sizeof(extra), "threads=%u req=%u resp=%u", o->threads, o->req, o->resp);
        bench_print_result("floor", extra, &res);
        r = res.errors ? 1 : 0;
        bench_result_done(&res);
        free(c.fd);
        free(c.pid);
        free(c.buf);
        return r;
}

/* ---- process latency: spawn, run, reap ---- */

/* Runs argv with stdin, stdout and stderr on /dev/null. */
static int spawn_quiet(char **argv, pid_t *ret) {
        posix_spawn_file_actions_t fa;
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(ret, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

static int cmd_exec(const opts *o) {
        samples s = {};
        unsigned failures = 0;
        int first_status = 0;
        bench_result res = { .rss_max_kb = -1 };
        uint64_t t_start = bench_now_ns();

        if (!o->cmd || !o->cmd[0])
                usage();
        for (unsigned i = 0; i < o->count + 3; i++) {
                uint64_t t0 = bench_now_ns();
                pid_t pid;
                int status = 0, r;

                r = spawn_quiet(o->cmd, &pid);
                if (r < 0) {
                        fprintf(stderr, "exec: cannot run %s: %s\n", o->cmd[0], strerror(-r));
                        return 1;
                }
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (i < 3)      /* warm the page cache and the daemon's pools */
                        continue;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        if (failures++ == 0)
                                first_status = status;
                        continue;
                }
                if (samples_add(&s, bench_now_ns() - t0) < 0)
                        return 1;
        }
        res.calls = o->count;
        res.errors = failures;
        res.first_error = first_status;
        res.elapsed_s = (double) (bench_now_ns() - t_start) / 1e9;
        samples_sort(&s);
        res.lat = s;
        bench_print_result("exec", NULL, &res);
        if (failures)
                fprintf(stderr, "exec: %u of %u runs failed (first wait status 0x%x)\n", failures, o->count, first_status);
        samples_done(&s);
        return failures ? 1 : 0;
}

/* ---- exec to READY=1 ---- */

static int ready_once(char **argv, const char *notify, uint64_t *ret_ns) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        socklen_t salen;
        char buf[4096];
        uint64_t t0, deadline;
        int fd, status, r = -ETIMEDOUT;
        pid_t pid;

        /* Abstract address: nothing to clean up, sd_notify() accepts '@'. */
        strncpy(sa.sun_path + 1, notify + 1, sizeof(sa.sun_path) - 2);
        salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(notify + 1));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, salen) < 0) {
                fprintf(stderr, "ready: notify socket: %s\n", strerror(errno));
                return -errno;
        }
        t0 = bench_now_ns();
        r = spawn_quiet(argv, &pid);
        if (r < 0) {
                close(fd);
                return r;
        }
        r = -ETIMEDOUT;
        deadline = t0 + 10ULL * 1000000000ULL;
        for (;;) {
                uint64_t now = bench_now_ns();
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (now >= deadline)
                        break;
                if (poll(&pfd, 1, 50) <= 0) {
                        /* A daemon that exits before READY=1 ends the wait. */
                        if (waitpid(pid, &status, WNOHANG) == pid) {
                                fprintf(stderr, "ready: the daemon exited before READY=1 (wait status 0x%x)\n", status);
                                close(fd);
                                return -ECHILD;
                        }
                        continue;
                }
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                if (strncmp(buf, "READY=1", 7) == 0 || strstr(buf, "\nREADY=1")) {
                        *ret_ns = bench_now_ns() - t0;
                        r = 0;
                        break;
                }
        }
        /* Keeps reading the notify socket while the daemon stops, as
         * systemd does: a daemon that sends STATUS= on its way out would
         * otherwise block on the full socket (max_dgram_qlen is 10). */
        kill(pid, SIGTERM);
        deadline = bench_now_ns() + 30ULL * 1000000000ULL;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid || (w < 0 && errno != EINTR))
                        break;
                if (bench_now_ns() >= deadline) {
                        fprintf(stderr, "ready: the daemon did not stop in 30 s after SIGTERM\n");
                        kill(pid, SIGKILL);
                        r = -ETIMEDOUT;
                }
                if (poll(&pfd, 1, 20) > 0)
                        (void) recv(fd, buf, sizeof(buf) - 1, 0);
        }
        close(fd);
        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
                fprintf(stderr, "ready: the daemon exited with wait status 0x%x\n", status);
                r = -ECHILD;
        }
        return r;
}

static int cmd_ready(const opts *o) {
        char notify[64];
        samples s = {};
        bench_result res = { .rss_max_kb = -1 };
        uint64_t t_start = bench_now_ns();

        if (!o->cmd || !o->cmd[0])
                usage();
        snprintf(notify, sizeof(notify), "@tessera-bench-ready-%d", (int) getpid());
        if (setenv("NOTIFY_SOCKET", notify, 1) < 0)
                return 1;
        for (unsigned i = 0; i < o->count + 1; i++) {
                uint64_t ns = 0;
                int r = ready_once(o->cmd, notify, &ns);

                if (r < 0) {
                        fprintf(stderr, "ready: run %u: %s\n", i, strerror(-r));
                        return 1;
                }
                if (i > 0 && samples_add(&s, ns) < 0)
                        return 1;
        }
        unsetenv("NOTIFY_SOCKET");
        res.calls = o->count;
        res.elapsed_s = (double) (bench_now_ns() - t_start) / 1e9;
        samples_sort(&s);
        res.lat = s;
        bench_print_result("ready", NULL, &res);
        samples_done(&s);
        return 0;
}

/* ---- waiting for the cached token to need a refresh ---- */

/* Returns the hash of the current token once it has at most `left` seconds
 * to live: a call asking for more then forces a refresh. */
static int wait_until_left(tessera_client *c, const opts *o, uint64_t *ret_hash) {
        tessera_token *t = NULL;
        int64_t exp;
        int r;

        r = tessera_get_token(c, o->account, 1, &t);
        if (r < 0) {
                fprintf(stderr, "current token: %s\n", tessera_strerror(r));
                return r;
        }
        exp = tessera_token_expires_at(t);
        *ret_hash = token_hash(tessera_token_value(t));
        tessera_token_free(t);
        for (;;) {
                struct timespec now;

                clock_gettime(CLOCK_REALTIME, &now);
                if (exp - (int64_t) now.tv_sec <= (int64_t) o->when_left) {
                        /* Just past the second boundary: the daemon decides on whole seconds. */
                        if (now.tv_nsec < 50000000L)
                                usleep((useconds_t) ((50000000L - now.tv_nsec) / 1000));
                        return 0;
                }
                usleep(100000);
        }
}

/* ---- single flight: K concurrent callers at expiry ---- */

typedef struct caller {
        const opts *o;
        pthread_barrier_t *barrier;
        pthread_t thread;
        int result;
        uint64_t hash, ns;
} caller;

static void *caller_main(void *p) {
        caller *c = p;
        tessera_client *cl = NULL;
        tessera_token *t = NULL;
        uint64_t t0;

        c->result = tessera_client_new(c->o->socket, &cl);
        pthread_barrier_wait(c->barrier);
        if (c->result < 0)
                return NULL;
        t0 = bench_now_ns();
        c->result = tessera_get_token_timeout(cl, c->o->account, c->o->min_valid, 60000, &t);
        c->ns = bench_now_ns() - t0;
        if (c->result == 0)
                c->hash = token_hash(tessera_token_value(t));
        tessera_token_free(t);
        tessera_client_free(cl);
        return NULL;
}

static int cmd_flight(const opts *o) {
        tessera_client *c = NULL;
        pthread_barrier_t barrier;
        pthread_attr_t attr;
        caller *cs;
        samples s = {};
        uint64_t before, first = 0;
        unsigned ok = 0, errors = 0, distinct = 0, same_as_before = 0;
        int first_error = 0, r;

        bench_raise_nofile();
        r = tessera_client_new(o->socket, &c);
        if (r < 0 || wait_until_left(c, o, &before) < 0)
                return 1;
        tessera_client_free(c);
        cs = calloc(o->callers, sizeof(caller));
        if (!cs)
                return 1;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        pthread_barrier_init(&barrier, NULL, o->callers);
        for (unsigned i = 0; i < o->callers; i++) {
                cs[i] = (caller) { .o = o, .barrier = &barrier };
                r = pthread_create(&cs[i].thread, &attr, caller_main, &cs[i]);
                if (r != 0) {
                        fprintf(stderr, "flight: thread %u: %s\n", i, strerror(r));
                        exit(1);
                }
        }
        for (unsigned i = 0; i < o->callers; i++) {
                pthread_join(cs[i].thread, NULL);
                if (cs[i].result < 0) {
                        if (errors++ == 0)
                                first_error = cs[i].result;
                        continue;
                }
                ok++;
                (void) samples_add(&s, cs[i].ns);
                if (cs[i].hash == before)
                        same_as_before++;
                if (distinct == 0) {
                        first = cs[i].hash;
                        distinct = 1;
                } else if (cs[i].hash != first)
                        distinct++;     /* counts callers that differ from the first */
        }
        samples_sort(&s);
        printf("flight callers=%u ok=%u errors=%u first_error=%d distinct_tokens=%u old_token=%u "
               "p50_ms=%.2f max_ms=%.2f\n",
               o->callers, ok, errors, first_error, distinct, same_as_before,
               (double) samples_quantile(&s, 0.5) / 1e6, (double) samples_quantile(&s, 1.0) / 1e6);
        if (errors)
                fprintf(stderr, "flight: %u callers failed, first: %s\n", errors, tessera_strerror(first_error));
        samples_done(&s);
        pthread_barrier_destroy(&barrier);
        pthread_attr_destroy(&attr);
        free(cs);
        return errors || distinct != 1 || same_as_before ? 1 : 0;
}

/* ---- a refresh with rotation, forced by a caller ---- */

static int cmd_refresh(const opts *o) {
        tessera_client *c = NULL;
        samples s = {};
        bench_result res = { .rss_max_kb = -1 };
        unsigned not_refreshed = 0;
        uint64_t t_start = bench_now_ns();
        int r;

        r = tessera_client_new(o->socket, &c);
        if (r < 0)
                return 1;
        for (unsigned i = 0; i < o->samples; i++) {
                tessera_token *t = NULL;
                uint64_t before, t0, ns;

                if (wait_until_left(c, o, &before) < 0)
                        return 1;
                t0 = bench_now_ns();
                r = tessera_get_token(c, o->account, o->min_valid, &t);
                ns = bench_now_ns() - t0;
                if (r < 0) {
                        fprintf(stderr, "refresh: %s\n", tessera_strerror(r));
                        return 1;
                }
                if (token_hash(tessera_token_value(t)) == before)
                        not_refreshed++;
                else
                        (void) samples_add(&s, ns);
                tessera_token_free(t);
        }
        tessera_client_free(c);
        res.calls = o->samples;
        res.errors = not_refreshed;
        res.elapsed_s = (double) (bench_now_ns() - t_start) / 1e9;
        samples_sort(&s);
        res.lat = s;
        bench_print_result("refresh", NULL, &res);
        if (not_refreshed)
                fprintf(stderr, "refresh: %u of %u calls got the old token (no refresh happened)\n",
                        not_refreshed, o->samples);
        samples_done(&s);
        return not_refreshed ? 1 : 0;
}

int main(int argc, char **argv) {
        opts o = {
                .account = "default", .mode = "shared", .threads = 1, .count = 100,
                .callers = 1000, .samples = 5, .min_valid = 60, .when_left = 2,
                .req = 128, .resp = 512, .seconds = 3, .warmup = 0.3,
        };
        const char *cmd;

        if (argc < 2)
                usage();
        cmd = argv[1];
        parse_opts(argc, argv, &o);
        (void) signal(SIGPIPE, SIG_IGN);
        if (strcmp(cmd, "cached") == 0)
                return cmd_cached(&o);
        if (strcmp(cmd, "floor") == 0)
                return cmd_floor(&o);
        if (strcmp(cmd, "exec") == 0)
                return cmd_exec(&o);
        if (strcmp(cmd, "ready") == 0)
                return cmd_ready(&o);
        if (strcmp(cmd, "flight") == 0)
                return cmd_flight(&o);
        if (strcmp(cmd, "refresh") == 0)
                return cmd_refresh(&o);
        usage();
}
