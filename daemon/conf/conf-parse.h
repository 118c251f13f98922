/* SPDX-License-Identifier: MIT */
#pragma once

/* What every part of the configuration parser shares, at the bottom of
 * conf/: the parse context that collects "FILE:LINE: message" errors, the
 * shape of a key table entry and of a value parser, and the schema a
 * loader is given (the key table and what opens and closes a section).
 * Internal to conf/; the daemon's API is conf.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

typedef struct conf_parse_ctx {
        char ***errors;                 /* NULL: errors are only counted */
        size_t n_errors;
        size_t n_errors_stored;         /* entries already in *errors */
        size_t file_errors;             /* since the loader reset it */
        bool full;                      /* error cap reached: stop reading */
        bool oom;

        const char *path;               /* the file errors are reported against */
        unsigned line;                  /* the line being parsed */
        const char *credentials_dir;    /* where credential names resolve */
} conf_parse_ctx;

/* Appends "FILE:LINE: message" ("FILE: message" for line 0) to the
 * errors. At the cap, a last entry says so and reading stops; running out
 * of memory sets ctx->oom. */
void conf_parse_error(conf_parse_ctx *ctx, unsigned line, const char *fmt, ...) _printf_(3, 4);

/* Marks the run as out of memory; returns -ENOMEM. */
int conf_parse_oom(conf_parse_ctx *ctx);

typedef struct conf_key conf_key;

/* Parses value for key into the section's object (the key's field is at
 * key->offset in it). Checks the whole value; on a problem reports it at
 * ctx->line and leaves the field as it was. Returns 0 or a negative errno. */
typedef int (*conf_parser)(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object);

struct conf_key {
        const char *name;
        int section;                    /* a schema's section id, > 0 */
        conf_parser parse;
        size_t offset;                  /* of the field parse fills */
        size_t name_offset;             /* a value read from a file: where the file's name goes */
        unsigned min, max;              /* a number's range, a text's length */
};

#define CONF_FIELD(type, key, object) ((type *) ((uint8_t *) (object) + (key)->offset))

/* The loader's view of the section being read. */
enum {
        CONF_SECTION_IGNORE = -1,       /* a bad header, already reported */
        CONF_SECTION_NONE = 0,          /* before the first header of a file */
};

typedef struct conf_section {
        int id;                         /* CONF_SECTION_*, or a schema's id */
        void *object;                   /* what the section's keys fill */
        char label[96];                 /* for messages: "daemon", "account NAME" */
        unsigned line;                  /* of the header */
        unsigned *key_line;             /* per key of the table; 0: not set in this section */
} conf_section;

typedef struct conf_schema {
        const conf_key *keys;
        size_t n_keys;
        /* name is what stands between the brackets, trimmed. Sets s->id,
         * s->object and s->label, or reports the problem and returns a
         * negative errno (the section's keys are then skipped). */
        int (*section_begin)(conf_parse_ctx *ctx, void *userdata, const char *name, conf_section *s);
        /* Checks what the section lacks; only called while reading goes on. */
        void (*section_end)(conf_parse_ctx *ctx, void *userdata, const conf_section *s);
} conf_schema;

/* The line at which the section set the key named name; 0 if it did not. */
unsigned conf_section_key_line(const conf_schema *schema, const conf_section *s, const char *name);
