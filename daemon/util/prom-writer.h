/* SPDX-License-Identifier: MIT */
#pragma once

/* The Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" lines, then samples `name{label="value",...} value`. Label
 * values and help texts are escaped as the format says, so a value cannot
 * end its label or the line. Names are checked (a bad one is a bug of the
 * caller): errors are sticky, checked once at the end. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/growbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_SECONDS_MAX 32     /* prom_format_usec()'s buffer */

typedef struct prom_label {
        const char *name;
        const char *value;      /* NULL: the label is left out */
} prom_label;

typedef struct prom_writer {
        growbuf out;
        int error;              /* first error, sticky */
} prom_writer;

void prom_writer_init(prom_writer *w);
void prom_writer_done(prom_writer *w);

/* The HELP and TYPE lines of a metric family (type: "counter", "gauge",
 * "histogram"...); its samples must follow before the next family. */
void prom_writer_family(prom_writer *w, const char *name, const char *type, const char *help);

/* One sample of name plus suffix ("" or e.g. "_bucket"), with n labels and
 * a value already formatted (a number). */
void prom_writer_sample(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                        size_t n, const char *value);
void prom_writer_sample_u64(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                            size_t n, uint64_t value);
/* usec as seconds, see prom_format_usec(). */
void prom_writer_sample_usec(prom_writer *w, const char *name, const char *suffix, const prom_label *labels,
                             size_t n, uint64_t usec);

/* Hands out the NUL-terminated text (free() it), or the first error:
 * -EINVAL for a bad name, -E2BIG past the size limit, -ENOMEM. */
int prom_writer_finish(prom_writer *w, char **ret, size_t *ret_len);

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, without ':' for labels. */
bool prom_metric_name_is_valid(const char *s);
bool prom_label_name_is_valid(const char *s);

/* usec in seconds, exactly, without trailing zeros: "0.005", "2.5", "30". */
const char *prom_format_usec(uint64_t usec, char buf[static PROM_SECONDS_MAX]);
