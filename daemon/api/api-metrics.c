/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "api/api-metrics.h"
#include "core/account-sessions.h"
#include "core/manager.h"
#include "util/prom-writer.h"

/* Labels are the account's name (checked at load: [A-Za-z0-9_.-]), for
 * one person's session also its os_user and uid, and the fixed names of
 * account-metrics.h: never a token, a secret, a path or a query. */
#define ENTRY_LABELS_MAX 3
#define SAMPLE_LABELS_MAX (ENTRY_LABELS_MAX + 2)

/* One set of counters: a shared account, or one session of a per-user one. */
typedef struct metrics_entry {
        const account *a;
        prom_label labels[ENTRY_LABELS_MAX];
        size_t n_labels;
        char uid[16];
} metrics_entry;

/* A sample of e with up to two labels of its own. */
static void sample(prom_writer *w, const char *name, const char *suffix, const metrics_entry *e,
                   const prom_label *extra, size_t n_extra, const char *value) {
        prom_label l[SAMPLE_LABELS_MAX];
        size_t n = 0;

        for (size_t i = 0; i < e->n_labels; i++)
                l[n++] = e->labels[i];
        for (size_t i = 0; i < n_extra && n < ELEMENTSOF(l); i++)
                l[n++] = extra[i];
        prom_writer_sample(w, name, suffix, l, n, value);
}

static void sample_u64(prom_writer *w, const char *name, const metrics_entry *e, const char *label,
                       const char *label_value, uint64_t v) {
        prom_label extra = { label, label_value };
        char buf[24];

        (void) snprintf(buf, sizeof buf, "%" PRIu64, v);
        sample(w, name, NULL, e, &extra, label ? 1 : 0, buf);
}

static void write_state(prom_writer *w, const metrics_entry *e) {
        for (account_state s = 0; s < _ACCOUNT_STATE_MAX; s++)
                sample_u64(w, "tessera_account_state", e, "state", account_state_to_string(s), e->a->state == s);
}

static void write_expiry(prom_writer *w, const metrics_entry *e) {
        const session *s = e->a->session;

        if (s && s->expires_at > 0)
                sample_u64(w, "tessera_token_expiry_timestamp_seconds", e, NULL, NULL, (uint64_t) s->expires_at);
}

static void write_tokens_served(prom_writer *w, const metrics_entry *e) {
        sample_u64(w, "tessera_tokens_served_total", e, NULL, NULL, e->a->tokens_served);
}

static void write_refreshes(prom_writer *w, const metrics_entry *e) {
        for (refresh_result r = 0; r < _REFRESH_RESULT_MAX; r++)
                sample_u64(w, "tessera_refreshes_total", e, "result", refresh_result_to_string(r),
                           e->a->metrics.refreshes[r]);
}

static void write_refresh_duration(prom_writer *w, const metrics_entry *e) {
        const account_metrics *m = &e->a->metrics;
        const char *name = "tessera_refresh_duration_seconds";
        char le[PROM_SECONDS_MAX], buf[24];
        uint64_t total = 0;

        for (size_t i = 0; i <= ACCOUNT_REFRESH_BUCKETS; i++) {
                prom_label l = { "le", i < ACCOUNT_REFRESH_BUCKETS
                                       ? prom_format_usec(account_refresh_bucket_usec[i], le) : "+Inf" };

                total += m->refresh_buckets[i];
                (void) snprintf(buf, sizeof buf, "%" PRIu64, total);
                sample(w, name, "_bucket", e, &l, 1, buf);
        }
        sample(w, name, "_sum", e, NULL, 0, prom_format_usec(m->refresh_usec_sum, le));
        (void) snprintf(buf, sizeof buf, "%" PRIu64, total);
        sample(w, name, "_count", e, NULL, 0, buf);
}

static void write_idp_errors(prom_writer *w, const metrics_entry *e) {
        for (idp_error_kind k = 0; k < _IDP_ERROR_KIND_MAX; k++)
                sample_u64(w, "tessera_idp_errors_total", e, "kind", idp_error_kind_to_string(k),
                           e->a->metrics.idp_errors[k]);
}

static void write_gateway_requests(prom_writer *w, const metrics_entry *e) {
        for (http_code_class c = 0; c < _HTTP_CODE_CLASS_MAX; c++)
                sample_u64(w, "tessera_gateway_requests_total", e, "code_class", http_code_class_to_string(c),
                           e->a->metrics.gateway_requests[c]);
}

static void write_logins(prom_writer *w, const metrics_entry *e) {
        char buf[24];

        for (account_login_flow f = 0; f < _ACCOUNT_LOGIN_FLOW_MAX; f++)
                for (int ok = 1; ok >= 0; ok--) {
                        prom_label l[2] = {
                                { "flow", account_login_flow_to_string(f) },
                                { "result", ok ? "success" : "failure" },
                        };

                        (void) snprintf(buf, sizeof buf, "%" PRIu64, e->a->metrics.logins[f][ok]);
                        sample(w, "tessera_logins_total", NULL, e, l, 2, buf);
                }
}

/* The 429 pause belongs to the configured account: its sessions share it. */
static void write_pauses(prom_writer *w, const metrics_entry *e) {
        if (!e->a->parent)
                sample_u64(w, "tessera_rate_limit_pauses_total", e, NULL, NULL, e->a->metrics.rate_limit_pauses);
}

static void write_pause_seconds(prom_writer *w, const metrics_entry *e) {
        char buf[PROM_SECONDS_MAX];

        if (!e->a->parent)
                sample(w, "tessera_rate_limit_pause_seconds_total", NULL, e, NULL, 0,
                       prom_format_usec(e->a->metrics.rate_limit_pause_usec, buf));
}

static const struct {
        const char *name, *type, *help;
        void (*write)(prom_writer *w, const metrics_entry *e);
} families[] = {
        { "tessera_account_state", "gauge", "1 for the account's (or session's) current state, 0 for the others.",
          write_state },
        { "tessera_token_expiry_timestamp_seconds", "gauge", "When the current access token expires (unix time).",
          write_expiry },
        { "tessera_tokens_served_total", "counter", "Access tokens handed to callers.", write_tokens_served },
        { "tessera_refreshes_total", "counter",
          "Token refreshes at the identity provider: success, rejected (a new login is needed), failed (retried).",
          write_refreshes },
        { "tessera_refresh_duration_seconds", "histogram", "How long token refreshes took.",
          write_refresh_duration },
        { "tessera_idp_errors_total", "counter", "Failed requests to the identity provider, by kind.",
          write_idp_errors },
        { "tessera_gateway_requests_total", "counter",
          "API gateway calls by the status class the caller got; error: no answer reached it.",
          write_gateway_requests },
        { "tessera_logins_total", "counter", "Logins that ended, by flow and result.", write_logins },
        { "tessera_rate_limit_pauses_total", "counter", "Pauses of all API calls of the account after a 429.",
          write_pauses },
        { "tessera_rate_limit_pause_seconds_total", "counter", "Time the account's API calls were paused by 429s.",
          write_pause_seconds },
};

static void entry_init(metrics_entry *e, const account *a) {
        *e = (metrics_entry) { .a = a };
        e->labels[e->n_labels++] = (prom_label) { "account", a->conf->name };
        if (!a->parent)
                return;
        (void) snprintf(e->uid, sizeof e->uid, "%u", (unsigned) a->uid);
        e->labels[e->n_labels++] = (prom_label) { "os_user", a->os_user ?: e->uid };
        e->labels[e->n_labels++] = (prom_label) { "uid", e->uid };
}

/* Every configured account, and each session of a per-user one. */
static int collect_entries(const manager *m, metrics_entry **ret, size_t *ret_n) {
        metrics_entry *entries;
        size_t n = 0, k = 0;

        for (size_t i = 0; i < m->n_accounts; i++)
                n += 1 + (account_is_per_user(m->accounts[i]) ? m->accounts[i]->n_sessions : 0);
        entries = calloc(MAX(n, (size_t) 1), sizeof *entries);
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_accounts; i++) {
                const account *a = m->accounts[i];

                entry_init(&entries[k++], a);
                if (account_is_per_user(a))
                        for (size_t j = 0; j < a->n_sessions; j++)
                                entry_init(&entries[k++], a->sessions[j]);
        }
        *ret = entries;
        *ret_n = k;
        return 0;
}

/* A per-user account's own entry holds only what the sessions share. */
static bool entry_has_family(const metrics_entry *e, size_t family) {
        bool shared_only = account_is_per_user(e->a) && !e->a->parent;
        bool is_pause = families[family].write == write_pauses || families[family].write == write_pause_seconds;

        return !shared_only || is_pause;
}

static void write_daemon(prom_writer *w, const manager *m) {
        uint64_t mono = 0, real = 0, up;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &mono);
        (void) sd_event_now(m->event, CLOCK_REALTIME, &real);
        up = mono > m->started_usec ? mono - m->started_usec : 0;

        prom_writer_family(w, "tessera_uptime_seconds", "gauge", "Seconds since tesserad started.");
        prom_writer_sample_usec(w, "tessera_uptime_seconds", NULL, NULL, 0, up);
        prom_writer_family(w, "tessera_start_time_seconds", "gauge", "When tesserad started (unix time).");
        prom_writer_sample_u64(w, "tessera_start_time_seconds", NULL, NULL, 0,
                               (real > up ? real - up : 0) / USEC_PER_SEC);
        prom_writer_family(w, "tessera_build_info", "gauge", "tesserad's version, in the label; always 1.");
        prom_writer_sample_u64(w, "tessera_build_info", NULL, &(prom_label) { "version", PACKAGE_VERSION }, 1, 1);
}

int api_handle_metrics(api_request *r) {
        _cleanup_(freep) metrics_entry *entries = NULL;
        const manager *m = r->manager;
        prom_writer w;
        char *body = NULL;
        size_t n = 0, len = 0;
        int k;

        k = collect_entries(m, &entries, &n);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "internal_error",
                                               "cannot build the metrics: %s", strerror(-k));

        prom_writer_init(&w);
        write_daemon(&w, m);
        /* The format wants each family's samples together. */
        for (size_t f = 0; f < ELEMENTSOF(families); f++) {
                prom_writer_family(&w, families[f].name, families[f].type, families[f].help);
                for (size_t i = 0; i < n; i++)
                        if (entry_has_family(&entries[i], f))
                                families[f].write(&w, &entries[i]);
        }
        k = prom_writer_finish(&w, &body, &len);
        prom_writer_done(&w);
        if (k < 0)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                               "cannot build the metrics: %s", strerror(-k));
        return api_request_reply_typed(r, MHD_HTTP_OK, body, len, PROM_CONTENT_TYPE);
}
