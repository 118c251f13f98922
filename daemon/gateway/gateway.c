/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sodium.h>
#include <strings.h>

#include "api/api-routes.h"
#include "gateway/gateway.h"
#include "idp/http-fetch.h"
#include "util/log.h"
#include "core/manager.h"
#include "peer/peer.h"
#include "core/refresh.h"
#include "util/secret.h"
#include "idp/upstream.h"

/* Request headers an application may set for the API; everything else,
 * its Authorization first of all, stays on this side. */
static const char *const forwarded_headers[] = {
        "Content-Type", "Accept-Language", "If-Match", "If-None-Match", "If-Modified-Since",
        "If-Unmodified-Since", "Prefer", "X-Request-Id",
};

typedef enum call_phase {
        CALL_QUEUED,
        CALL_TOKEN,             /* waiting for a refresh */
        CALL_UPSTREAM,          /* request sent, headers not yet back */
        CALL_STREAMING,         /* answer queued, body flowing */
        CALL_DONE,
        _CALL_PHASE_MAX,
} call_phase;

typedef struct gw_call gw_call;

struct gw_call {
        gateway_account *gw;
        api_request *request;           /* NULL once MHD is done with it */
        unsigned refs;                  /* the request, and the response while MHD holds it */
        call_phase phase;
        char *method;
        char *url;
        char *audit_path;               /* upstream path without the query */
        char *body;
        size_t body_len;
        char **headers;
        unsigned attempt;
        uint64_t arrived;               /* CLOCK_MONOTONIC */
        uint64_t wait_usec;             /* how long the caller sits out a 429 pause */
        bool holds_slot;
        bool probe;
        bool audited;
        refresh_waiter *refresh;
        upstream *up;
        char *token_used;               /* secret: tells a refreshed token from the refused one */
        bool reader_suspended;
        long status;
        pid_t pid;
        uid_t uid;
        gid_t gid;
        char *exe, *unit;
        gw_call *next, *prev;           /* in the queue */
        gw_call *all_next, *all_prev;   /* every live call of the account */
};

struct gateway_account {
        account *account;
        unsigned in_flight;             /* calls holding an upstream slot */
        gw_call *queue, *queue_last;
        unsigned queued;
        gw_call *calls;
        uint64_t paused_until;          /* CLOCK_MONOTONIC, 0 = not paused */
        bool pause_ended;               /* the next call to start is the probe */
        bool probing;
        bool dispatching;
        sd_event_source *pause_timer;
};

static void dispatch(gateway_account *gw);
static void call_start(gw_call *c);

static uint64_t mono_now(account *a) {
        uint64_t now = 0;

        (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
        return now;
}

/* ---- pure helpers ---- */

static bool path_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr("-._~!$&'()*+,;=:@/%", c);
}

bool gateway_path_is_safe(const char *path) {
        size_t n = strlen(path);

        if (n == 0 || n > GATEWAY_PATH_MAX || path[0] == '/')
                return false;
        for (const char *p = path; *p; p++) {
                if (!path_char_ok(*p))
                        return false;
                if (*p == '%' && !(isxdigit((unsigned char) p[1]) && isxdigit((unsigned char) p[2])))
                        return false;
        }
        /* No segment may climb out of the API base: ".", "..", and their
         * percent-encoded spellings. */
        for (const char *seg = path; seg; ) {
                const char *end = strchr(seg, '/');
                size_t len = end ? (size_t) (end - seg) : strlen(seg);
                size_t dots = 0, i = 0;

                while (i < len) {
                        if (seg[i] == '.')
                                i++;
                        else if (i + 2 < len && seg[i] == '%' && seg[i + 1] == '2' &&
                                 (seg[i + 2] == 'e' || seg[i + 2] == 'E'))
                                i += 3;
                        else
                                break;
                        dots++;
                }
                if (i == len && dots > 0 && dots <= 2)
                        return false;
                seg = end ? end + 1 : NULL;
        }
        return true;
}

static bool query_is_safe(const char *q) {
        if (strlen(q) > GATEWAY_PATH_MAX)
                return false;
        for (const char *p = q; *p; p++)
                if (!path_char_ok(*p) && *p != '?')
                        return false;
        return true;
}

int gateway_build_url(const char *api_base, const char *tenant_id, const char *rest, const char *query,
                      char **ret) {
        size_t base_len = strlen(api_base);
        char *url = NULL;
        int k;

        while (base_len > 0 && api_base[base_len - 1] == '/')
                base_len--;
        if (tenant_id)
                k = asprintf(&url, "%.*s/v2/tenants/%s/%s%s%s", (int) base_len, api_base, tenant_id, rest,
                             isempty(query) ? "" : "?", strempty(query));
        else
                k = asprintf(&url, "%.*s/%s%s%s", (int) base_len, api_base, rest,
                             isempty(query) ? "" : "?", strempty(query));
        if (k < 0)
                return -ENOMEM;
        *ret = url;
        return 0;
}

unsigned gateway_retry_after(const char *value, int64_t now) {
        uint64_t sec = 0;

        if (!value || http_parse_retry_after(value, now, &sec) < 0)
                return GATEWAY_PAUSE_DEFAULT_SEC;
        return (unsigned) MAX((uint64_t) 1, MIN(sec, (uint64_t) GATEWAY_PAUSE_MAX_SEC));
}

/* ---- call lifetime ---- */

static gateway_account *gateway_get(account *a) {
        if (!a->gateway) {
                a->gateway = calloc(1, sizeof(gateway_account));
                if (a->gateway)
                        a->gateway->account = a;
        }
        return a->gateway;
}

static void queue_unlink(gw_call *c) {
        gateway_account *gw = c->gw;

        if (!gw || (!c->prev && gw->queue != c))
                return;
        if (c->prev)
                c->prev->next = c->next;
        else
                gw->queue = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                gw->queue_last = c->prev;
        c->next = c->prev = NULL;
        gw->queued--;
}

static void queue_push(gw_call *c, bool front) {
        gateway_account *gw = c->gw;

        c->phase = CALL_QUEUED;
        if (front) {
                c->next = gw->queue;
                if (gw->queue)
                        gw->queue->prev = c;
                else
                        gw->queue_last = c;
                gw->queue = c;
        } else {
                c->prev = gw->queue_last;
                if (gw->queue_last)
                        gw->queue_last->next = c;
                else
                        gw->queue = c;
                gw->queue_last = c;
        }
        gw->queued++;
}

static void audit(gw_call *c, long status) {
        uint64_t ms = 0;

        if (c->audited || !c->gw)
                return;
        c->audited = true;
        ms = (mono_now(c->gw->account) - c->arrived) / USEC_PER_MSEC;
        /* The path without its query: patient data can hide in queries. */
        log_info("audit: api account=%s pid=%d uid=%u gid=%u exe=%s unit=%s method=%s path=%s status=%ld duration_ms=%" PRIu64,
                 c->gw->account->conf->name, (int) c->pid, (unsigned) c->uid, (unsigned) c->gid,
                 strempty(c->exe), strempty(c->unit), c->method, c->audit_path, status, ms);
}

static void release_slot(gw_call *c) {
        gateway_account *gw = c->gw;

        if (!c->holds_slot || !gw)
                return;
        c->holds_slot = false;
        gw->in_flight--;
        if (c->probe) {
                c->probe = false;
                gw->probing = false;
        }
}

/* Stops everything that works for the call; the call itself lives on
 * while MHD holds references. */
static void call_stop(gw_call *c) {
        gateway_account *gw = c->gw;

        queue_unlink(c);
        c->refresh = refresh_waiter_cancel(c->refresh);
        c->up = upstream_free(c->up);
        release_slot(c);
        c->token_used = secret_free(c->token_used);
        if (gw)
                dispatch(gw);
}

static void call_free(gw_call *c) {
        gateway_account *gw = c->gw;

        call_stop(c);
        if (gw) {
                if (c->all_prev)
                        c->all_prev->all_next = c->all_next;
                else
                        gw->calls = c->all_next;
                if (c->all_next)
                        c->all_next->all_prev = c->all_prev;
        }
        free(c->method);
        free(c->url);
        free(c->audit_path);
        free(c->body);
        strv_free(c->headers);
        free(c->exe);
        free(c->unit);
        free(c);
}

static void call_unref(gw_call *c) {
        if (--c->refs == 0)
                call_free(c);
}

/* Answers with a daemon-made error (JSON), once. */
static void call_fail(gw_call *c, unsigned status, const char *code, const char *fmt, ...) _printf_(4, 5);
static void call_fail(gw_call *c, unsigned status, const char *code, const char *fmt, ...) {
        api_request *r = c->request;
        char message[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);

        audit(c, status);
        c->phase = CALL_DONE;
        if (r) {
                r->on_abort = NULL;
                (void) api_request_reply_error(r, status, code, "%s", message);
        }
        call_stop(c);
}

static void call_fail_no_token(gw_call *c) {
        api_request *r = c->request;

        audit(c, 401);
        c->phase = CALL_DONE;
        if (r) {
                r->on_abort = NULL;
                (void) api_reply_no_token(r, c->gw->account);
        }
        call_stop(c);
}

/* The API refused the token and no newer one is at hand. While the IdP is
 * not answering that is an outage to wait out (503), not a reason to log
 * in again (401). */
static void call_fail_token_refused(gw_call *c) {
        if (c->gw->account->state == ACCOUNT_DEGRADED)
                call_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "idp_unavailable",
                          "the GipoNext API refused the token and the identity provider cannot renew it now; "
                          "try again later");
        else
                call_fail(c, MHD_HTTP_UNAUTHORIZED, "login_required",
                          "the GipoNext API refused the token and no newer one could be obtained");
}

/* ---- the 429 pause ---- */

static int on_pause_end(sd_event_source *s, uint64_t usec, void *userdata) {
        gateway_account *gw = userdata;

        gw->pause_timer = sd_event_source_disable_unref(gw->pause_timer);
        gw->paused_until = 0;
        gw->pause_ended = true;
        log_info("account %s: API rate-limit pause over, probing with one request", gw->account->conf->name);
        dispatch(gw);
        return 0;
}

static void reject_paused(gateway_account *gw, gw_call *c, uint64_t now) {
        api_request *r = c->request;
        char ra[16];

        queue_unlink(c);
        audit(c, 429);
        c->phase = CALL_DONE;
        if (r) {
                struct MHD_Response *resp;
                const char *body = "{\"error\":\"rate_limited\",\"message\":\"the GipoNext API asked to pause; retry after Retry-After seconds\"}";

                r->on_abort = NULL;
                (void) snprintf(ra, sizeof ra, "%" PRIu64,
                                MAX((gw->paused_until - now + USEC_PER_SEC - 1) / USEC_PER_SEC, (uint64_t) 1));
                resp = MHD_create_response_from_buffer(strlen(body), (void *) body, MHD_RESPMEM_PERSISTENT);
                if (resp) {
                        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
                        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
                        (void) api_request_reply_response(r, MHD_HTTP_TOO_MANY_REQUESTS, resp);
                }
        }
        call_stop(c);
}

static void start_pause(gateway_account *gw, unsigned seconds) {
        account *a = gw->account;
        uint64_t now = mono_now(a), jitter, until;

        /* Plus up to 10% (at least up to 250 ms), so that apps and
         * workstations do not all come back in the same instant. */
        jitter = randombytes_uniform((uint32_t) MAX((uint64_t) seconds * USEC_PER_SEC / 10, 250 * USEC_PER_MSEC));
        until = now + (uint64_t) seconds * USEC_PER_SEC + jitter;
        if (until <= gw->paused_until)
                return;
        gw->paused_until = until;
        gw->pause_ended = false;
        gw->pause_timer = sd_event_source_disable_unref(gw->pause_timer);
        if (sd_event_add_time(a->manager->event, &gw->pause_timer, CLOCK_MONOTONIC, until, 0, on_pause_end, gw) < 0)
                gw->paused_until = 0;
        log_warning("account %s: the GipoNext API answered 429; pausing all calls for %u s", a->conf->name, seconds);
}

/* ---- dispatching ---- */

static void dispatch(gateway_account *gw) {
        account *a = gw->account;

        if (gw->dispatching)
                return;
        gw->dispatching = true;
        while (gw->queue) {
                uint64_t now = mono_now(a);

                if (gw->paused_until > now) {
                        /* Whoever cannot wait that long hears it now,
                         * without a call to the API. */
                        for (gw_call *c = gw->queue, *next; c; c = next) {
                                next = c->next;
                                if (c->arrived + c->wait_usec < gw->paused_until)
                                        reject_paused(gw, c, now);
                        }
                        break;
                }
                if (gw->probing || gw->in_flight >= a->conf->api_max_concurrent)
                        break;

                gw_call *c = gw->queue;
                queue_unlink(c);
                c->holds_slot = true;
                gw->in_flight++;
                if (gw->pause_ended) {
                        gw->pause_ended = false;
                        gw->probing = true;
                        c->probe = true;
                }
                call_start(c);
        }
        gw->dispatching = false;
}

/* ---- upstream ---- */

static void on_upstream(upstream *u, upstream_event event, void *userdata);

static void send_upstream(gw_call *c) {
        account *a = c->gw->account;
        upstream_request req = {
                .method = c->method,
                .url = c->url,
                .bearer_token = a->session->access_token,
                .body = c->body,
                .body_len = c->body_len,
                .headers = c->headers,
        };
        int k;

        secret_free(c->token_used);
        c->token_used = secret_strdup(a->session->access_token);
        if (!c->token_used) {
                call_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
                return;
        }
        c->phase = CALL_UPSTREAM;
        k = upstream_start(a->manager->event, a->manager->curl, &req, on_upstream, c, &c->up);
        if (k < 0)
                call_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "cannot start the API request: %s",
                          strerror(-k));
}

static void on_token_ready(account *a, void *userdata) {
        gw_call *c = userdata;

        c->refresh = NULL;
        if (account_token_valid_for(a, now_realtime(), 1))
                send_upstream(c);
        else
                call_fail_no_token(c);
}

static void call_start(gw_call *c) {
        account *a = c->gw->account;
        int64_t now = now_realtime();
        int k;

        if (account_token_valid_for(a, now, GATEWAY_MIN_TOKEN_VALIDITY)) {
                send_upstream(c);
                return;
        }
        c->phase = CALL_TOKEN;
        k = refresh_wait(a, on_token_ready, c, &c->refresh);
        if (k >= 0)
                return;
        if (account_token_valid_for(a, now, 1))
                send_upstream(c);
        else
                call_fail_no_token(c);
}

static void on_token_after_401(account *a, void *userdata) {
        gw_call *c = userdata;

        c->refresh = NULL;
        if (a->session && account_token_valid_for(a, now_realtime(), 1) &&
            !secret_streq(c->token_used, a->session->access_token))
                send_upstream(c);
        else
                call_fail_token_refused(c);
}

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max) {
        gw_call *c = cls;
        const char *msg = NULL;
        size_t n;
        int k;

        if (!c->up) {
                log_debug("gateway: stream of %s ended early: request cancelled", c->audit_path);
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        n = upstream_read(c->up, buf, max);
        if (n > 0)
                return (ssize_t) n;
        k = upstream_finished(c->up, &msg);
        if (k > 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (k < 0) {
                log_warning("account %s: the API's answer to %s %s broke off: %s", c->gw ? c->gw->account->conf->name : "?",
                            c->method, c->audit_path, strempty(msg));
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (!c->request)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        /* Nothing buffered yet: sleep until the next DATA event. */
        MHD_suspend_connection(c->request->connection);
        c->reader_suspended = true;
        return 0;
}

static void response_released(void *cls) {
        call_unref(cls);
}

static void stream_response(gw_call *c) {
        struct MHD_Response *resp;
        int64_t len = upstream_content_length(c->up);
        api_request *r = c->request;
        char *const *h;

        if (!r) {
                call_stop(c);
                return;
        }
        resp = MHD_create_response_from_callback(len >= 0 && strcmp(c->method, "HEAD") != 0 ? (uint64_t) len : MHD_SIZE_UNKNOWN,
                                                 32 * 1024, read_body, c, response_released);
        if (!resp) {
                call_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
                return;
        }
        c->refs++;              /* held by the response until MHD releases it */
        for (h = upstream_headers(c->up); h && *h; h++) {
                char name[128];
                const char *colon = strchr(*h, ':');
                size_t n = colon ? (size_t) (colon - *h) : 0;

                if (n == 0 || n >= sizeof name)
                        continue;
                memcpy(name, *h, n);
                name[n] = '\0';
                (void) MHD_add_response_header(resp, name, colon + 1 + strspn(colon + 1, " \t"));
        }
        c->phase = CALL_STREAMING;
        r->on_abort = NULL;
        (void) api_request_reply_response(r, (unsigned) c->status, resp);
}

static void on_headers(gw_call *c) {
        gateway_account *gw = c->gw;
        account *a = gw->account;
        const char *msg = NULL;
        int k;

        c->status = upstream_status(c->up);
        if (c->status == 0) {
                k = upstream_finished(c->up, &msg);
                if (k == -ETIMEDOUT)
                        call_fail(c, MHD_HTTP_GATEWAY_TIMEOUT, "api_timeout", "the GipoNext API did not answer in time (%s)", strempty(msg));
                else
                        call_fail(c, MHD_HTTP_BAD_GATEWAY, "api_unavailable", "cannot reach the GipoNext API: %s", strempty(msg));
                return;
        }

        if (c->status == MHD_HTTP_UNAUTHORIZED) {
                c->up = upstream_free(c->up);
                if (c->attempt > 1) {
                        log_warning("account %s: the GipoNext API refused a freshly refreshed token", a->conf->name);
                        call_fail(c, MHD_HTTP_UNAUTHORIZED, "login_required",
                                  "the GipoNext API refused the token even after a refresh; run: tessera login %s",
                                  a->conf->name);
                        return;
                }
                c->attempt++;
                /* Someone else may have refreshed meanwhile: then just
                 * retry; else one forced refresh, shared with every caller
                 * that needs it. */
                if (a->session && !secret_streq(c->token_used, a->session->access_token) &&
                    account_token_valid_for(a, now_realtime(), 1)) {
                        send_upstream(c);
                        return;
                }
                c->phase = CALL_TOKEN;
                k = refresh_wait(a, on_token_after_401, c, &c->refresh);
                if (k < 0)
                        call_fail_token_refused(c);
                return;
        }

        if (c->status == MHD_HTTP_TOO_MANY_REQUESTS) {
                unsigned sec = gateway_retry_after(upstream_header(c->up, "Retry-After"), now_realtime());
                uint64_t now = mono_now(a);

                start_pause(gw, sec);
                release_slot(c);
                if (c->arrived + c->wait_usec >= gw->paused_until) {
                        /* This caller waits it out: sent again after the
                         * pause, first in line. */
                        c->up = upstream_free(c->up);
                        queue_push(c, true);
                        dispatch(gw);
                        return;
                }
                (void) now;
                stream_response(c);
                dispatch(gw);
                return;
        }

        if (c->probe) {
                c->probe = false;
                gw->probing = false;
        }
        stream_response(c);
        dispatch(gw);
}

static void on_upstream(upstream *u, upstream_event event, void *userdata) {
        gw_call *c = userdata;
        int k;

        switch (event) {
        case UPSTREAM_HEADERS:
                on_headers(c);
                return;
        case UPSTREAM_DATA:
                if (c->reader_suspended && c->request) {
                        c->reader_suspended = false;
                        api_request_resume(c->request);
                }
                k = upstream_finished(u, NULL);
                if (k != 0 || upstream_transfer_done(u)) {
                        audit(c, k < 0 ? 0 : c->status);
                        if (c->holds_slot) {
                                release_slot(c);
                                dispatch(c->gw);
                        }
                }
                return;
        case _UPSTREAM_EVENT_MAX:
                break;
        }
}

/* ---- the request side ---- */

static void on_request_complete(api_request *r) {
        gw_call *c = r->owner;

        if (!c)
                return;
        r->owner = NULL;
        c->request = NULL;
        /* A short answer can be read completely before the transfer's own
         * end is seen: audit here too (once). Status 0: the client left
         * before an answer. */
        audit(c, c->phase == CALL_STREAMING ? c->status : 0);
        /* The client is gone: nothing more to fetch for it. */
        call_stop(c);
        call_unref(c);
}

static void on_request_abort(api_request *r) {
        gw_call *c = r->owner;

        if (c)
                call_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down", "tesserad is stopping");
}

static int collect_headers(api_request *r, bool has_body, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t n = 0;

        l = calloc(ELEMENTSOF(forwarded_headers) + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(forwarded_headers); i++) {
                const char *v = api_request_header(r, forwarded_headers[i]);

                if (!v || strpbrk(v, "\r\n"))
                        continue;
                if (asprintf(&l[n], "%s: %s", forwarded_headers[i], v) < 0)
                        return -ENOMEM;
                n++;
        }
        if (has_body && !api_request_header(r, "Content-Type")) {
                l[n] = strdup("Content-Type: application/json");
                if (!l[n])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int gateway_handle(account *a, api_request *r, bool tenant, const char *rest) {
        _cleanup_(freep) char *query = NULL;
        gateway_account *gw;
        const char *wait;
        unsigned wait_sec = a->conf->api_wait;
        gw_call *c;
        int k;

        if (!gateway_path_is_safe(rest))
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the API path must be relative, percent-encoded, without . or .. segments, at most %u bytes",
                                               GATEWAY_PATH_MAX);
        k = api_request_raw_query(r, &query);
        if (k < 0 || !query_is_safe(query))
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the query string is too long or not percent-encoded");
        wait = api_request_header(r, "Tessera-Wait");
        if (wait && api_parse_seconds(wait, API_WAIT_MAX, &wait_sec) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "Tessera-Wait must be a number of seconds from 0 to %u", API_WAIT_MAX);
        if (!a->session)
                return api_reply_no_token(r, a);
        if (tenant && !a->session->tenant_id)
                return api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                               "account %s has no tenant; run: tessera login %s", a->conf->name,
                                               a->conf->name);

        gw = gateway_get(a);
        if (!gw)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        if (gw->queued >= a->conf->api_queue_max && gw->in_flight >= a->conf->api_max_concurrent)
                return api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "api_busy",
                                               "%u API requests of account %s are already waiting; try again later",
                                               gw->queued, a->conf->name);

        c = calloc(1, sizeof *c);
        if (!c)
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        c->gw = gw;
        c->request = r;
        c->refs = 1;
        c->attempt = 1;
        c->arrived = mono_now(a);
        c->wait_usec = (uint64_t) wait_sec * USEC_PER_SEC;
        c->pid = r->peer->pid;
        c->uid = r->peer->uid;
        c->gid = r->peer->gid;
        c->all_next = gw->calls;
        if (gw->calls)
                gw->calls->all_prev = c;
        gw->calls = c;
        (void) peer_describe(r->peer, &c->exe, &c->unit);

        c->method = strdup(r->method);
        k = gateway_build_url(a->conf->api_base, tenant ? a->session->tenant_id : NULL, rest, query, &c->url);
        if (k >= 0)
                k = gateway_build_url("", tenant ? a->session->tenant_id : NULL, rest, NULL, &c->audit_path);
        if (k >= 0)
                k = collect_headers(r, r->body_len > 0, &c->headers);
        if (k < 0 || !c->method) {
                call_unref(c);
                return api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
        }
        /* The body moves to the call: the request may be gone before the
         * API is reached. */
        c->body = TAKE_PTR(r->body);
        c->body_len = r->body_len;
        r->body_len = r->body_cap = 0;

        r->owner = c;
        r->on_complete = on_request_complete;
        api_request_suspend(r, on_request_abort, c);

        queue_push(c, false);
        dispatch(gw);
        return 0;
}

void gateway_account_gone(account *a) {
        gateway_account *gw = a->gateway;

        if (!gw)
                return;
        while (gw->calls) {
                gw_call *c = gw->calls;

                if (c->phase != CALL_STREAMING && c->phase != CALL_DONE)
                        call_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                  "the account was removed or tesserad is stopping");
                call_stop(c);
                if (c->reader_suspended && c->request) {
                        c->reader_suspended = false;
                        api_request_resume(c->request);
                }
                gw->calls = c->all_next;
                if (gw->calls)
                        gw->calls->all_prev = NULL;
                c->all_next = c->all_prev = NULL;
                c->gw = NULL;
        }
        sd_event_source_disable_unref(gw->pause_timer);
        free(gw);
        a->gateway = NULL;
}
