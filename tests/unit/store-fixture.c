/* SPDX-License-Identifier: MIT */
/* The store tests' temp dirs, files and sessions (store-fixture.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store-fixture.h"
#include "tests.h"

char *top;

char *path_join(const char *a, const char *b) {
        char *p;
        CHECK(asprintf(&p, "%s/%s", a, b) >= 0);
        return p;
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static void cleanup_top(void) {
        if (top)
                (void) nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, not yet existing state dir two levels below a temp dir, so
 * store_open() has to create the path. */
char *new_state_dir(void) {
        static unsigned counter;
        char *p;
        CHECK(asprintf(&p, "%s/case%u/lib/tessera", top, counter++) >= 0);
        return p;
}

uint8_t *read_file(const char *path, size_t *ret_len) {
        int fd = open(path, O_RDONLY|O_CLOEXEC);
        struct stat st;
        uint8_t *b;

        CHECK(fd >= 0);
        CHECK(fstat(fd, &st) >= 0);
        b = malloc((size_t) st.st_size + 1);
        CHECK(b);
        CHECK(read(fd, b, (size_t) st.st_size) == st.st_size);
        close(fd);
        *ret_len = (size_t) st.st_size;
        return b;
}

void write_file(const char *path, const void *p, size_t n, mode_t mode) {
        int fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, mode);
        CHECK(fd >= 0);
        CHECK(fchmod(fd, mode) >= 0);
        CHECK(write(fd, p, n) == (ssize_t) n);
        close(fd);
}

bool exists(const char *path) {
        struct stat st;
        return lstat(path, &st) >= 0;
}

mode_t file_mode(const char *path) {
        struct stat st;
        CHECK(lstat(path, &st) >= 0);
        return st.st_mode & 07777;
}

bool contains(const uint8_t *hay, size_t n, const char *needle) {
        return memmem(hay, n, needle, strlen(needle)) != NULL;
}

unsigned count_entries(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;

        CHECK(d);
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                    startswith(de->d_name, prefix))
                        n++;
        closedir(d);
        return n;
}

session *make_session(const char *access, const char *tenant) {
        session *s = session_new();
        CHECK(s);
        CHECK_R(session_set_string(&s->access_token, access), 0);
        CHECK_R(session_set_string(&s->refresh_token, REFRESH_TOKEN), 0);
        CHECK_R(session_set_string(&s->scope, "giponext.agenda offline_access"), 0);
        s->expires_at = 1900000000;
        s->refreshed_at = 1899996400;
        CHECK_R(session_set_string(&s->sub, "sub-42"), 0);
        CHECK_R(session_set_string(&s->user, "Mario Rossi"), 0);
        CHECK_R(session_set_string(&s->tenant_id, tenant), 0);
        CHECK_R(session_set_string(&s->tenant_name, "Studio"), 0);
        CHECK_R(session_add_tenant(s, tenant, "Studio"), 0);
        CHECK_R(session_add_tenant(s, "other-tenant", NULL), 0);
        return s;
}

void check_equal(const session *a, const session *b) {
        CHECK(streq_ptr(a->access_token, b->access_token));
        CHECK(streq_ptr(a->refresh_token, b->refresh_token));
        CHECK(streq_ptr(a->scope, b->scope));
        CHECK(a->expires_at == b->expires_at);
        CHECK(a->refreshed_at == b->refreshed_at);
        CHECK(streq_ptr(a->sub, b->sub));
        CHECK(streq_ptr(a->user, b->user));
        CHECK(streq_ptr(a->tenant_id, b->tenant_id));
        CHECK(streq_ptr(a->tenant_name, b->tenant_name));
        CHECK(a->n_tenants == b->n_tenants);
        for (size_t i = 0; i < a->n_tenants; i++) {
                CHECK(streq_ptr(a->tenants[i].id, b->tenants[i].id));
                CHECK(streq_ptr(a->tenants[i].name, b->tenants[i].name));
        }
}

void check_loads(store *st, const char *account, const char *issuer, const session *want) {
        _cleanup_(session_freep) session *got = NULL;
        _cleanup_(freep) char *q = NULL;

        CHECK_R(store_load(st, account, issuer, &got, &q), 0);
        CHECK(got);
        CHECK(!q);
        check_equal(want, got);
}

char *check_quarantined(store *st, const char *accounts, const char *account, const char *issuer) {
        _cleanup_(session_freep) session *got = NULL;
        _cleanup_(freep) char *file = NULL, *path = NULL, *prefix = NULL;
        char *q = NULL;

        CHECK_R(store_load(st, account, issuer, &got, &q), -EBADMSG);
        CHECK(!got);
        CHECK(q);
        CHECK(asprintf(&prefix, "%s.session.corrupt-", account) >= 0);
        CHECK(startswith(q, prefix));
        CHECK(!strchr(q, '/'));

        file = path_join(accounts, account);
        free(path);
        CHECK(asprintf(&path, "%s.session", file) >= 0);
        CHECK(!exists(path));
        free(path);
        path = path_join(accounts, q);
        CHECK(exists(path));
        return q;
}

void store_fixture_init(void) {
        char tmpl[] = "/tmp/test-store-XXXXXX";

        if (sodium_init() < 0) {
                fprintf(stderr, "sodium_init() failed\n");
                exit(EXIT_FAILURE);
        }
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") >= 0);
        /* A copy: atexit handlers run after main()'s stack is gone. */
        CHECK(mkdtemp(tmpl));
        top = strdup(tmpl);
        CHECK(top);
        atexit(cleanup_top);
}
