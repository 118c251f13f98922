/* SPDX-License-Identifier: MIT */

/* tessera metrics: tesserad's GET /v1/metrics (the Prometheus text
 * format) on standard output, or with --output written to a file
 * atomically, for node_exporter's textfile collector, which must never
 * read half a file. */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "output.h"

/* A temporary file in the same directory (a name the textfile collector
 * skips: it reads *.prom only), written, synced and renamed over path. */
static int write_file_atomically(const char *path, const char *data, size_t len) {
        char *dir_copy = strdup(path), *base_copy = strdup(path), *tmp = NULL;
        const char *dir, *base;
        int fd = -1, r = 0, dfd;

        if (!dir_copy || !base_copy) {
                r = -ENOMEM;
                goto out;
        }
        dir = dirname(dir_copy);
        base = basename(base_copy);
        if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
                tmp = NULL;
                r = -ENOMEM;
                goto out;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                free(tmp);
                tmp = NULL;
                goto out;
        }
        /* node_exporter runs as another user: the metrics hold nothing secret. */
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
                r = -errno;
        if (r == 0)
                r = write_all(fd, &(struct iovec) { (void *) data, len }, 1);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                goto out;
        }
        /* The rename itself survives a crash once the directory is synced. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                (void) fsync(dfd);
                close(dfd);
        }
out:
        free(tmp);
        free(dir_copy);
        free(base_copy);
        return r;
}

/* The daemon's error answer: its message kept for report(), the code mapped. */
static int daemon_error(ctx *x, int status, char *body) {
        const char *code = NULL, *m = NULL;
        jr_doc *d = NULL;

        free(x->message);
        x->message = NULL;
        if (body && jr_parse(body, strlen(body), &d) == 0) {
                code = jr_get_string(jr_root(d), "error");
                m = jr_get_string(jr_root(d), "message");
                if (m || code)
                        x->message = strdup(m ? m : code);
        }
        status = tessera_error_from_http(status, code);
        jr_doc_free(d);
        return status;
}

int cmd_metrics(ctx *x, const char *account) {
        char *body = NULL, msg[512];
        int status = 0, r;
        size_t len;

        r = tessera_request(x->client, "GET", "/v1/metrics", NULL, 0, &status, &body);
        if (r < 0)
                return report(x, r, "default", ACT_READ);
        if (status < 200 || status > 299) {
                r = daemon_error(x, status, body);
                free(body);
                if (r == TESSERA_E_FORBIDDEN && x->message) {
                        /* The daemon refused (not the socket's permissions). */
                        fprintf(stderr, "tessera: %s may not read tesserad's metrics; an admin must add the user "
                                "to metrics_users in tessera.conf\n", user_name());
                        return EXIT_FORBIDDEN;
                }
                return report(x, r ? r : TESSERA_E_PROTOCOL, "default", ACT_READ);
        }

        len = strlen(body);
        if (x->output) {
                r = write_file_atomically(x->output, body, len);
                if (r < 0)
                        fprintf(stderr, "tessera: cannot write the metrics to %s (%s)\n",
                                safe_text(x->output, msg, sizeof msg), strerror(-r));
        } else
                r = fwrite(body, 1, len, stdout) == len ? 0 : -EIO;
        free(body);
        return r < 0 ? EXIT_FAIL : EXIT_OK;
}
