/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

uint64_t bench_now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

int samples_add(samples *s, uint64_t ns) {
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 4096;
                uint64_t *v = realloc(s->v, cap * sizeof(uint64_t));

                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = ns;
        return 0;
}

int samples_merge(samples *into, const samples *from) {
        for (size_t i = 0; i < from->n; i++) {
                int r = samples_add(into, from->v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

void samples_sort(samples *s) {
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(uint64_t), cmp_u64);
}

uint64_t samples_quantile(const samples *s, double q) {
        size_t i;

        if (s->n == 0)
                return 0;
        /* Nearest rank: the smallest sample with at least q of all at or below it. */
        i = (size_t) (q * (double) s->n + 0.999999);
        if (i > 0)
                i--;
        if (i >= s->n)
                i = s->n - 1;
        return s->v[i];
}

double samples_mean(const samples *s) {
        double sum = 0;

        if (s->n == 0)
                return 0;
        for (size_t i = 0; i < s->n; i++)
                sum += (double) s->v[i];
        return sum / (double) s->n;
}

void samples_done(samples *s) {
        free(s->v);
        *s = (samples) {};
}

typedef struct worker {
        const bench_load *load;
        unsigned idx;
        pthread_t thread;
        pthread_barrier_t *barrier;
        atomic_int *phase;      /* 0 warm-up, 1 recording, 2 stop */
        samples lat;
        uint64_t calls, errors;
        int first_error;
        int setup_error;
} worker;

static void *worker_main(void *p) {
        worker *w = p;
        const bench_load *l = w->load;

        if (l->setup)
                w->setup_error = l->setup(l->ctx, w->idx);
        pthread_barrier_wait(w->barrier);
        if (w->setup_error)
                return NULL;
        for (;;) {
                int phase = atomic_load_explicit(w->phase, memory_order_relaxed);
                uint64_t t0, t1;
                int r;

                if (phase == 2)
                        break;
                t0 = bench_now_ns();
                r = l->call(l->ctx, w->idx);
                t1 = bench_now_ns();
                if (phase != 1)
                        continue;
                w->calls++;
                if (r != 0) {
                        if (w->errors++ == 0)
                                w->first_error = r;
                        continue;
                }
                if (samples_add(&w->lat, t1 - t0) < 0) {
                        w->errors++;
                        w->first_error = -ENOMEM;
                }
        }
        if (l->teardown)
                l->teardown(l->ctx, w->idx);
        return NULL;
}

static void sleep_ns(uint64_t ns) {
        struct timespec ts = { .tv_sec = (time_t) (ns / 1000000000ULL), .tv_nsec = (long) (ns % 1000000000ULL) };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- workers as processes, for client libraries that are not thread-safe ---- */

#define PROC_SAMPLES_MAX (1U << 18)

typedef struct proc_slot {
        uint64_t calls, errors, n;
        int first_error;
        int setup_error;
        int ready;
} proc_slot;

typedef struct proc_shared {
        atomic_int phase;       /* -1 wait, 0 warm-up, 1 recording, 2 stop */
        proc_slot slot[];
} proc_shared;

static _Noreturn void proc_worker(const bench_load *l, proc_shared *sh, uint64_t *lat, unsigned idx) {
        proc_slot *s = &sh->slot[idx];

        /* A call that never returns must not hang the run. */
        alarm((unsigned) (l->warmup_seconds + l->seconds) + 30);
        s->setup_error = l->setup ? l->setup(l->ctx, idx) : 0;
        __atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
        if (s->setup_error)
                _exit(1);
        while (atomic_load(&sh->phase) < 0)
                usleep(100);
        for (;;) {
                int phase = atomic_load_explicit(&sh->phase, memory_order_relaxed);
                uint64_t t0, t1;
                int r;

                if (phase == 2)
                        break;
                t0 = bench_now_ns();
                r = l->call(l->ctx, idx);
                t1 = bench_now_ns();
                if (phase != 1)
                        continue;
                s->calls++;
                if (r != 0) {
                        if (s->errors++ == 0)
                                s->first_error = r;
                } else if (s->n < PROC_SAMPLES_MAX)
                        lat[s->n++] = t1 - t0;
        }
        if (l->teardown)
                l->teardown(l->ctx, idx);
        _exit(0);
}

static int run_load_procs(const bench_load *l, bench_result *ret) {
        size_t shsize = sizeof(proc_shared) + l->threads * sizeof(proc_slot);
        size_t latsize = (size_t) l->threads * PROC_SAMPLES_MAX * sizeof(uint64_t);
        bench_result res = { .rss_max_kb = -1 };
        proc_shared *sh;
        uint64_t *lat, start, end, deadline;
        pid_t *pids;
        int r = 0;

        sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        lat = mmap(NULL, latsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pids = calloc(l->threads, sizeof(pid_t));
        if (sh == MAP_FAILED || lat == MAP_FAILED || !pids)
                return -ENOMEM;
        atomic_store(&sh->phase, -1);
        fflush(NULL);
        for (unsigned i = 0; i < l->threads; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        fprintf(stderr, "cannot fork worker %u: %s\n", i, strerror(errno));
                        exit(1);
                }
                if (pids[i] == 0)
                        proc_worker(l, sh, lat + (size_t) i * PROC_SAMPLES_MAX, i);
        }
        for (unsigned i = 0; i < l->threads; i++)
                while (!__atomic_load_n(&sh->slot[i].ready, __ATOMIC_ACQUIRE))
                        usleep(1000);
        atomic_store(&sh->phase, 0);
        sleep_ns((uint64_t) (l->warmup_seconds * 1e9));
        atomic_store(&sh->phase, 1);
        start = bench_now_ns();
        deadline = start + (uint64_t) (l->seconds * 1e9);
        for (;;) {
                uint64_t now = bench_now_ns();

                if (l->watch_pid > 0) {
                        long kb = bench_proc_kb(l->watch_pid, "status", "VmRSS:");
                        if (kb > res.rss_max_kb)
                                res.rss_max_kb = kb;
                }
                if (now >= deadline)
                        break;
                sleep_ns(deadline - now < 20000000ULL ? deadline - now : 20000000ULL);
        }
        atomic_store(&sh->phase, 2);
        end = bench_now_ns();
        for (unsigned i = 0; i < l->threads; i++) {
                proc_slot *s = &sh->slot[i];
                int status = 0;

                while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
                        ;
                if (s->setup_error && r == 0)
                        r = s->setup_error;
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        /* Killed by its alarm: a call hung. */
                        if (res.errors == 0)
                                res.first_error = -ETIMEDOUT;
                        res.errors++;
                }
                res.calls += s->calls;
                if (s->errors && res.errors == 0)
                        res.first_error = s->first_error;
                res.errors += s->errors;
                for (uint64_t k = 0; k < s->n && r == 0; k++)
                        if (samples_add(&res.lat, lat[(size_t) i * PROC_SAMPLES_MAX + k]) < 0)
                                r = -ENOMEM;
        }
        munmap(sh, shsize);
        munmap(lat, latsize);
        free(pids);
        res.elapsed_s = (double) (end - start) / 1e9;
        samples_sort(&res.lat);
        if (r < 0) {
                samples_done(&res.lat);
                return r;
        }
        *ret = res;
        return 0;
}

int bench_run_load(const bench_load *l, bench_result *ret) {
        pthread_barrier_t barrier;
        atomic_int phase = 0;
        worker *w;
        bench_result res = { .rss_max_kb = -1 };
        uint64_t start, end, deadline;
        unsigned started = 0;
        int r = 0;

        if (l->processes)
                return run_load_procs(l, ret);
        w = calloc(l->threads, sizeof(worker));
        if (!w)
                return -ENOMEM;
        pthread_barrier_init(&barrier, NULL, l->threads + 1);
        for (unsigned i = 0; i < l->threads; i++) {
                w[i] = (worker) { .load = l, .idx = i, .barrier = &barrier, .phase = &phase };
                r = -pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
                if (r < 0) {
                        fprintf(stderr, "cannot start thread %u: %s\n", i, strerror(-r));
                        exit(1);
                }
                started++;
        }
        pthread_barrier_wait(&barrier);
        sleep_ns((uint64_t) (l->warmup_seconds * 1e9));
        atomic_store(&phase, 1);
        start = bench_now_ns();
        deadline = start + (uint64_t) (l->seconds * 1e9);
        for (;;) {
                uint64_t now = bench_now_ns();

                if (l->watch_pid > 0) {
                        long kb = bench_proc_kb(l->watch_pid, "status", "VmRSS:");
                        if (kb > res.rss_max_kb)
                                res.rss_max_kb = kb;
                }
                if (now >= deadline)
                        break;
                /* RSS every 20 ms is often enough to catch the peak of a steady load. */
                sleep_ns(deadline - now < 20000000ULL ? deadline - now : 20000000ULL);
        }
        atomic_store(&phase, 2);
        end = bench_now_ns();
        for (unsigned i = 0; i < started; i++) {
                pthread_join(w[i].thread, NULL);
                if (w[i].setup_error && r == 0)
                        r = w[i].setup_error;
                res.calls += w[i].calls;
                if (w[i].errors && res.errors == 0)
                        res.first_error = w[i].first_error;
                res.errors += w[i].errors;
                if (samples_merge(&res.lat, &w[i].lat) < 0 && r == 0)
                        r = -ENOMEM;
                samples_done(&w[i].lat);
        }
        pthread_barrier_destroy(&barrier);
        free(w);
        res.elapsed_s = (double) (end - start) / 1e9;
        samples_sort(&res.lat);
        if (r < 0) {
                samples_done(&res.lat);
                return r;
        }
        *ret = res;
        return 0;
}

void bench_print_result(const char *name, const char *extra, const bench_result *r) {
        printf("%s%s%s calls=%" PRIu64 " errors=%" PRIu64 " first_error=%d seconds=%.3f rate=%.0f "
               "mean_us=%.2f p50_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f rss_max_kb=%ld\n",
               name, extra ? " " : "", extra ?: "",
               r->calls, r->errors, r->first_error, r->elapsed_s,
               r->elapsed_s > 0 ? (double) (r->calls - r->errors) / r->elapsed_s : 0.0,
               samples_mean(&r->lat) / 1e3,
               (double) samples_quantile(&r->lat, 0.50) / 1e3,
               (double) samples_quantile(&r->lat, 0.90) / 1e3,
               (double) samples_quantile(&r->lat, 0.99) / 1e3,
               (double) samples_quantile(&r->lat, 0.999) / 1e3,
               (double) samples_quantile(&r->lat, 1.0) / 1e3,
               r->rss_max_kb);
        fflush(stdout);
}

void bench_result_done(bench_result *r) {
        samples_done(&r->lat);
}

long bench_proc_kb(pid_t pid, const char *file, const char *field) {
        char path[64], line[256];
        size_t flen = strlen(field);
        long kb = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, field, flen) == 0) {
                        kb = strtol(line + flen, NULL, 10);
                        break;
                }
        fclose(f);
        return kb;
}

void bench_raise_nofile(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

unsigned bench_parse_uint(const char *opt, const char *s) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s ?: "", &end, 10);
        if (errno || !s || end == s || *end || v == 0 || v > 1000000) {
                fprintf(stderr, "%s: expected a number from 1 to 1000000, got '%s'\n", opt, s ?: "");
                exit(2);
        }
        return (unsigned) v;
}

double bench_parse_double(const char *opt, const char *s) {
        char *end;
        double v;

        errno = 0;
        v = strtod(s ?: "", &end);
        if (errno || !s || end == s || *end || !(v >= 0 && v <= 3600)) {
                fprintf(stderr, "%s: expected seconds from 0 to 3600, got '%s'\n", opt, s ?: "");
                exit(2);
        }
        return v;
}
