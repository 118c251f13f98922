/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <sys/stat.h>

#include "conf/conf-secret.h"
#include "conf/conf-values.h"
#include "util/secret.h"

#define SECRET_FILE_SIZE_MAX 4096

int conf_parse_client_secret(loader *l, const char *value, conf_account *a) {
        char *s;

        /* The message must not quote the value: it is a secret. */
        if (isempty(value) || !conf_is_printable_ascii(value, true)) {
                conf_loader_error(l, l->line, "client_secret: must be printable ASCII and not empty");
                return -EINVAL;
        }
        s = secret_strdup(value);
        if (!s) {
                l->oom = true;
                return -ENOMEM;
        }
        secret_free(a->client_secret);
        a->client_secret = s;
        return 0;
}

int conf_parse_client_secret_file(loader *l, const char *value, conf_account *a) {
        _cleanup_(freep) char *joined = NULL;
        _cleanup_(closep) int fd = -EBADF;
        _cleanup_(secret_freep) char *buf = NULL;
        const char *path = value;
        size_t n = 0;
        struct stat st;

        if (value[0] != '/') {
                /* A credential name, as systemd's LoadCredential= installs them. */
                if (isempty(value) || strchr(value, '/') || streq(value, ".") || streq(value, "..")) {
                        conf_loader_error(l, l->line,
                                          "client_secret_file: \"%s\" is neither an absolute path nor a credential name",
                                          value);
                        return -EINVAL;
                }
                if (isempty(l->credentials_dir)) {
                        conf_loader_error(l, l->line,
                                          "client_secret_file: \"%s\" is relative but $CREDENTIALS_DIRECTORY is not set",
                                          value);
                        return -EINVAL;
                }
                if (asprintf(&joined, "%s/%s", l->credentials_dir, value) < 0) {
                        joined = NULL;
                        l->oom = true;
                        return -ENOMEM;
                }
                path = joined;
        }

        /* O_NONBLOCK: a FIFO planted here must not hang the loader. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                conf_loader_error(l, l->line, "client_secret_file: cannot open \"%s\": %s", path, strerror(errno));
                return -EINVAL;
        }
        if (fstat(fd, &st) < 0) {
                conf_loader_error(l, l->line, "client_secret_file: cannot stat \"%s\": %s", path, strerror(errno));
                return -EINVAL;
        }
        if (!S_ISREG(st.st_mode)) {
                conf_loader_error(l, l->line, "client_secret_file: \"%s\" is not a regular file", path);
                return -EINVAL;
        }

        buf = secret_alloc(SECRET_FILE_SIZE_MAX + 2);
        if (!buf) {
                l->oom = true;
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + n, SECRET_FILE_SIZE_MAX + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        conf_loader_error(l, l->line, "client_secret_file: cannot read \"%s\": %s", path, strerror(errno));
                        return -EINVAL;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > SECRET_FILE_SIZE_MAX) {
                        conf_loader_error(l, l->line, "client_secret_file: \"%s\" is larger than %u bytes",
                                          path, SECRET_FILE_SIZE_MAX);
                        return -EINVAL;
                }
        }
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
                buf[--n] = '\0';
        if (n == 0) {
                conf_loader_error(l, l->line, "client_secret_file: \"%s\" is empty", path);
                return -EINVAL;
        }
        if (memchr(buf, '\0', n) || !conf_is_printable_ascii(buf, true)) {
                conf_loader_error(l, l->line, "client_secret_file: \"%s\" holds characters other than printable ASCII", path);
                return -EINVAL;
        }

        if (conf_set_string(l, &a->client_secret_file, value) < 0 || l->oom)
                return -ENOMEM;
        secret_free(a->client_secret);
        a->client_secret = TAKE_PTR(buf);
        return 0;
}
