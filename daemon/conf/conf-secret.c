/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>

#include "conf/conf-secret.h"
#include "conf/conf-values.h"
#include "util/secret.h"

#define SECRET_FILE_SIZE_MAX 4096

int conf_parse_secret(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        char **field = CONF_FIELD(char *, key, object);
        char *s;

        /* The message must not quote the value: it is a secret. */
        if (isempty(value) || !conf_is_printable_ascii(value, true)) {
                conf_parse_error(ctx, ctx->line, "%s: must be printable ASCII and not empty", key->name);
                return -EINVAL;
        }
        s = secret_strdup(value);
        if (!s)
                return conf_parse_oom(ctx);
        secret_free(*field);
        *field = s;
        return 0;
}

int conf_parse_secret_file(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        char **field = CONF_FIELD(char *, key, object);
        char **name_field = (char **) ((uint8_t *) object + key->name_offset);
        _cleanup_(freep) char *joined = NULL;
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(secret_freep) char *buf = NULL;
        const char *path = value;
        size_t n = 0;
        struct stat st;

        if (value[0] != '/') {
                /* A credential name, as systemd's LoadCredential= installs them. */
                if (isempty(value) || strchr(value, '/') || streq(value, ".") || streq(value, "..")) {
                        conf_parse_error(ctx, ctx->line,
                                         "%s: \"%s\" is neither an absolute path nor a credential name",
                                         key->name, value);
                        return -EINVAL;
                }
                if (isempty(ctx->credentials_dir)) {
                        conf_parse_error(ctx, ctx->line,
                                         "%s: \"%s\" is relative but $CREDENTIALS_DIRECTORY is not set",
                                         key->name, value);
                        return -EINVAL;
                }
                if (asprintf(&joined, "%s/%s", ctx->credentials_dir, value) < 0) {
                        joined = NULL;
                        return conf_parse_oom(ctx);
                }
                path = joined;
        }

        /* O_NONBLOCK: a FIFO planted here must not hang the loader. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                conf_parse_error(ctx, ctx->line, "%s: cannot open \"%s\": %s", key->name, path, strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                conf_parse_error(ctx, ctx->line, "%s: cannot stat \"%s\": %s", key->name, path, strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not a regular file", key->name, path);
                return -EINVAL;
        }

        buf = secret_alloc(SECRET_FILE_SIZE_MAX + 2);
        if (!buf)
                return conf_parse_oom(ctx);
        for (;;) {
                ssize_t k = read(fd, buf + n, SECRET_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        conf_parse_error(ctx, ctx->line, "%s: cannot read \"%s\": %s",
                                         key->name, path, strerror(errno));
                        return -EINVAL;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > SECRET_FILE_SIZE_MAX) {
                        conf_parse_error(ctx, ctx->line, "%s: \"%s\" is larger than %u bytes",
                                         key->name, path, SECRET_FILE_SIZE_MAX);
                        return -EINVAL;
                }
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        if (n == 0) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is empty", key->name, path);
                return -EINVAL;
        }
        if (memchr(buf, '\0', n) || !conf_is_printable_ascii(buf, true)) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" holds characters other than printable ASCII",
                                 key->name, path);
                return -EINVAL;
        }

        if (conf_set_string(ctx, name_field, value) < 0 || ctx->oom)
                return -ENOMEM;
        secret_free(*field);
        *field = TAKE_PTR(buf);
        return 0;
}
