/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the conf tests: every file is written into a fresh directory
 * below one mkdtemp() root, loaded, and the values or the exact error
 * lines checked. */

#include "conf/conf.h"

/* Creates the root directory; exits on failure. */
void conf_fixture_init(void);
/* Removes the root and frees every string fmt() made. */
void conf_fixture_done(void);

/* Strings built for expectations live until conf_fixture_done(). */
const char *fmt(const char *format, ...) _printf_(1, 2);
/* A fresh directory per case, as conf.d is found next to the main file. */
const char *mkcase(const char *name);
const char *put(const char *dir, const char *name, const char *content);
void clear_env(void);
char *print_to_string(const conf *c);

/* Loads path and checks that it fails with exactly the given errors, in
 * order. The list ends with NULL. */
void expect_errors_at(const char *file, int line, const char *path, ...);
#define expect_errors(path, ...) expect_errors_at(__FILE__, __LINE__, path, __VA_ARGS__)

conf *load_ok_at(const char *file, int line, const char *path);
#define load_ok(path) load_ok_at(__FILE__, __LINE__, path)
