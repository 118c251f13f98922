/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "idp/http-fetch.h"
#include "util/growbuf.h"
#include "util/secret.h"

#define CONTENT_TYPE_MAX 256
#define BODY_INITIAL_CAP ((size_t) 4096)

/* What libcurl copies outside our control, so cannot be wiped by us: the
 * request it serialises into its send buffer (headers and, for small
 * bodies, the form body), its copy of the URL, and the receive buffers
 * before our write callback sees the data. Those live in curl's heap and
 * are released when the transfer ends or the easy handle is cleaned up.
 * Everything we own (our copies, the header list nodes, the body we
 * collect) is wiped as soon as the transfer is over. */

struct http_fetch {
        curl_glue *glue;
        CURL *easy;
        bool attached;

        struct curl_slist *headers;
        char *form_body;                /* secret */
        size_t form_size;

        growbuf body;                   /* secret, capped at the request's max_body */
        bool body_too_big, body_oom;

        char *content_type;

        http_fetch_callback_t callback;
        void *userdata;
};

static void slist_wipe_free(struct curl_slist *l) {
        /* The nodes' strings are plain heap copies made by curl_slist_append();
         * wipe them in place before handing them back. */
        for (struct curl_slist *i = l; i; i = i->next)
                if (i->data)
                        sodium_memzero(i->data, strlen(i->data));
        curl_slist_free_all(l);
}

static void fetch_wipe_request(http_fetch *f) {
        if (f->easy && f->headers)
                (void) curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, NULL);
        slist_wipe_free(f->headers);
        f->headers = NULL;
        if (f->easy && f->form_body) {
                (void) curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, NULL);
                (void) curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
        }
        f->form_body = secret_free(f->form_body);
        f->form_size = 0;
}

http_fetch *http_fetch_free(http_fetch *f) {
        if (!f)
                return NULL;
        if (f->attached)
                curl_glue_remove(f->glue, f->easy);
        fetch_wipe_request(f);
        if (f->easy)
                curl_easy_cleanup(f->easy);
        growbuf_done(&f->body);
        free(f->content_type);
        free(f);
        return NULL;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        http_fetch *f = userdata;
        size_t n = nmemb;
        int r;

        if (size != 1 && __builtin_mul_overflow(size, nmemb, &n)) {
                f->body_too_big = true;
                return 0;
        }
        /* Returning less than n aborts the transfer with CURLE_WRITE_ERROR. */
        r = growbuf_append(&f->body, ptr, n);
        if (r == -E2BIG) {
                f->body_too_big = true;
                return 0;
        }
        if (r < 0) {
                f->body_oom = true;
                return 0;
        }
        return n;
}

static int map_curl_error(http_fetch *f, CURLcode code, const char **ret_message) {
        if (f->body_too_big || code == CURLE_FILESIZE_EXCEEDED) {
                *ret_message = "response body too large";
                return -EFBIG;
        }
        if (f->body_oom) {
                *ret_message = "out of memory";
                return -ENOMEM;
        }
        return http_map_curl_error(f->easy, code, ret_message);
}

static void fetch_read_retry_after(http_fetch *f, http_response *resp) {
        const char *value = NULL;
        uint64_t sec;

#if LIBCURL_VERSION_NUM >= 0x075300
        struct curl_header *h;

        /* request -1: the last request, i.e. the response we got, not an
         * interim 1xx one. */
        if (curl_easy_header(f->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
                value = h->value;
        if (value && http_parse_retry_after(value, (int64_t) time(NULL), &sec) >= 0) {
                resp->has_retry_after = true;
                resp->retry_after_sec = sec;
        }
#else
        curl_off_t v = 0;

        if (curl_easy_getinfo(f->easy, CURLINFO_RETRY_AFTER, &v) == CURLE_OK && v > 0) {
                resp->has_retry_after = true;
                resp->retry_after_sec = MIN((uint64_t) v, HTTP_FETCH_MAX_RETRY_AFTER_SEC);
        }
        (void) value;
        (void) sec;
#endif
}

static void on_done(CURL *easy, CURLcode result, void *userdata) {
        http_fetch *f = userdata;
        http_response resp = {};
        const char *ct = NULL;
        const char *message;
        int r;

        f->attached = false;
        fetch_wipe_request(f);

        if (result != CURLE_OK) {
                r = map_curl_error(f, result, &message);
                f->callback(f, r, message, NULL, f->userdata);
                return;         /* f may be gone */
        }

        (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp.status);
        if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
                f->content_type = strndup(ct, CONTENT_TYPE_MAX);
                if (!f->content_type) {
                        f->callback(f, -ENOMEM, "out of memory", NULL, f->userdata);
                        return;
                }
        }
        resp.content_type = f->content_type;
        resp.body = f->body.data ?: "";
        resp.body_size = f->body.len;
        fetch_read_retry_after(f, &resp);

        if (resp.status < 100 || resp.status > 999) {
                f->callback(f, -EBADMSG, "invalid HTTP response", NULL, f->userdata);
                return;
        }

        f->callback(f, 0, NULL, &resp, f->userdata);
}

static bool header_value_is_safe(const char *s) {
        /* Credentials go into a header line: printable ASCII only, so no
         * CR/LF can split the request. */
        for (; *s; s++)
                if (*s < 0x21 || *s > 0x7e)
                        return false;
        return true;
}

static int fetch_add_header(http_fetch *f, const char *line) {
        struct curl_slist *l;

        l = curl_slist_append(f->headers, line);
        if (!l)
                return -ENOMEM;
        f->headers = l;
        return 0;
}

static int fetch_add_auth_header(http_fetch *f, const char *scheme, const char *credentials) {
        _cleanup_(secret_freep) char *line = NULL;
        size_t n;

        if (isempty(credentials) || !header_value_is_safe(credentials))
                return -EINVAL;

        n = strlen("Authorization: ") + strlen(scheme) + 1 + strlen(credentials) + 1;
        line = secret_alloc(n);
        if (!line)
                return -ENOMEM;
        (void) snprintf(line, n, "Authorization: %s %s", scheme, credentials);
        return fetch_add_header(f, line);
}


static int fetch_configure(http_fetch *f, const http_request *req) {
        int r;

        r = http_easy_setup_common(f->easy, req->url, req->timeout_usec);
        if (r < 0)
                return r;
        HTTP_SETOPT(f->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) f->body.max);
        HTTP_SETOPT(f->easy, CURLOPT_WRITEFUNCTION, on_write);
        HTTP_SETOPT(f->easy, CURLOPT_WRITEDATA, f);

        r = fetch_add_header(f, "Accept: application/json");
        if (r < 0)
                return r;
        /* No "Expect: 100-continue" round trip for our small bodies. */
        r = fetch_add_header(f, "Expect:");
        if (r < 0)
                return r;

        if (req->bearer_token && req->basic_credentials)
                return -EINVAL;
        if (req->bearer_token)
                r = fetch_add_auth_header(f, "Bearer", req->bearer_token);
        else if (req->basic_credentials)
                r = fetch_add_auth_header(f, "Basic", req->basic_credentials);
        if (r < 0)
                return r;

        switch (req->method) {
        case HTTP_METHOD_GET:
                if (req->form_body)
                        return -EINVAL;
                HTTP_SETOPT(f->easy, CURLOPT_HTTPGET, 1L);
                break;
        case HTTP_METHOD_POST:
                r = fetch_add_header(f, "Content-Type: application/x-www-form-urlencoded");
                if (r < 0)
                        return r;
                f->form_body = secret_strdup(strempty(req->form_body));
                if (!f->form_body)
                        return -ENOMEM;
                f->form_size = strlen(f->form_body);
                HTTP_SETOPT(f->easy, CURLOPT_POST, 1L);
                /* POSTFIELDS (not COPYPOSTFIELDS): curl reads our secret
                 * copy instead of making its own. */
                HTTP_SETOPT(f->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) f->form_size);
                HTTP_SETOPT(f->easy, CURLOPT_POSTFIELDS, f->form_body);
                break;
        case _HTTP_METHOD_MAX:
                return -EINVAL;
        }

        HTTP_SETOPT(f->easy, CURLOPT_HTTPHEADER, f->headers);
        return 0;
}

int http_fetch_start(curl_glue *g, const http_request *req,
                     http_fetch_callback_t callback, void *userdata, http_fetch **ret) {
        _cleanup_(http_fetch_freep) http_fetch *f = NULL;
        size_t max_body;
        int r;

        if (!g || !req || isempty(req->url) || !callback || !ret)
                return -EINVAL;
        if (!startswith(req->url, "http://") && !startswith(req->url, "https://"))
                return -EINVAL;

        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        f->glue = g;
        f->callback = callback;
        f->userdata = userdata;
        max_body = req->max_body ?: HTTP_FETCH_DEFAULT_MAX_BODY;
        if (max_body >= SIZE_MAX / 4)
                return -EINVAL;
        growbuf_init(&f->body, max_body, true);
        growbuf_set_initial(&f->body, BODY_INITIAL_CAP);

        f->easy = curl_easy_init();
        if (!f->easy)
                return -ENOMEM;

        r = fetch_configure(f, req);
        if (r < 0)
                return r;

        r = curl_glue_add(g, f->easy, on_done, f);
        if (r < 0)
                return r;
        f->attached = true;

        *ret = TAKE_PTR(f);
        return 0;
}
