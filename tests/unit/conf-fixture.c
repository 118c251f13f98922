/* SPDX-License-Identifier: MIT */
/* The conf tests' scratch directory, expectation strings and load checks. */

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf-fixture.h"

static char root[] = "/tmp/test-conf-XXXXXX";

static char *pool[1024];
static size_t n_pool;

const char *fmt(const char *format, ...) {
        va_list ap;
        char *s;

        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                abort();
        va_end(ap);
        if (n_pool >= ELEMENTSOF(pool))
                abort();
        pool[n_pool++] = s;
        return s;
}

const char *mkcase(const char *name) {
        const char *d = fmt("%s/%s", root, name);

        if (mkdir(d, 0755) < 0) {
                perror(d);
                abort();
        }
        return d;
}

const char *put(const char *dir, const char *name, const char *content) {
        const char *p = fmt("%s/%s", dir, name);
        FILE *f = fopen(p, "we");

        if (!f || fputs(content, f) < 0 || fclose(f) != 0) {
                perror(p);
                abort();
        }
        return p;
}

void clear_env(void) {
        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        unsetenv("CREDENTIALS_DIRECTORY");
}

static void print_list(const char *what, char **l) {
        fprintf(stderr, "  %s:\n", what);
        for (char **i = l; i && *i; i++)
                fprintf(stderr, "    %s\n", *i);
}

void expect_errors_at(const char *file, int line, const char *path, ...) {
        _cleanup_(strv_freep) char **errors = NULL;
        char *expected[128];
        size_t n = 0;
        conf *c = NULL;
        va_list ap;
        int r;
        bool same;

        va_start(ap, path);
        for (const char *e; (e = va_arg(ap, const char *)); )
                expected[n++] = (char *) e;
        va_end(ap);
        expected[n] = NULL;

        r = conf_load(path, &c, &errors);
        same = strv_length(errors) == n;
        for (size_t i = 0; same && i < n; i++)
                same = streq(errors[i], expected[i]);
        if (r != -EINVAL || c || !same) {
                fprintf(stderr, "%s:%d: loading %s: r=%d (expected %d)\n", file, line, path, r, -EINVAL);
                print_list("expected", expected);
                print_list("got", errors);
                abort();
        }
        conf_free(c);
}

conf *load_ok_at(const char *file, int line, const char *path) {
        _cleanup_(strv_freep) char **errors = NULL;
        conf *c = NULL;
        int r;

        r = conf_load(path, &c, &errors);
        if (r < 0 || !c || errors) {
                fprintf(stderr, "%s:%d: loading %s failed: r=%d\n", file, line, path, r);
                print_list("errors", errors);
                abort();
        }
        return c;
}

char *print_to_string(const conf *c) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                abort();
        conf_print(c, f);
        if (fclose(f) != 0)
                abort();
        return buf;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void conf_fixture_init(void) {
        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init failed\n");
                exit(EXIT_FAILURE);
        }
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                exit(EXIT_FAILURE);
        }
}

void conf_fixture_done(void) {
        (void) nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        for (size_t i = 0; i < n_pool; i++)
                free(pool[i]);
        n_pool = 0;
}
