/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "conf/conf-files.h"

#define CONF_FILE_SIZE_MAX (1024 * 1024)
#define CONF_DROPINS_MAX 256

int conf_file_read(conf_parse_ctx *ctx, const char *path, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = -EBADF;
        char *buf;
        size_t n = 0;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                conf_parse_error(ctx, 0, "cannot open: %s", strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                conf_parse_error(ctx, 0, "cannot stat: %s", strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                conf_parse_error(ctx, 0, "not a regular file");
                return -EINVAL;
        }

        buf = malloc(CONF_FILE_SIZE_MAX + 1);
        if (!buf) {
                ctx->oom = true;
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + n, CONF_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        conf_parse_error(ctx, 0, "cannot read: %s", strerror(errno));
                        break;
                }
                if (k == 0) {
                        *ret = buf;
                        *ret_size = n;
                        return 0;
                }
                n += (size_t) k;
                if (n > CONF_FILE_SIZE_MAX) {
                        conf_parse_error(ctx, 0, "larger than %u bytes", CONF_FILE_SIZE_MAX);
                        break;
                }
        }
        explicit_bzero(buf, n);
        free(buf);
        return -EINVAL;
}

int conf_strv_push(char ***l, size_t *n, const char *s) {
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

static int dropin_compare(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int conf_dropins_list(conf_parse_ctx *ctx, const char *main_path, char ***ret) {
        _cleanup_(strv_freep) char **paths = NULL;
        _cleanup_(freep) char *dir = NULL;
        const char *slash = strrchr(main_path, '/');
        const char *saved_path = ctx->path;
        size_t n = 0;
        DIR *d;

        if (!slash)
                dir = strdup("conf.d");
        else if (asprintf(&dir, "%.*s/conf.d", (int) (slash - main_path), main_path) < 0)
                dir = NULL;
        if (!dir)
                return conf_parse_oom(ctx);

        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT && errno != ENOTDIR) {
                        ctx->path = dir;
                        conf_parse_error(ctx, 0, "cannot open: %s", strerror(errno));
                        ctx->path = saved_path;
                }
                *ret = NULL;
                return 0;
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
                        ctx->path = dir;
                        conf_parse_error(ctx, 0, "more than %u drop-ins", CONF_DROPINS_MAX);
                        ctx->path = saved_path;
                        break;
                }
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0 || conf_strv_push(&paths, &n, p) < 0) {
                        closedir(d);
                        return conf_parse_oom(ctx);
                }
        }
        closedir(d);

        /* Same directory for all: comparing paths compares names. */
        if (n > 0)
                qsort(paths, n, sizeof(char *), dropin_compare);
        *ret = TAKE_PTR(paths);
        return 0;
}
