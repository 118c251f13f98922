/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <ini.h>

#include "conf/conf-files.h"
#include "conf/conf-loader.h"
/* Longer names are reported unread; "account " and a 64-byte name fit. */
#define SECTION_NAME_MAX 80

typedef struct loader {
        conf_parse_ctx *ctx;
        const conf_schema *schema;
        void *userdata;
        char ***files;                  /* every file read, appended to */

        /* The file being read; its name and line are in ctx. */
        const char *data;
        size_t size, pos;
        bool expect_handler;            /* the last line handed to inih is KEY = VALUE */
        bool handler_called;

        conf_section section;
} loader;

/* ---- sections and keys ---- */

static void section_end(loader *l) {
        if (l->section.id > 0 && !l->ctx->full && !l->ctx->oom)
                l->schema->section_end(l->ctx, l->userdata, &l->section);

        l->section.id = CONF_SECTION_NONE;
        l->section.object = NULL;
        l->section.label[0] = '\0';
        memset(l->section.key_line, 0, l->schema->n_keys * sizeof(unsigned));
}

/* header is a whole "[...]" line of len bytes. Ends the section before. */
static void section_begin(loader *l, const char *header, size_t len) {
        conf_parse_ctx *ctx = l->ctx;
        const char *close = memchr(header, ']', len), *p, *end, *after;
        char name[SECTION_NAME_MAX];
        size_t n;

        section_end(l);
        l->section.id = CONF_SECTION_IGNORE;
        l->section.line = ctx->line;

        if (!close) {
                conf_parse_error(ctx, ctx->line, "section header lacks \"]\"");
                return;
        }
        for (after = close + 1; after < header + len && isblank((unsigned char) *after); after++)
                ;
        if (after < header + len && *after != ';' && *after != '#') {
                conf_parse_error(ctx, ctx->line, "unexpected text after the section header");
                return;
        }

        for (p = header + 1; p < close && isblank((unsigned char) *p); p++)
                ;
        for (end = close; end > p && isblank((unsigned char) end[-1]); end--)
                ;
        n = (size_t) (end - p);
        if (n >= sizeof name) {
                conf_parse_error(ctx, ctx->line, "unknown section [%.*s]", (int) n, p);
                return;
        }
        memcpy(name, p, n);
        name[n] = '\0';

        if (l->schema->section_begin(ctx, l->userdata, name, &l->section) < 0) {
                l->section.id = CONF_SECTION_IGNORE;
                l->section.object = NULL;
        }
}

/* inih's handler for one "KEY = VALUE" line. */
static int handle_key(void *userdata, const char *section, const char *name, const char *value) {
        loader *l = userdata;
        conf_parse_ctx *ctx = l->ctx;
        const conf_key *keys = l->schema->keys;
        size_t k;

        /* inih's own section name is cut at 49 bytes, shorter than
         * "account " plus a 64-byte name: the reader tracks sections. */
        (void) section;

        l->handler_called = true;
        if (ctx->full || ctx->oom)
                return 1;
        if (l->section.id == CONF_SECTION_NONE) {
                conf_parse_error(ctx, ctx->line, "key \"%s\" outside of any section", name);
                return 1;
        }
        if (l->section.id == CONF_SECTION_IGNORE)
                return 1;

        for (k = 0; k < l->schema->n_keys; k++)
                if (keys[k].section == l->section.id && streq(keys[k].name, name))
                        break;
        if (k == l->schema->n_keys) {
                conf_parse_error(ctx, ctx->line, "unknown key \"%s\" in [%s]", name, l->section.label);
                return 1;
        }
        if (l->section.key_line[k] > 0) {
                conf_parse_error(ctx, ctx->line, "\"%s\" is already set in this section at line %u",
                                 name, l->section.key_line[k]);
                return 1;
        }
        l->section.key_line[k] = ctx->line;

        (void) keys[k].parse(ctx, &keys[k], value, l->section.object);
        /* Errors are collected, never returned to inih: it would keep only
         * the first line number. */
        return 1;
}

/* ---- reading one file ---- */

/* Feeds inih one line at a time so every handler call knows its line
 * number (Debian builds inih without INI_HANDLER_LINENO). Section headers,
 * over-long lines and control characters are dealt with here; inih sees
 * only KEY = VALUE lines and comments, without leading whitespace so that
 * an indented line is never taken as a continuation. */
static char *reader(char *str, int num, void *stream) {
        loader *l = stream;
        const char *line, *eol, *end;
        size_t len;

        if (l->expect_handler && !l->handler_called)
                conf_parse_error(l->ctx, l->ctx->line, "expected \"KEY = VALUE\"");
        l->expect_handler = l->handler_called = false;

        if (l->ctx->full || l->ctx->oom || l->pos >= l->size || num < 3)
                return NULL;

        line = l->data + l->pos;
        eol = memchr(line, '\n', l->size - l->pos);
        end = eol ?: l->data + l->size;
        l->pos = (size_t) (end - l->data) + (eol ? 1 : 0);
        l->ctx->line++;

        if (l->ctx->line == 1 && end - line >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
                line += 3;
        while (end > line && isspace((unsigned char) end[-1]))
                end--;
        while (line < end && isspace((unsigned char) *line))
                line++;
        len = (size_t) (end - line);

        strcpy(str, "\n");
        for (const char *c = line; c < end; c++)
                if (((unsigned char) *c < 0x20 && *c != '\t') || *c == 0x7f) {
                        conf_parse_error(l->ctx, l->ctx->line, "line contains control characters");
                        return str;
                }

        if (len == 0 || *line == ';' || *line == '#')
                return str;
        if (*line == '[') {
                section_begin(l, line, len);
                return str;
        }
        if (len > (size_t) num - 3) {
                conf_parse_error(l->ctx, l->ctx->line, "line is longer than %d characters", num - 3);
                return str;
        }

        memcpy(str, line, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        l->expect_handler = true;
        return str;
}

static void load_file(loader *l, const char *path) {
        char *data = NULL;
        size_t size = 0, n_files = strv_length(*l->files);
        int r;

        if (l->ctx->full || l->ctx->oom)
                return;

        l->ctx->path = path;
        l->ctx->file_errors = 0;
        if (conf_strv_push(l->files, &n_files, path) < 0) {
                l->ctx->oom = true;
                return;
        }
        if (conf_file_read(l->ctx, path, &data, &size) < 0)
                return;

        l->data = data;
        l->size = size;
        l->pos = 0;
        l->ctx->line = 0;
        l->expect_handler = l->handler_called = false;
        l->section.id = CONF_SECTION_NONE;

        r = ini_parse_stream(reader, l, handle_key, l);
        section_end(l);
        if (r < 0)
                l->ctx->oom = true;
        else if (r > 0 && l->ctx->file_errors == 0 && !l->ctx->full)
                /* Only reached if inih finds something the reader did not. */
                conf_parse_error(l->ctx, (unsigned) r, "syntax error");

        /* An inline client_secret is in there. */
        explicit_bzero(data, size);
        free(data);
        l->data = NULL;
        l->size = l->pos = 0;
}

int conf_loader_load(conf_parse_ctx *ctx, const conf_schema *schema, void *userdata,
                     const char *main_path, char ***files) {
        _cleanup_(freep) unsigned *key_line = calloc(schema->n_keys + 1, sizeof(unsigned));
        _cleanup_(strv_freep) char **dropins = NULL;
        loader l = {
                .ctx = ctx,
                .schema = schema,
                .userdata = userdata,
                .files = files,
                .section.key_line = key_line,
        };

        if (!key_line)
                return conf_parse_oom(ctx);

        load_file(&l, main_path);
        if (conf_dropins_list(ctx, main_path, &dropins) >= 0)
                for (char **p = dropins; p && *p; p++)
                        load_file(&l, *p);
        /* What is reported next is about the configuration as a whole,
         * not about the last drop-in read. */
        ctx->path = main_path;
        return ctx->oom ? -ENOMEM : 0;
}
