/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "login/landing.h"
#include "util/log.h"
#include "glue/mhd-glue.h"
#include "login/redirect.h"
#include "util/secret.h"

/* Enough for a browser's few parallel connections (page, favicon,
 * preconnects); the rest are refused by MHD, not queued forever. */
#define REDIRECT_CONNECTION_LIMIT 16U
#define REDIRECT_CONNECTION_TIMEOUT_S 30U
#define REDIRECT_CONNECTION_MEMORY (32U * 1024U)
#define REDIRECT_PAGE_MAX (256U * 1024U)

struct redirect_listener {
        sd_event *event;
        struct MHD_Daemon *daemon;
        mhd_glue *glue;
        sd_event_source *free_defer;   /* finishes a free requested from the handler */

        uint16_t port;
        char host[sizeof "127.0.0.1:65535"];

        char *expected_state;           /* secret */
        char *expected_issuer;
        char *account;
        char *csp;

        redirect_handler handler;
        void *userdata;

        bool accepted;                  /* the one callback has arrived */
        bool expired;                   /* the login timed out: answer "expired", accept nothing */
        bool in_handler;
        bool dying;                     /* freed by the owner, teardown pending */

        /* The accepted request, while suspended and waiting for respond(). */
        struct MHD_Connection *suspended;
        char *response_html;
        unsigned response_status;

        char *code;                     /* secret */
        char *error;
        char *error_description;
};

/* Per-request markers in MHD's con_cls: the accepted request carries the
 * listener pointer itself, so its second run (after resume) is recognised. */
static char request_seen;

static const char *const outcome_table[_REDIRECT_OUTCOME_MAX] = {
        [REDIRECT_CODE] = "code",
        [REDIRECT_ERROR] = "error",
        [REDIRECT_BAD_STATE] = "bad-state",
        [REDIRECT_BAD_ISSUER] = "bad-issuer",
        [REDIRECT_MALFORMED] = "malformed",
        [REDIRECT_EXPIRED] = "expired",
};

const char *redirect_outcome_to_string(redirect_outcome o) {
        if (o < 0 || o >= _REDIRECT_OUTCOME_MAX)
                return NULL;
        return outcome_table[o];
}

_printf_(2, 0)
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char buf[256], *q;

        if (log_get_max_level() < LOG_DEBUG)
                return;
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        /* Never let a query string (code, state) reach the log, should MHD
         * ever quote a request target in a message. */
        q = strchr(buf, '?');
        if (q)
                *q = '\0';
        buf[strcspn(buf, "\r\n")] = '\0';
        log_debug("redirect listener: libmicrohttpd: %s", buf);
}

static enum MHD_Result queue_html(redirect_listener *l, struct MHD_Connection *c, unsigned status, const char *html) {
        struct MHD_Response *resp;
        enum MHD_Result r;

        resp = MHD_create_response_from_buffer(strlen(html), (void *) html, MHD_RESPMEM_MUST_COPY);
        if (!resp)
                return MHD_NO;

        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8") != MHD_YES ||
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
            MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
            MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES ||
            MHD_add_response_header(resp, "Content-Security-Policy", l->csp) != MHD_YES) {
                MHD_destroy_response(resp);
                return MHD_NO;
        }

        r = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result queue_page(redirect_listener *l, struct MHD_Connection *c, landing_kind kind) {
        _cleanup_(freep) char *html = NULL;
        landing_info info = { .account = l->account };

        if (landing_render(kind, &info, &html) < 0)
                return MHD_NO;   /* MHD closes the connection: all we can do without memory */
        return queue_html(l, c, landing_http_status(kind), html);
}

typedef struct callback_params {
        const char *code;
        const char *state;
        const char *iss;
        const char *error;
        const char *error_description;
        bool malformed;
} callback_params;

typedef enum charset {
        CHARSET_VSCHAR_NOSPACE,         /* %x21-7E: code, state, iss */
        CHARSET_NQSCHAR,                /* RFC 6749 A.7: error */
        CHARSET_NQSCHAR_SPACE,          /* RFC 6749 A.8: error_description */
} charset;

static bool value_in_charset(const char *v, size_t n, charset cs) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) v[i];

                switch (cs) {
                case CHARSET_VSCHAR_NOSPACE:
                        if (c < 0x21 || c > 0x7e)
                                return false;
                        break;
                case CHARSET_NQSCHAR_SPACE:
                        if (c == 0x20)
                                break;
                        __attribute__((fallthrough));
                case CHARSET_NQSCHAR:
                        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
                                return false;
                        break;
                }
        }
        return true;
}

static enum MHD_Result on_query_arg(
                void *cls,
                enum MHD_ValueKind kind,
                const char *key,
                size_t key_size,
                const char *value,
                size_t value_size) {

        static const struct {
                const char *name;
                size_t offset;
                size_t max;
                charset cs;
        } known[] = {
                { "code",              offsetof(callback_params, code),              REDIRECT_CODE_MAX,              CHARSET_VSCHAR_NOSPACE },
                { "state",             offsetof(callback_params, state),             REDIRECT_STATE_MAX,             CHARSET_VSCHAR_NOSPACE },
                { "iss",               offsetof(callback_params, iss),               REDIRECT_ISS_MAX,               CHARSET_VSCHAR_NOSPACE },
                { "error",             offsetof(callback_params, error),             REDIRECT_ERROR_MAX,             CHARSET_NQSCHAR },
                { "error_description", offsetof(callback_params, error_description), REDIRECT_ERROR_DESCRIPTION_MAX, CHARSET_NQSCHAR_SPACE },
        };
        callback_params *p = cls;

        for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                const char **slot;

                if (key_size != strlen(known[i].name) || memcmp(key, known[i].name, key_size) != 0)
                        continue;

                slot = (const char **) ((char *) p + known[i].offset);
                /* A duplicate leaves it ambiguous which value the IdP meant
                 * (RFC 6749 §3.1: parameters must not be repeated). */
                if (*slot ||
                    !value || value_size == 0 || value_size > known[i].max ||
                    memchr(value, '\0', value_size) ||
                    !value_in_charset(value, value_size, known[i].cs)) {
                        p->malformed = true;
                        return MHD_NO;
                }
                *slot = value;
                return MHD_YES;
        }

        /* Extra parameters (session_state, scope, ...) are ignored. */
        return MHD_YES;
}

/* Decides the outcome; *verified tells whether the state matched. */
static redirect_outcome classify(redirect_listener *l, const callback_params *p, bool *verified) {
        *verified = false;

        if (p->malformed)
                return REDIRECT_MALFORMED;
        if (!p->state || !secret_streq(p->state, l->expected_state))
                return REDIRECT_BAD_STATE;

        *verified = true;
        if (l->expected_issuer && p->iss && !streq(p->iss, l->expected_issuer))
                return REDIRECT_BAD_ISSUER;
        if (!!p->code == !!p->error)
                return REDIRECT_MALFORMED;
        if (p->error)
                return REDIRECT_ERROR;
        return REDIRECT_CODE;
}

static void call_handler(redirect_listener *l, const redirect_result *res) {
        if (!l->handler || l->dying)
                return;
        l->in_handler = true;
        l->handler(l, res, l->userdata);
        l->in_handler = false;
}

static enum MHD_Result on_callback(redirect_listener *l, struct MHD_Connection *c, void **con_cls) {
        callback_params p = {};
        redirect_result res = {};
        bool verified;
        enum MHD_Result mr;

        (void) MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_query_arg, &p);

        res.outcome = classify(l, &p, &verified);
        log_debug("redirect listener: callback received: %s%s",
                  strempty(redirect_outcome_to_string(res.outcome)), verified ? "" : " (not accepted)");

        if (!verified) {
                mr = queue_page(l, c, LANDING_BAD_STATE);
                call_handler(l, &res);
                return mr;
        }

        if (l->expired) {
                /* The person came back with the genuine link, too late: the
                 * code stays where it is, unread and unspent. */
                res.outcome = REDIRECT_EXPIRED;
                mr = queue_page(l, c, LANDING_EXPIRED);
                call_handler(l, &res);
                return mr;
        }

        if (res.outcome == REDIRECT_CODE) {
                l->code = secret_strdup(p.code);
                if (!l->code)
                        return queue_page(l, c, LANDING_GENERIC);
        } else if (res.outcome == REDIRECT_ERROR) {
                l->error = strdup(p.error);
                if (!l->error)
                        return queue_page(l, c, LANDING_GENERIC);
                if (p.error_description) {
                        l->error_description = strdup(p.error_description);
                        if (!l->error_description)
                                return queue_page(l, c, LANDING_GENERIC);
                }
        }

        l->accepted = true;
        l->suspended = c;
        *con_cls = l;

        res.awaiting_response = true;
        res.code = l->code;
        res.error = l->error;
        res.error_description = l->error_description;
        call_handler(l, &res);

        if (l->response_html || l->dying) {
                /* Answered (or abandoned) from inside the handler: no need
                 * to suspend at all. */
                l->suspended = NULL;
                *con_cls = &request_seen;
                if (l->response_html) {
                        mr = queue_html(l, c, l->response_status, l->response_html);
                        free(TAKE_PTR(l->response_html));
                        return mr;
                }
                return queue_page(l, c, LANDING_GENERIC);
        }

        MHD_suspend_connection(c);
        return MHD_YES;
}

static enum MHD_Result on_request(
                void *cls,
                struct MHD_Connection *c,
                const char *url,
                const char *method,
                const char *version,
                const char *upload_data,
                size_t *upload_data_size,
                void **con_cls) {

        redirect_listener *l = cls;
        const char *host;

        if (*con_cls == l) {
                /* The accepted request, resumed by respond(). */
                enum MHD_Result mr;

                *con_cls = &request_seen;
                if (!l->response_html)
                        return MHD_NO;
                mr = queue_html(l, c, l->response_status, l->response_html);
                free(TAKE_PTR(l->response_html));
                return mr;
        }
        if (*con_cls == &request_seen) {
                /* A body we did not ask for: drop it, the answer is queued. */
                *upload_data_size = 0;
                return MHD_YES;
        }
        *con_cls = &request_seen;

        host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (!host || !streq(host, l->host) || !streq(method, MHD_HTTP_METHOD_GET) || !streq(url, "/callback"))
                return queue_page(l, c, LANDING_NOT_FOUND);

        if (l->dying || (l->accepted && !l->expired))
                return queue_page(l, c, LANDING_ALREADY_HANDLED);

        return on_callback(l, c, con_cls);
}

static void on_request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        redirect_listener *l = cls;

        if (l->suspended == c)
                l->suspended = NULL;
        *con_cls = NULL;
}

static void listener_destroy(redirect_listener *l) {
        l->glue = mhd_glue_free(l->glue);
        if (l->daemon) {
                /* MHD_stop_daemon() must not see a suspended connection. */
                if (l->suspended)
                        MHD_resume_connection(TAKE_PTR(l->suspended));
                MHD_stop_daemon(l->daemon);
        }
        sd_event_source_disable_unref(l->free_defer);
        sd_event_unref(l->event);
        secret_free(l->expected_state);
        secret_free(l->code);
        free(l->expected_issuer);
        free(l->account);
        free(l->csp);
        free(l->response_html);
        free(l->error);
        free(l->error_description);
        free(l);
}

static int on_deferred_free(sd_event_source *s, void *userdata) {
        listener_destroy(userdata);
        return 0;
}

redirect_listener *redirect_listener_free(redirect_listener *l) {
        if (!l)
                return NULL;

        if (l->in_handler) {
                /* We are inside MHD_run() of this very daemon: stopping it
                 * here would pull the floor away. */
                l->dying = true;
                l->handler = NULL;
                if (sd_event_source_set_enabled(l->free_defer, SD_EVENT_ONESHOT) < 0)
                        log_debug("redirect listener: cannot schedule teardown, leaking it");
                return NULL;
        }

        listener_destroy(l);
        return NULL;
}

static int read_bound_port(struct MHD_Daemon *d, uint16_t *ret) {
        const union MHD_DaemonInfo *info;
        struct sockaddr_in sa = {};
        socklen_t len = sizeof sa;

        info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
        if (!info || info->listen_fd < 0)
                return -EIO;
        if (getsockname(info->listen_fd, (struct sockaddr *) &sa, &len) < 0)
                return -errno;
        if (len < sizeof sa || sa.sin_family != AF_INET || sa.sin_addr.s_addr != htonl(INADDR_LOOPBACK) ||
            sa.sin_port == 0)
                return -EADDRNOTAVAIL;

        *ret = ntohs(sa.sin_port);
        return 0;
}

int redirect_listener_new(
                sd_event *e,
                const char *expected_state,
                const char *expected_issuer,
                redirect_handler handler,
                void *userdata,
                redirect_listener **ret) {

        _cleanup_(redirect_listener_freep) redirect_listener *l = NULL;
        struct sockaddr_in sa = {
                .sin_family = AF_INET,
                .sin_port = htons(0),
                .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
        };
        int r;

        if (!e || !handler || !ret || isempty(expected_state) ||
            strnlen(expected_state, REDIRECT_STATE_MAX + 1) > REDIRECT_STATE_MAX ||
            (expected_issuer && (isempty(expected_issuer) ||
                                 strnlen(expected_issuer, REDIRECT_ISS_MAX + 1) > REDIRECT_ISS_MAX)))
                return -EINVAL;

        l = calloc(1, sizeof *l);
        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(e);
        l->handler = handler;
        l->userdata = userdata;

        l->expected_state = secret_strdup(expected_state);
        if (!l->expected_state)
                return -ENOMEM;
        if (expected_issuer) {
                l->expected_issuer = strdup(expected_issuer);
                if (!l->expected_issuer)
                        return -ENOMEM;
        }
        r = landing_csp(&l->csp);
        if (r < 0)
                return r;

        r = sd_event_add_defer(e, &l->free_defer, on_deferred_free, l);
        if (r < 0)
                return r;
        r = sd_event_source_set_enabled(l->free_defer, SD_EVENT_OFF);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(l->free_defer, "redirect-listener-free");

        errno = 0;
        l->daemon = MHD_start_daemon(
                        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                        0, NULL, NULL,
                        on_request, l,
                        /* First, or MHD prints its earlier messages to stderr. */
                        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
                        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) &sa,
                        MHD_OPTION_CONNECTION_LIMIT, REDIRECT_CONNECTION_LIMIT,
                        MHD_OPTION_CONNECTION_TIMEOUT, REDIRECT_CONNECTION_TIMEOUT_S,
                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) REDIRECT_CONNECTION_MEMORY,
                        MHD_OPTION_LISTEN_BACKLOG_SIZE, REDIRECT_CONNECTION_LIMIT,
                        MHD_OPTION_NOTIFY_COMPLETED, on_request_completed, l,
                        MHD_OPTION_END);
        if (!l->daemon)
                return errno > 0 ? -errno : -EIO;

        r = read_bound_port(l->daemon, &l->port);
        if (r < 0)
                return r;
        (void) snprintf(l->host, sizeof l->host, "127.0.0.1:%u", (unsigned) l->port);

        r = mhd_glue_new(e, l->daemon, "redirect-listener", &l->glue);
        if (r < 0)
                return r;

        log_debug("redirect listener: listening on 127.0.0.1:%u", (unsigned) l->port);
        *ret = TAKE_PTR(l);
        return 0;
}

uint16_t redirect_listener_port(const redirect_listener *l) {
        return l ? l->port : 0;
}

int redirect_listener_uri(const redirect_listener *l, char **ret) {
        char *s;

        if (!l || !ret)
                return -EINVAL;
        if (asprintf(&s, "http://%s/callback", l->host) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int redirect_listener_set_account(redirect_listener *l, const char *account) {
        if (!l)
                return -EINVAL;
        return free_and_strdup(&l->account, account);
}

int redirect_listener_respond(redirect_listener *l, const char *html, unsigned http_status) {
        char *copy;

        if (!l || !html || http_status < 100 || http_status > 599 ||
            strnlen(html, REDIRECT_PAGE_MAX + 1) > REDIRECT_PAGE_MAX)
                return -EINVAL;
        if (!l->suspended || l->response_html || l->dying)
                return -ENOTCONN;

        copy = strdup(html);
        if (!copy)
                return -ENOMEM;
        l->response_html = copy;
        l->response_status = http_status;

        if (l->in_handler)
                return 0;   /* on_callback() queues it when the handler returns */

        MHD_resume_connection(TAKE_PTR(l->suspended));
        mhd_glue_kick(l->glue);
        return 0;
}

int redirect_listener_expire(redirect_listener *l) {
        landing_info info;

        if (!l)
                return -EINVAL;
        if (l->expired)
                return 0;
        l->expired = true;

        /* A callback accepted just before the timeout: its exchange is
         * being abandoned, so that browser learns the same. */
        info = (landing_info) { .account = l->account };
        (void) redirect_listener_respond_page(l, LANDING_EXPIRED, &info);
        return 0;
}

int redirect_listener_respond_page(redirect_listener *l, landing_kind kind, const landing_info *info) {
        _cleanup_(freep) char *html = NULL;
        int r;

        r = landing_render(kind, info, &html);
        if (r < 0)
                return r;
        return redirect_listener_respond(l, html, landing_http_status(kind));
}
