/* SPDX-License-Identifier: MIT */
#include <strings.h>

#include "idp/http-common.h"
#include "util/secret.h"
#include "idp/upstream.h"

/* Response headers an application may need; everything else (cookies,
 * hop-by-hop, server internals) stays here. */
static const char *const kept_headers[] = {
        "Content-Type", "Content-Language", "Content-Disposition", "Retry-After", "Location",
        "ETag", "Last-Modified", "Cache-Control", "Link", "X-Request-Id",
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
};

struct upstream {
        sd_event *event;
        curl_glue *glue;
        CURL *easy;
        bool attached;
        sd_event_source *notify;
        upstream_callback_t callback;
        void *userdata;

        struct curl_slist *request_headers;
        char *auth_header;              /* secret */
        char *body;

        long status;
        int64_t content_length;
        char **headers;
        size_t n_headers;
        bool headers_complete;
        bool headers_notified;
        bool data_pending;              /* a DATA event is due */

        char *buf;                      /* FIFO of body bytes */
        size_t buf_start, buf_len;
        bool paused;

        bool done;
        int error;
        const char *error_message;
};

static void headers_reset(upstream *u) {
        for (size_t i = 0; i < u->n_headers; i++)
                free(u->headers[i]);
        u->n_headers = 0;
        if (u->headers)
                u->headers[0] = NULL;
        u->content_length = -1;
}

upstream *upstream_free(upstream *u) {
        if (!u)
                return NULL;
        if (u->attached)
                curl_glue_remove(u->glue, u->easy);
        if (u->easy)
                curl_easy_cleanup(u->easy);
        sd_event_source_disable_unref(u->notify);
        sd_event_unref(u->event);
        curl_slist_free_all(u->request_headers);
        secret_free(u->auth_header);
        free(u->body);
        headers_reset(u);
        free(u->headers);
        free(u->buf);
        free(u);
        return NULL;
}

static void notify_soon(upstream *u) {
        (void) sd_event_source_set_enabled(u->notify, SD_EVENT_ONESHOT);
}

static int on_notify(sd_event_source *s, void *userdata) {
        upstream *u = userdata;

        if (u->headers_complete && !u->headers_notified) {
                u->headers_notified = true;
                if (u->data_pending)
                        notify_soon(u);
                /* The callback may free u: nothing after it touches u. */
                u->callback(u, UPSTREAM_HEADERS, u->userdata);
                return 0;
        }
        if (u->headers_notified && u->data_pending) {
                u->data_pending = false;
                u->callback(u, UPSTREAM_DATA, u->userdata);
        }
        return 0;
}

static bool keep_header(const char *line, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(kept_headers); i++) {
                size_t l = strlen(kept_headers[i]);

                if (n > l && line[l] == ':' && strncasecmp(line, kept_headers[i], l) == 0)
                        return true;
        }
        return false;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata) {
        upstream *u = userdata;
        size_t n = size * nitems, len = n;

        while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
                len--;

        if (len == 0) {
                /* End of one response's headers; 1xx ones are followed by
                 * the real response. */
                if (u->status >= 200) {
                        u->headers_complete = true;
                        notify_soon(u);
                }
                return n;
        }
        if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
                const char *sp = memchr(data, ' ', len);

                headers_reset(u);
                u->status = sp && (size_t) (sp - data) + 4 <= len ? strtol(sp + 1, NULL, 10) : 0;
                return n;
        }
        if (len > UPSTREAM_HEADER_LINE_MAX)
                return 0;       /* aborts the transfer */

        if (len > 15 && strncasecmp(data, "Content-Length:", 15) == 0) {
                char tmp[32];
                size_t l = MIN(len - 15, sizeof tmp - 1);
                char *end = NULL;
                long long v;

                memcpy(tmp, data + 15, l);
                tmp[l] = '\0';
                errno = 0;
                v = strtoll(tmp, &end, 10);
                if (errno == 0 && end != tmp && v >= 0)
                        u->content_length = v;
        }

        if (keep_header(data, len) && u->n_headers < UPSTREAM_HEADERS_MAX) {
                char *h = strndup(data, len);

                if (!h)
                        return 0;
                u->headers[u->n_headers++] = h;
                u->headers[u->n_headers] = NULL;
        }
        return n;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata) {
        upstream *u = userdata;
        size_t n = size * nmemb;

        if (n > UPSTREAM_BUFFER_MAX - u->buf_len) {
                /* Back-pressure: curl keeps the chunk and offers it again
                 * after curl_easy_pause(CURLPAUSE_CONT). */
                u->paused = true;
                return CURL_WRITEFUNC_PAUSE;
        }
        if (u->buf_start > 0 && u->buf_start + u->buf_len + n > UPSTREAM_BUFFER_MAX) {
                memmove(u->buf, u->buf + u->buf_start, u->buf_len);
                u->buf_start = 0;
        }
        memcpy(u->buf + u->buf_start + u->buf_len, data, n);
        u->buf_len += n;
        u->data_pending = true;
        notify_soon(u);
        return n;
}

static void on_done(CURL *easy, CURLcode result, void *userdata) {
        upstream *u = userdata;

        u->attached = false;
        u->done = true;
        if (result != CURLE_OK)
                u->error = http_map_curl_error(easy, result, &u->error_message);
        else if (!u->headers_complete)
                u->headers_complete = true;     /* a response without a body */
        if (u->error < 0 && !u->headers_complete) {
                u->headers_complete = true;
                u->status = 0;
        }
        u->data_pending = true;
        notify_soon(u);
}

static int append_header(upstream *u, const char *line) {
        struct curl_slist *l = curl_slist_append(u->request_headers, line);

        if (!l)
                return -ENOMEM;
        u->request_headers = l;
        return 0;
}

static int configure(upstream *u, const upstream_request *req) {
        size_t n;
        int r;

        r = http_easy_setup_common(u->easy, req->url, req->timeout_usec ?: 3600 * USEC_PER_SEC);
        if (r < 0)
                return r;
        HTTP_SETOPT(u->easy, CURLOPT_HEADERFUNCTION, on_header);
        HTTP_SETOPT(u->easy, CURLOPT_HEADERDATA, u);
        HTTP_SETOPT(u->easy, CURLOPT_WRITEFUNCTION, on_write);
        HTTP_SETOPT(u->easy, CURLOPT_WRITEDATA, u);
        /* Keep the caller's path exactly: no dot-segment squashing. */
        HTTP_SETOPT(u->easy, CURLOPT_PATH_AS_IS, 1L);

        if (strcmp(req->method, "GET") == 0)
                HTTP_SETOPT(u->easy, CURLOPT_HTTPGET, 1L);
        else if (strcmp(req->method, "HEAD") == 0)
                HTTP_SETOPT(u->easy, CURLOPT_NOBODY, 1L);
        else
                HTTP_SETOPT(u->easy, CURLOPT_CUSTOMREQUEST, req->method);

        if (req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
            strcmp(req->method, "PATCH") == 0) {
                if (req->body_len > 0) {
                        u->body = malloc(req->body_len);
                        if (!u->body)
                                return -ENOMEM;
                        memcpy(u->body, req->body, req->body_len);
                }
                HTTP_SETOPT(u->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
                HTTP_SETOPT(u->easy, CURLOPT_POSTFIELDS, u->body ? u->body : "");
        }

        r = append_header(u, "Accept: application/json");
        if (r >= 0)
                r = append_header(u, "Expect:");
        for (char **h = req->headers; r >= 0 && h && *h; h++)
                r = append_header(u, *h);
        if (r < 0)
                return r;

        n = strlen("Authorization: Bearer ") + strlen(req->bearer_token) + 1;
        u->auth_header = secret_alloc(n);
        if (!u->auth_header)
                return -ENOMEM;
        (void) snprintf(u->auth_header, n, "Authorization: Bearer %s", req->bearer_token);
        r = append_header(u, u->auth_header);
        if (r < 0)
                return r;
        HTTP_SETOPT(u->easy, CURLOPT_HTTPHEADER, u->request_headers);
        return 0;
}

int upstream_start(sd_event *e, curl_glue *g, const upstream_request *req,
                   upstream_callback_t callback, void *userdata, upstream **ret) {
        _cleanup_(upstream_freep) upstream *u = NULL;
        int r;

        if (!req->url || !req->method || !req->bearer_token || !callback)
                return -EINVAL;

        u = calloc(1, sizeof *u);
        if (!u)
                return -ENOMEM;
        u->event = sd_event_ref(e);
        u->glue = g;
        u->callback = callback;
        u->userdata = userdata;
        u->content_length = -1;
        u->headers = calloc(UPSTREAM_HEADERS_MAX + 1, sizeof(char *));
        u->buf = malloc(UPSTREAM_BUFFER_MAX);
        if (!u->headers || !u->buf)
                return -ENOMEM;

        r = sd_event_add_defer(e, &u->notify, on_notify, u);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(u->notify, SD_EVENT_OFF);

        u->easy = curl_easy_init();
        if (!u->easy)
                return -ENOMEM;
        r = configure(u, req);
        if (r < 0)
                return r;
        r = curl_glue_add(g, u->easy, on_done, u);
        if (r < 0)
                return r;
        u->attached = true;

        *ret = TAKE_PTR(u);
        return 0;
}

long upstream_status(const upstream *u) {
        return u->status;
}

int64_t upstream_content_length(const upstream *u) {
        return u->content_length;
}

char * const *upstream_headers(const upstream *u) {
        return u->headers;
}

const char *upstream_header(const upstream *u, const char *name) {
        size_t l = strlen(name);

        for (size_t i = 0; i < u->n_headers; i++)
                if (strncasecmp(u->headers[i], name, l) == 0 && u->headers[i][l] == ':') {
                        const char *v = u->headers[i] + l + 1;
                        return v + strspn(v, " \t");
                }
        return NULL;
}

size_t upstream_read(upstream *u, char *buf, size_t max) {
        size_t n = MIN(max, u->buf_len);

        memcpy(buf, u->buf + u->buf_start, n);
        u->buf_start += n;
        u->buf_len -= n;
        if (u->buf_len == 0)
                u->buf_start = 0;
        if (u->paused && u->attached && u->buf_len < UPSTREAM_BUFFER_MAX / 2) {
                u->paused = false;
                (void) curl_easy_pause(u->easy, CURLPAUSE_CONT);
        }
        return n;
}

bool upstream_transfer_done(const upstream *u) {
        return u->done;
}

int upstream_finished(const upstream *u, const char **ret_message) {
        if (!u->done)
                return 0;
        if (u->error < 0) {
                if (ret_message)
                        *ret_message = u->error_message;
                return u->error;
        }
        return u->buf_len == 0 ? 1 : 0;
}
