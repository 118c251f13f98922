/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared pieces of the benchmark programs: a monotonic clock, latency
 * samples and their percentiles, a closed-loop load driver (N threads for
 * T seconds), reading a process's memory from /proc, and the one-line
 * "name key=value ..." output that run-bench parses. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

uint64_t bench_now_ns(void);

typedef struct samples {
        uint64_t *v;            /* nanoseconds */
        size_t n, cap;
} samples;

int samples_add(samples *s, uint64_t ns);
int samples_merge(samples *into, const samples *from);
void samples_sort(samples *s);
/* q in [0, 1]; the samples must be sorted; 0 when there are none. */
uint64_t samples_quantile(const samples *s, double q);
double samples_mean(const samples *s);
void samples_done(samples *s);

/* One call of the measured operation by worker `idx`; 0 on success. A
 * non-zero return is counted as an error and its latency is not kept. */
typedef int (*bench_call_fn)(void *ctx, unsigned idx);
/* Per-worker setup and teardown, outside the measured window (may be NULL). */
typedef int (*bench_setup_fn)(void *ctx, unsigned idx);
typedef void (*bench_teardown_fn)(void *ctx, unsigned idx);

typedef struct bench_load {
        unsigned threads;
        double seconds;
        double warmup_seconds;  /* calls made but not recorded */
        pid_t watch_pid;        /* > 0: sample its VmRSS while the load runs */
        bool processes;         /* workers are forked processes, not threads */
        bench_call_fn call;
        bench_setup_fn setup;
        bench_teardown_fn teardown;
        void *ctx;
} bench_load;

typedef struct bench_result {
        uint64_t calls, errors;
        int first_error;
        double elapsed_s;
        samples lat;            /* sorted */
        long rss_max_kb;        /* of watch_pid during the run, -1 if unknown */
} bench_result;

int bench_run_load(const bench_load *l, bench_result *ret);
/* Prints "NAME calls=.. errors=.. rate=.. p50_us=.. p99_us=.. p999_us=.. ..." */
void bench_print_result(const char *name, const char *extra, const bench_result *r);
void bench_result_done(bench_result *r);

/* kB from /proc/PID/status (field "VmRSS:", "VmHWM:") or smaps_rollup
 * ("Pss:", "Private_Dirty:" ...); -1 if unreadable. */
long bench_proc_kb(pid_t pid, const char *file, const char *field);

/* Raises RLIMIT_NOFILE's soft limit to its hard limit. */
void bench_raise_nofile(void);

/* Parses a positive number; exits with a usage message on garbage. */
unsigned bench_parse_uint(const char *opt, const char *s);
double bench_parse_double(const char *opt, const char *s);
