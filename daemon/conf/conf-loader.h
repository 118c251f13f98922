/* SPDX-License-Identifier: MIT */
#pragma once

/* The state of one conf_load() run, shared by the conf-*.c files: the
 * file, line and section being read and the errors collected so far.
 * Internal; the daemon's API is conf.h. */

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "conf/conf-keys.h"

struct loader {
        conf *conf;
        char ***errors;
        size_t n_errors;                /* counted even when errors == NULL */
        size_t n_errors_stored;         /* entries already in *errors */
        bool full;                      /* error cap reached: stop reading */
        bool oom;
        const char *credentials_dir;
        bool state_dir_from_env;
        bool socket_from_env;

        /* The file being read. */
        const char *path;
        const char *data;
        size_t size, pos;
        unsigned line;
        size_t file_errors;
        bool expect_handler;            /* the last line handed to inih is KEY = VALUE */
        bool handler_called;

        /* The section being read. */
        section_kind section;
        char section_label[96];         /* "account " and a name */
        unsigned section_line;
        unsigned key_line[_KEY_MAX];    /* 0: not set in this section */
        conf_account *account;
};

/* Appends "FILE:LINE: message" ("FILE: message" for line 0) to the
 * errors. At the cap, a last entry says so and reading stops; running out
 * of memory sets l->oom. */
void conf_loader_error(loader *l, unsigned line, const char *fmt, ...) _printf_(3, 4);

/* Reads one file into l->conf; every problem is collected in l. */
void conf_load_file(loader *l, const char *path);
/* Reads every *.conf in "<dirname(main_path)>/conf.d", in lexical order. */
void conf_load_dropins(loader *l, const char *main_path);
