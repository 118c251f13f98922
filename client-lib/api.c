/* SPDX-License-Identifier: MIT */

/* Requests to GipoNext through tesserad's gateway
 * (/v1/accounts/NAME/api/... and /v1/accounts/NAME/tenant/...). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tessera/tessera.h"

#include "client.h"
#include "http-parser.h"
#include "wipe.h"

struct tessera_response {
        int status;
        char *body;
        size_t body_len;
        char *head;
        size_t head_len;

        /* A copy of the head cut into NUL-terminated names and values. */
        char *fields;
        size_t n_headers;
        const char *names[HTTP_MAX_HEADERS];
        const char *values[HTTP_MAX_HEADERS];
};

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 pchar plus '/' and '?', with '%' only as the start of an escape. */
static bool is_uri_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c != '\0' && strchr("-._~!$&'()*+,;=:@/?", c));
}

/* "." and ".." would let the path climb out of .../api/ or .../tenant/,
 * so they are refused in any spelling, %2e included. */
static bool is_dot_segment(const char *s, size_t n) {
        unsigned dots = 0;

        for (size_t i = 0; i < n;) {
                if (s[i] == '.')
                        i++;
                else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' && (s[i + 2] == 'e' || s[i + 2] == 'E'))
                        i += 3;
                else
                        return false;
                dots++;
        }
        return dots == 1 || dots == 2;
}

static bool valid_api_path(const char *path) {
        size_t n = strnlen(path, TESSERA_API_MAX_PATH + 1), seg = 0;
        bool in_query = false;

        if (n == 0 || n > TESSERA_API_MAX_PATH)
                return false;
        /* Something must be left after tesserad's api/ or tenant/ prefix,
         * and it must not begin with "/" (tesserad refuses that too). */
        if (path[0] == '?' || (path[0] == '/' && (path[1] == '\0' || path[1] == '/' || path[1] == '?')))
                return false;

        for (size_t i = 0; i <= n; i++) {
                char c = path[i];

                if (!in_query && (c == '/' || c == '?' || c == '\0')) {
                        if (is_dot_segment(path + seg, i - seg))
                                return false;
                        seg = i + 1;
                        in_query = c == '?';
                        continue;
                }
                if (c == '\0')
                        break;
                if (c == '%') {
                        if (i + 2 >= n || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))
                                return false;
                        i += 2;
                        continue;
                }
                if (!is_uri_char(c))
                        return false;
        }
        return true;
}

static bool is_idempotent(const char *m) {
        /* RFC 9110 section 9.2.2 */
        static const char *const ok[] = { "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE" };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                if (strcmp(m, ok[i]) == 0)
                        return true;
        return false;
}

static int api_send(tessera_client *c, const char *account, const char *method,
                    const char *path, const char *body, size_t body_len,
                    const char *content_type, unsigned wait_s, unsigned timeout_ms,
                    bool want_head, client_resp *ret) {
        char *target = NULL;
        size_t max_body;
        int r;

        if (!c || !method || !path)
                return TESSERA_E_INVALID;
        if (!account)
                account = "default";
        if (!tessera_account_name_is_valid(account) || !valid_api_path(path))
                return TESSERA_E_INVALID;
        if (wait_s > TESSERA_API_MAX_WAIT || (!body && body_len > 0))
                return TESSERA_E_INVALID;
        if (body && body_len > TESSERA_API_MAX_REQUEST)
                return TESSERA_E_TOO_LARGE;

        if (asprintf(&target, "/v1/accounts/%s/%s%s", account,
                     path[0] == '/' ? "api" : "tenant/", path) < 0)
                return TESSERA_E_NOMEM;

        pthread_mutex_lock(&c->lock);
        max_body = c->max_response;
        pthread_mutex_unlock(&c->lock);

        r = client_do(c, &(client_req) {
                        .method = method,
                        .path = target,
                        .body = body,
                        .body_len = body_len,
                        .content_type = content_type,
                        .wait_s = wait_s,
                        .max_body = max_body,
                        .timeout_ms = timeout_ms,
                        /* A held request (Tessera-Wait) must not time out here first. */
                        .extra_timeout_ms = wait_s * 1000U,
                        .no_replay = !is_idempotent(method),
                        .want_head = want_head,
                        .report_too_large = true,
                }, ret);
        free(target);
        return r;
}

_public_ int tessera_api_request(tessera_client *c, const char *account, const char *method,
                                 const char *path, const char *body, size_t body_len,
                                 const char *content_type, unsigned wait_s, unsigned timeout_ms,
                                 int *ret_http_status, char **ret_body, size_t *ret_body_len) {
        client_resp resp = {};
        int r;

        if (!ret_http_status)
                return TESSERA_E_INVALID;

        r = api_send(c, account, method, path, body, body_len, content_type, wait_s, timeout_ms,
                     false, &resp);
        if (r < 0)
                return r;

        *ret_http_status = resp.status;
        if (ret_body_len)
                *ret_body_len = resp.body_len;
        if (ret_body) {
                *ret_body = resp.body;
                resp.body = NULL;
        }
        client_resp_done(&resp);
        return 0;
}

/* The parser has already checked the head: CRLF line ends, token names,
 * a colon on every header line, at most HTTP_MAX_HEADERS of them. */
static int split_headers(tessera_response *r) {
        char *p, *eol;

        r->fields = strdup(r->head);
        if (!r->fields)
                return TESSERA_E_NOMEM;

        p = strstr(r->fields, "\r\n");
        if (!p)
                return 0;
        for (p += 2; *p && r->n_headers < HTTP_MAX_HEADERS; p = eol + 2) {
                char *colon, *v, *e;

                eol = strstr(p, "\r\n");
                if (!eol)
                        break;
                *eol = '\0';
                colon = strchr(p, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
                        ;
                for (e = eol; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
                        ;
                *e = '\0';
                r->names[r->n_headers] = p;
                r->values[r->n_headers] = v;
                r->n_headers++;
        }
        return 0;
}

_public_ int tessera_api_call(tessera_client *c, const char *account, const char *method,
                              const char *path, const char *body, size_t body_len,
                              const char *content_type, unsigned wait_s, unsigned timeout_ms,
                              tessera_response **ret) {
        client_resp resp = {};
        tessera_response *t;
        int r;

        if (!ret)
                return TESSERA_E_INVALID;

        r = api_send(c, account, method, path, body, body_len, content_type, wait_s, timeout_ms,
                     true, &resp);
        if (r < 0)
                return r;

        t = calloc(1, sizeof(*t));
        if (!t) {
                client_resp_done(&resp);
                return TESSERA_E_NOMEM;
        }
        t->status = resp.status;
        t->body = resp.body;
        t->body_len = resp.body_len;
        t->head = resp.head;
        t->head_len = resp.head_len;
        if (split_headers(t) < 0) {
                tessera_response_free(t);
                return TESSERA_E_NOMEM;
        }
        *ret = t;
        return 0;
}

_public_ int tessera_response_status(const tessera_response *r) {
        return r ? r->status : 0;
}

_public_ const char *tessera_response_body(const tessera_response *r, size_t *ret_len) {
        if (!r)
                return NULL;
        if (ret_len)
                *ret_len = r->body_len;
        return r->body;
}

_public_ const char *tessera_response_header(const tessera_response *r, const char *name) {
        if (!r || !name)
                return NULL;
        for (size_t i = 0; i < r->n_headers; i++)
                if (strcasecmp(r->names[i], name) == 0)
                        return r->values[i];
        return NULL;
}

_public_ const char *tessera_response_head(const tessera_response *r) {
        return r ? r->head : NULL;
}

/* IMF-fixdate, the only HTTP-date form senders may generate (RFC 9110
 * section 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT". */
static int parse_http_date(const char *s, time_t *ret) {
        static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
        char wday[4], mon[4];
        int d, y, h, mi, sec, end = 0;
        const char *m;
        struct tm tm = {};
        time_t t;

        if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n",
                   wday, &d, mon, &y, &h, &mi, &sec, &end) != 7 || end == 0 || s[end] != '\0')
                return -1;
        m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
        if (!m || (m - months) % 3 != 0 || d < 1 || d > 31 || y < 1970 || h > 23 || mi > 59 || sec > 60)
                return -1;

        tm.tm_year = y - 1900;
        tm.tm_mon = (int) ((m - months) / 3);
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -1;
        *ret = t;
        return 0;
}

_public_ int64_t tessera_response_retry_after(const tessera_response *r) {
        const char *v = tessera_response_header(r, "Retry-After");
        int64_t x = 0;
        time_t when;

        if (!v || !*v)
                return -1;
        if (v[0] >= '0' && v[0] <= '9') {
                for (const char *p = v; *p; p++) {
                        if (*p < '0' || *p > '9')
                                return -1;
                        /* Anything beyond a year is as good as "much later". */
                        if (x < 366 * 86400)
                                x = x * 10 + (*p - '0');
                }
                return x;
        }
        if (parse_http_date(v, &when) < 0)
                return -1;
        x = (int64_t) when - (int64_t) time(NULL);
        return x > 0 ? x : 0;
}

_public_ tessera_response *tessera_response_free(tessera_response *r) {
        if (!r)
                return NULL;
        wipe_free(r->body, r->body_len + 1);
        free(r->head);
        free(r->fields);
        free(r);
        return NULL;
}

_public_ int tessera_client_set_max_response(tessera_client *c, size_t max_bytes) {
        if (!c || max_bytes > TESSERA_API_MAX_RESPONSE_LIMIT)
                return TESSERA_E_INVALID;
        pthread_mutex_lock(&c->lock);
        c->max_response = max_bytes > 0 ? max_bytes : TESSERA_API_DEFAULT_MAX_RESPONSE;
        pthread_mutex_unlock(&c->lock);
        return 0;
}
