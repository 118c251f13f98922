/* SPDX-License-Identifier: MIT */
/* oidc-agent-bench: the same measurements as tessera-bench, through
 * liboidc-agent (Debian liboidc-agent-dev), for the side-by-side run.
 *
 *   oidc-agent-bench cached  --account A [--threads N] [--seconds T] [--min-valid M] [--watch-pid PID]
 *   oidc-agent-bench refresh --account A [--samples N]
 *
 * The agent is found through $OIDC_SOCK, as for every oidc-agent client.
 * "refresh" asks for a new access token whatever the cached one
 * (min_valid_period -1, what oidc-token --force-new sends), which makes
 * the agent use and rotate the refresh token. Tokens are never printed. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oidc-agent/api.h>

#include "bench-util.h"

#define FORCE_NEW ((time_t) -1)

typedef struct opts {
        const char *account;
        unsigned threads, samples;
        int min_valid;
        double seconds, warmup;
        pid_t watch_pid;
} opts;

static _Noreturn void usage(void) {
        fputs("usage: oidc-agent-bench cached|refresh --account A [--threads N] [--seconds T]\n"
              "                        [--min-valid M] [--samples N] [--watch-pid PID]\n", stderr);
        exit(2);
}

static uint64_t token_hash(const char *s) {
        uint64_t h = 1469598103934665603ULL;

        for (; s && *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

/* 0 and the token's hash, or -EIO (the agent's message on stderr once). */
static int get_token(const opts *o, time_t min_valid, uint64_t *ret_hash) {
        struct agent_response r = getAgentTokenResponse(o->account, min_valid, NULL, "tessera-bench", NULL);
        int ret = 0;

        if (r.type != AGENT_RESPONSE_TYPE_TOKEN || !r.token_response.token || !r.token_response.token[0]) {
                static int reported;
                if (!reported++)
                        fprintf(stderr, "oidc-agent: %s\n",
                                r.type == AGENT_RESPONSE_TYPE_ERROR && r.error_response.error ?
                                r.error_response.error : "no token");
                ret = -EIO;
        } else if (ret_hash)
                *ret_hash = token_hash(r.token_response.token);
        secFreeAgentResponse(r);
        return ret;
}

static int cached_call(void *p, unsigned idx) {
        const opts *o = p;

        return get_token(o, (time_t) o->min_valid, NULL);
}

static int cmd_cached(const opts *o) {
        bench_load l = {
                .threads = o->threads, .seconds = o->seconds, .warmup_seconds = o->warmup,
                .watch_pid = o->watch_pid, .call = cached_call, .ctx = (void *) o,
                /* liboidc-agent is not thread-safe (with 8 threads, calls fail
                 * with "did not receive any response" and some hang): one
                 * process per client. */
                .processes = true,
        };
        bench_result res;
        char extra[64];
        int r;

        if (get_token(o, (time_t) o->min_valid, NULL) < 0)
                return 1;
        r = bench_run_load(&l, &res);
        if (r < 0)
                return 1;
        /* liboidc-agent opens a new connection for every call: "new-conn". */
        snprintf(extra, sizeof(extra), "mode=new-conn processes=%u", o->threads);
        bench_print_result("oidc-cached", extra, &res);
        r = res.errors ? 1 : 0;
        bench_result_done(&res);
        return r;
}

static int cmd_refresh(const opts *o) {
        samples s = {};
        bench_result res = { .rss_max_kb = -1 };
        unsigned not_new = 0;
        uint64_t t_start = bench_now_ns(), before = 0, after = 0;

        if (get_token(o, 1, &before) < 0)
                return 1;
        for (unsigned i = 0; i < o->samples; i++) {
                uint64_t t0 = bench_now_ns(), ns;

                if (get_token(o, FORCE_NEW, &after) < 0)
                        return 1;
                ns = bench_now_ns() - t0;
                if (after == before)
                        not_new++;
                else
                        (void) samples_add(&s, ns);
                before = after;
        }
        res.calls = o->samples;
        res.errors = not_new;
        res.elapsed_s = (double) (bench_now_ns() - t_start) / 1e9;
        samples_sort(&s);
        res.lat = s;
        bench_print_result("oidc-refresh", NULL, &res);
        if (not_new)
                fprintf(stderr, "oidc-refresh: %u of %u calls returned the old token\n", not_new, o->samples);
        samples_done(&s);
        return not_new ? 1 : 0;
}

int main(int argc, char **argv) {
        opts o = { .threads = 1, .samples = 5, .min_valid = 60, .seconds = 3, .warmup = 0.3 };

        if (argc < 2)
                usage();
        for (int i = 2; i < argc; i += 2) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

                if (!v)
                        usage();
                if (strcmp(a, "--account") == 0)
                        o.account = v;
                else if (strcmp(a, "--threads") == 0)
                        o.threads = bench_parse_uint(a, v);
                else if (strcmp(a, "--samples") == 0)
                        o.samples = bench_parse_uint(a, v);
                else if (strcmp(a, "--min-valid") == 0)
                        o.min_valid = (int) bench_parse_uint(a, v);
                else if (strcmp(a, "--seconds") == 0)
                        o.seconds = bench_parse_double(a, v);
                else if (strcmp(a, "--warmup") == 0)
                        o.warmup = bench_parse_double(a, v);
                else if (strcmp(a, "--watch-pid") == 0)
                        o.watch_pid = (pid_t) bench_parse_uint(a, v);
                else
                        usage();
        }
        if (!o.account)
                usage();
        if (strcmp(argv[1], "cached") == 0)
                return cmd_cached(&o);
        if (strcmp(argv[1], "refresh") == 0)
                return cmd_refresh(&o);
        usage();
}
