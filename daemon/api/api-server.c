/* SPDX-License-Identifier: MIT */
#include <systemd/sd-daemon.h>

#include "api/api-routes.h"
#include "api/api-server.h"
#include "gateway/gateway.h"
#include "http/http-api.h"
#include "login/login.h"
#include "util/log.h"

#define SHUTDOWN_GRACE_USEC (5 * USEC_PER_SEC)
#define SHUTDOWN_POLL_USEC (20 * USEC_PER_MSEC)

struct api_server {
        manager *manager;
        http_api *http;
        bool stopping;
        uint64_t stop_deadline_usec;
        sd_event_source *stop_timer;
};

static const http_api_handler api_handler = {
        .body_max = api_routes_body_max,
        .handle = api_routes_handle,
};

/* Before core/ ends an account's refresh and revocations: the requests
 * held for it are answered first. */
static void on_account_gone(account *a) {
        gateway_account_gone(a);
        login_account_gone(a);
}

int api_server_new(manager *m, api_server **ret) {
        _cleanup_(api_server_freep) api_server *s = NULL;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->manager = m;
        r = http_api_new(m, &api_handler, m, &s->http);
        if (r < 0)
                return r;
        m->account_gone = on_account_gone;
        *ret = TAKE_PTR(s);
        return 0;
}

api_server *api_server_free(api_server *s) {
        if (!s)
                return NULL;
        s->stop_timer = sd_event_source_disable_unref(s->stop_timer);
        s->http = http_api_free(s->http);
        free(s);
        return NULL;
}

static int on_shutdown_poll(sd_event_source *source, uint64_t usec, void *userdata) {
        api_server *s = userdata;
        sd_event *e = s->manager->event;
        uint64_t now = 0;

        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        if (http_api_requests_in_flight(s->http) == 0 || now >= s->stop_deadline_usec)
                return sd_event_exit(e, 0);

        (void) sd_event_source_set_time(source, now + SHUTDOWN_POLL_USEC);
        return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

void api_server_begin_shutdown(api_server *s) {
        manager *m = s->manager;
        uint64_t now = 0;
        int r;

        if (s->stopping)
                return;
        s->stopping = true;
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        log_info("shutting down");

        login_manager_shutdown(m);
        for (size_t i = 0; i < m->n_accounts; i++)
                gateway_account_gone(m->accounts[i]);
        http_api_quiesce(s->http);

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        s->stop_deadline_usec = now + SHUTDOWN_GRACE_USEC;
        r = sd_event_add_time(m->event, &s->stop_timer, CLOCK_MONOTONIC, now, 0, on_shutdown_poll, s);
        if (r < 0)
                (void) sd_event_exit(m->event, 0);
}
