/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "glue/mhd-glue.h"
#include "login/landing.h"
#include "login/redirect-http.h"
#include "login/redirect-params.h"
#include "login/redirect.h"
#include "util/log.h"
#include "util/secret.h"

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

static enum MHD_Result queue_html(redirect_listener *l, struct MHD_Connection *c, unsigned status, const char *html) {
        return redirect_http_queue_html(c, status, html, l->csp);
}

static enum MHD_Result queue_page(redirect_listener *l, struct MHD_Connection *c, landing_kind kind) {
        _cleanup_(freep) char *html = NULL;
        landing_info info = { .account = l->account };

        if (landing_render(kind, &info, &html) < 0)
                return MHD_NO;   /* MHD closes the connection: all we can do without memory */
        return queue_html(l, c, landing_http_status(kind), html);
}

/* Each query parameter, as MHD decoded it; redirect-params judges it. */
static enum MHD_Result on_query_arg(
                void *cls,
                enum MHD_ValueKind kind,
                const char *key,
                size_t key_size,
                const char *value,
                size_t value_size) {

        return redirect_params_add(cls, key, key_size, value, value_size) < 0 ? MHD_NO : MHD_YES;
}

static void call_handler(redirect_listener *l, const redirect_result *res) {
        if (!l->handler || l->dying)
                return;
        l->in_handler = true;
        l->handler(l, res, l->userdata);
        l->in_handler = false;
}

static enum MHD_Result on_callback(redirect_listener *l, struct MHD_Connection *c, void **con_cls) {
        redirect_params p = {};
        redirect_result res = {};
        bool verified;
        enum MHD_Result mr;

        (void) MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_query_arg, &p);

        res.outcome = redirect_params_classify(&p, l->expected_state, l->expected_issuer, &verified);
        log_debug("redirect listener: callback received: %s%s",
                  strempty(redirect_outcome_to_string(res.outcome)), verified ? "" : " (not accepted)");

        if (!verified) {
                mr = queue_page(l, c, redirect_outcome_landing(res.outcome, verified, NULL));
                call_handler(l, &res);
                return mr;
        }

        if (l->expired) {
                /* The person came back with the genuine link, too late: the
                 * code stays where it is, unread and unspent. */
                res.outcome = REDIRECT_EXPIRED;
                mr = queue_page(l, c, redirect_outcome_landing(res.outcome, verified, NULL));
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

int redirect_listener_new(
                sd_event *e,
                const char *expected_state,
                const char *expected_issuer,
                redirect_handler handler,
                void *userdata,
                redirect_listener **ret) {

        _cleanup_(redirect_listener_freep) redirect_listener *l = NULL;
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

        r = redirect_http_start(on_request, on_request_completed, l, &l->daemon, &l->port);
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
        (void) redirect_listener_respond_page(l, redirect_outcome_landing(REDIRECT_EXPIRED, true, NULL), &info);
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
