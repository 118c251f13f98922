/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "conf/conf-keys.h"
#include "conf/conf-loader.h"

#define CONF_ERRORS_MAX 100
#define CONF_FILE_SIZE_MAX (1024 * 1024)
#define CONF_DROPINS_MAX 256

/* ---- error collection ---- */

static void loader_add_error(loader *l, char *msg) {
        char **n;

        l->n_errors++;
        l->file_errors++;
        if (!l->errors) {
                free(msg);
                return;
        }
        n = realloc(*l->errors, (l->n_errors_stored + 2) * sizeof(char *));
        if (!n) {
                free(msg);
                l->oom = true;
                return;
        }
        n[l->n_errors_stored++] = msg;
        n[l->n_errors_stored] = NULL;
        *l->errors = n;
}

void conf_loader_error(loader *l, unsigned line, const char *fmt, ...) {
        _cleanup_(freep) char *text = NULL;
        char *msg = NULL;
        va_list ap;
        int r;

        if (l->full || l->oom)
                return;

        if (l->n_errors + 1 >= CONF_ERRORS_MAX) {
                /* The last slot says why the list ends here. */
                l->full = true;
                if (asprintf(&msg, "%s: too many errors, not reporting any more", l->path) < 0) {
                        l->oom = true;
                        return;
                }
                loader_add_error(l, msg);
                return;
        }

        va_start(ap, fmt);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0) {
                text = NULL;
                l->oom = true;
                return;
        }
        if (line > 0)
                r = asprintf(&msg, "%s:%u: %s", l->path, line, text);
        else
                r = asprintf(&msg, "%s: %s", l->path, text);
        if (r < 0) {
                l->oom = true;
                return;
        }
        loader_add_error(l, msg);
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
                conf_loader_error(l, l->line, "expected \"KEY = VALUE\"");
        l->expect_handler = l->handler_called = false;

        if (l->full || l->oom || l->pos >= l->size || num < 3)
                return NULL;

        line = l->data + l->pos;
        eol = memchr(line, '\n', l->size - l->pos);
        end = eol ?: l->data + l->size;
        l->pos = (size_t) (end - l->data) + (eol ? 1 : 0);
        l->line++;

        if (l->line == 1 && end - line >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
                line += 3;
        while (end > line && isspace((unsigned char) end[-1]))
                end--;
        while (line < end && isspace((unsigned char) *line))
                line++;
        len = (size_t) (end - line);

        strcpy(str, "\n");
        for (const char *c = line; c < end; c++)
                if (((unsigned char) *c < 0x20 && *c != '\t') || *c == 0x7f) {
                        conf_loader_error(l, l->line, "line contains control characters");
                        return str;
                }

        if (len == 0 || *line == ';' || *line == '#')
                return str;
        if (*line == '[') {
                conf_section_begin(l, line, len);
                return str;
        }
        if (len > (size_t) num - 3) {
                conf_loader_error(l, l->line, "line is longer than %d characters", num - 3);
                return str;
        }

        memcpy(str, line, len);
        str[len] = '\n';
        str[len + 1] = '\0';
        l->expect_handler = true;
        return str;
}

static int read_file(loader *l, const char *path, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        char *buf;
        size_t n = 0;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                conf_loader_error(l, 0, "cannot open: %s", strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                conf_loader_error(l, 0, "cannot stat: %s", strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                conf_loader_error(l, 0, "not a regular file");
                return -EINVAL;
        }

        buf = malloc(CONF_FILE_SIZE_MAX + 1);
        if (!buf) {
                l->oom = true;
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + n, CONF_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        conf_loader_error(l, 0, "cannot read: %s", strerror(errno));
                        break;
                }
                if (k == 0) {
                        *ret = buf;
                        *ret_size = n;
                        return 0;
                }
                n += (size_t) k;
                if (n > CONF_FILE_SIZE_MAX) {
                        conf_loader_error(l, 0, "larger than %u bytes", CONF_FILE_SIZE_MAX);
                        break;
                }
        }
        explicit_bzero(buf, n);
        free(buf);
        return -EINVAL;
}

static int strv_push(char ***l, size_t *n, const char *s) {
        char **m = realloc(*l, (*n + 2) * sizeof(char *));

        if (!m)
                return -ENOMEM;
        *l = m;
        m[*n] = strdup(s);
        if (!m[*n])
                return -ENOMEM;
        m[++*n] = NULL;
        return 0;
}

void conf_load_file(loader *l, const char *path) {
        char *data = NULL;
        size_t size = 0, n_files = strv_length(l->conf->files);
        int r;

        if (l->full || l->oom)
                return;

        l->path = path;
        l->file_errors = 0;
        if (strv_push(&l->conf->files, &n_files, path) < 0) {
                l->oom = true;
                return;
        }
        if (read_file(l, path, &data, &size) < 0)
                return;

        l->data = data;
        l->size = size;
        l->pos = 0;
        l->line = 0;
        l->expect_handler = l->handler_called = false;
        l->section = SECTION_NONE;

        r = ini_parse_stream(reader, l, conf_handle_key, l);
        conf_section_end(l);
        if (r < 0)
                l->oom = true;
        else if (r > 0 && l->file_errors == 0 && !l->full)
                /* Only reached if inih finds something the reader did not. */
                conf_loader_error(l, (unsigned) r, "syntax error");

        /* An inline client_secret is in there. */
        explicit_bzero(data, size);
        free(data);
        l->data = NULL;
        l->size = l->pos = 0;
}

static int dropin_compare(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void conf_load_dropins(loader *l, const char *main_path) {
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_(freep) char *dir = NULL;
        const char *slash = strrchr(main_path, '/');
        size_t n = 0;
        DIR *d;

        if (!slash)
                dir = strdup("conf.d");
        else if (asprintf(&dir, "%.*s/conf.d", (int) (slash - main_path), main_path) < 0)
                dir = NULL;
        if (!dir) {
                l->oom = true;
                return;
        }

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR) {
                        l->path = dir;
                        conf_loader_error(l, 0, "cannot open: %s", strerror(errno));
                }
                return;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t len = strlen(de->d_name);
                struct stat st;
                _cleanup_(freep) char *p = NULL;

                if (de->d_name[0] == '.' || len <= 5 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                /* Follows symlinks: a link to a regular file counts. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n >= CONF_DROPINS_MAX) {
                        l->path = dir;
                        conf_loader_error(l, 0, "more than %u drop-ins", CONF_DROPINS_MAX);
                        break;
                }
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0 || strv_push(&paths, &n, p) < 0) {
                        l->oom = true;
                        break;
                }
        }
        closedir(d);
        if (l->oom || l->full)
                return;

        /* Same directory for all: comparing paths compares names. */
        if (n > 0)
                qsort(paths, n, sizeof(char *), dropin_compare);
        for (size_t i = 0; i < n; i++)
                conf_load_file(l, paths[i]);
}
