/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/prom-writer.h"
#include "util/util.h"
#include "tests.h"

static char *render(prom_writer *w, int want) {
        char *text = NULL;
        size_t len = 0;

        CHECK_R(prom_writer_finish(w, &text, &len), want);
        prom_writer_done(w);
        if (want < 0)
                return NULL;
        CHECK(text && strlen(text) == len);
        return text;
}

static void test_format(void) {
        prom_label l[] = {
                { "account", "default" },
                { "os_user", NULL },            /* left out */
                { "kind", "a\"b\\c\nd" },
        };
        prom_writer w;
        char *text;

        prom_writer_init(&w);
        prom_writer_family(&w, "tessera_x_total", "counter", "Help with \\ and\nnewline \"quoted\".");
        prom_writer_sample_u64(&w, "tessera_x_total", NULL, l, ELEMENTSOF(l), 42);
        prom_writer_sample_u64(&w, "tessera_x_total", "", NULL, 0, 0);
        prom_writer_family(&w, "tessera_d_seconds", "histogram", "");
        prom_writer_sample(&w, "tessera_d_seconds", "_bucket", &(prom_label) { "le", "+Inf" }, 1, "3");
        prom_writer_sample_usec(&w, "tessera_d_seconds", "_sum", l, 1, 2500001);
        text = render(&w, 0);
        CHECK_STREQ(text,
                    "# HELP tessera_x_total Help with \\\\ and\\nnewline \"quoted\".\n"
                    "# TYPE tessera_x_total counter\n"
                    "tessera_x_total{account=\"default\",kind=\"a\\\"b\\\\c\\nd\"} 42\n"
                    "tessera_x_total 0\n"
                    "# HELP tessera_d_seconds \n"
                    "# TYPE tessera_d_seconds histogram\n"
                    "tessera_d_seconds_bucket{le=\"+Inf\"} 3\n"
                    "tessera_d_seconds_sum{account=\"default\"} 2.500001\n");
        free(text);

        /* Nothing written: an empty text, not NULL. */
        prom_writer_init(&w);
        text = render(&w, 0);
        CHECK_STREQ(text, "");
        free(text);
}

static void test_bad_names(void) {
        prom_writer w;

        prom_writer_init(&w);
        prom_writer_family(&w, "9lives", "counter", "x");
        render(&w, -EINVAL);

        prom_writer_init(&w);
        prom_writer_sample_u64(&w, "ok", NULL, &(prom_label) { "bad-label", "v" }, 1, 1);
        render(&w, -EINVAL);

        prom_writer_init(&w);
        prom_writer_sample_u64(&w, "ok", NULL, &(prom_label) { "__reserved", "v" }, 1, 1);
        render(&w, -EINVAL);

        prom_writer_init(&w);
        prom_writer_sample(&w, "ok", "_bucket{", NULL, 0, "1");
        render(&w, -EINVAL);

        prom_writer_init(&w);
        prom_writer_sample(&w, "ok", NULL, NULL, 0, "");
        render(&w, -EINVAL);

        /* Sticky: a good sample after a bad one does not clear it. */
        prom_writer_init(&w);
        prom_writer_family(&w, "bad name", "gauge", "x");
        prom_writer_sample_u64(&w, "good", NULL, NULL, 0, 1);
        render(&w, -EINVAL);

        CHECK(prom_metric_name_is_valid("tessera:rule_x9"));
        CHECK(prom_metric_name_is_valid("_x"));
        CHECK(!prom_metric_name_is_valid(""));
        CHECK(!prom_metric_name_is_valid(NULL));
        CHECK(!prom_metric_name_is_valid("a.b"));
        CHECK(prom_label_name_is_valid("os_user"));
        CHECK(!prom_label_name_is_valid("a:b"));
        CHECK(!prom_label_name_is_valid("1a"));
}

static void test_seconds(void) {
        char buf[PROM_SECONDS_MAX];

        CHECK_STREQ(prom_format_usec(0, buf), "0");
        CHECK_STREQ(prom_format_usec(5000, buf), "0.005");
        CHECK_STREQ(prom_format_usec(10000, buf), "0.01");
        CHECK_STREQ(prom_format_usec(250000, buf), "0.25");
        CHECK_STREQ(prom_format_usec(1000000, buf), "1");
        CHECK_STREQ(prom_format_usec(2500000, buf), "2.5");
        CHECK_STREQ(prom_format_usec(30000000, buf), "30");
        CHECK_STREQ(prom_format_usec(1, buf), "0.000001");
        CHECK_STREQ(prom_format_usec(123456789, buf), "123.456789");
        CHECK_STREQ(prom_format_usec(UINT64_MAX, buf), "18446744073709.551615");
}

int main(void) {
        test_format();
        test_bad_names();
        test_seconds();
        return 0;
}
