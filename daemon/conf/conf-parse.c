/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf/conf-parse.h"

/* A broken file cannot flood the caller: the list ends at this many. */
#define CONF_ERRORS_MAX 100

static void add_error(conf_parse_ctx *ctx, char *msg) {
        char **n;

        ctx->n_errors++;
        ctx->file_errors++;
        if (!ctx->errors) {
                free(msg);
                return;
        }
        n = realloc(*ctx->errors, (ctx->n_errors_stored + 2) * sizeof(char *));
        if (!n) {
                free(msg);
                ctx->oom = true;
                return;
        }
        n[ctx->n_errors_stored++] = msg;
        n[ctx->n_errors_stored] = NULL;
        *ctx->errors = n;
}

void conf_parse_error(conf_parse_ctx *ctx, unsigned line, const char *fmt, ...) {
        _cleanup_(freep) char *text = NULL;
        char *msg = NULL;
        va_list ap;
        int r;

        if (ctx->full || ctx->oom)
                return;

        if (ctx->n_errors + 1 >= CONF_ERRORS_MAX) {
                /* The last slot says why the list ends here. */
                ctx->full = true;
                if (asprintf(&msg, "%s: too many errors, not reporting any more", ctx->path) < 0) {
                        ctx->oom = true;
                        return;
                }
                add_error(ctx, msg);
                return;
        }

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                text = NULL;
                ctx->oom = true;
                return;
        }
        if (line > 0)
                r = asprintf(&msg, "%s:%u: %s", ctx->path, line, text);
        else
                r = asprintf(&msg, "%s: %s", ctx->path, text);
        if (r < 0) {
                ctx->oom = true;
                return;
        }
        add_error(ctx, msg);
}

int conf_parse_oom(conf_parse_ctx *ctx) {
        ctx->oom = true;
        return -ENOMEM;
}

unsigned conf_section_key_line(const conf_schema *schema, const conf_section *s, const char *name) {
        for (size_t i = 0; i < schema->n_keys; i++)
                if (schema->keys[i].section == s->id && streq(schema->keys[i].name, name))
                        return s->key_line[i];
        return 0;
}
