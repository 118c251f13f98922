/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/prom-writer.h"
#include "util/util.h"

/* Per-user accounts with many sessions stay far below this. */
#define PROM_WRITER_SIZE_MAX (16U * 1024U * 1024U)

void prom_writer_init(prom_writer *w) {
        *w = (prom_writer) { .out = GROWBUF_INIT(PROM_WRITER_SIZE_MAX, false) };
        growbuf_set_initial(&w->out, 16384);
}

void prom_writer_done(prom_writer *w) {
        growbuf_done(&w->out);
}

static void fail(prom_writer *w, int error) {
        if (!w->error)
                w->error = error;
}

static void put(prom_writer *w, const char *s, size_t n) {
        if (!w->error)
                w->error = growbuf_append(&w->out, s, n);
}

static void put_str(prom_writer *w, const char *s) {
        put(w, s, strlen(s));
}

/* Backslash and newline always; the double quote inside label values. */
static void put_escaped(prom_writer *w, const char *s, bool quote) {
        const char *run = s;

        for (; *s; s++) {
                const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : *s == '"' && quote ? "\\\"" : NULL;

                if (!esc)
                        continue;
                put(w, run, (size_t) (s - run));
                put_str(w, esc);
                run = s + 1;
        }
        put(w, run, (size_t) (s - run));
}

static bool name_is_valid(const char *s, bool colon) {
        if (!s || !*s)
                return false;
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];

                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':'))
                        continue;
                if (i > 0 && c >= '0' && c <= '9')
                        continue;
                return false;
        }
        return true;
}

bool prom_metric_name_is_valid(const char *s) {
        return name_is_valid(s, true);
}

bool prom_label_name_is_valid(const char *s) {
        /* Names starting with __ are reserved for Prometheus itself. */
        return name_is_valid(s, false) && !startswith(s, "__");
}

void prom_writer_family(prom_writer *w, const char *name, const char *type, const char *help) {
        if (!prom_metric_name_is_valid(name) || !name_is_valid(type, false)) {
                fail(w, -EINVAL);
                return;
        }
        put_str(w, "# HELP ");
        put_str(w, name);
        put_str(w, " ");
        put_escaped(w, strempty(help), false);
        put_str(w, "\n# TYPE ");
        put_str(w, name);
        put_str(w, " ");
        put_str(w, type);
        put_str(w, "\n");
}

void prom_writer_sample(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                        size_t n, const char *value) {
        bool first = true;

        if (!prom_metric_name_is_valid(name) || (!isempty(suffix) && !name_is_valid(suffix, true)) ||
            isempty(value)) {
                fail(w, -EINVAL);
                return;
        }
        put_str(w, name);
        put_str(w, strempty(suffix));
        for (size_t i = 0; i < n; i++) {
                if (!labels[i].value)
                        continue;
                if (!prom_label_name_is_valid(labels[i].name)) {
                        fail(w, -EINVAL);
                        return;
                }
                put_str(w, first ? "{" : ",");
                put_str(w, labels[i].name);
                put_str(w, "=\"");
                put_escaped(w, labels[i].value, true);
                put_str(w, "\"");
                first = false;
        }
        if (!first)
                put_str(w, "}");
        put_str(w, " ");
        put_str(w, value);
        put_str(w, "\n");
}

void prom_writer_sample_u64(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                            size_t n, uint64_t value) {
        char buf[24];

        (void) snprintf(buf, sizeof buf, "%" PRIu64, value);
        prom_writer_sample(w, name, suffix, labels, n, buf);
}

void prom_writer_sample_usec(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                             size_t n, uint64_t usec) {
        char buf[PROM_SECONDS_MAX];

        prom_writer_sample(w, name, suffix, labels, n, prom_format_usec(usec, buf));
}

const char *prom_format_usec(uint64_t usec, char buf[static PROM_SECONDS_MAX]) {
        uint64_t frac = usec % USEC_PER_SEC;
        int digits = 6;

        if (frac == 0) {
                (void) snprintf(buf, PROM_SECONDS_MAX, "%" PRIu64, usec / USEC_PER_SEC);
                return buf;
        }
        while (frac % 10 == 0) {
                frac /= 10;
                digits--;
        }
        (void) snprintf(buf, PROM_SECONDS_MAX, "%" PRIu64 ".%0*" PRIu64, usec / USEC_PER_SEC, digits, frac);
        return buf;
}

int prom_writer_finish(prom_writer *w, char **ret, size_t *ret_len) {
        if (w->error)
                return w->error;
        if (!w->out.data)
                put(w, "", 0);
        if (w->error)
                return w->error;
        *ret = growbuf_steal(&w->out, ret_len);
        return 0;
}
