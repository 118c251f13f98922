/* SPDX-License-Identifier: MIT */
/* The Device Authorization Grant (RFC 8628): the user code shown to the
 * caller, the token endpoint polled at the IdP's interval. */
#include <inttypes.h>

#include "login/login-internal.h"
#include "util/log.h"

static int arm_poll(login *l);

static void on_device_token(oauth_op *op, const oauth_error *error, oauth_token *token, void *userdata) {
        login *l = userdata;
        int r;

        l->op = oauth_op_free(l->op);
        if (!error) {
                l->phase = LOGIN_EXCHANGING;
                login_tokens_arrived(l, token);
                return;
        }

        switch (oauth_error_code_from_string(error->code)) {
        case OAUTH_ERROR_AUTHORIZATION_PENDING:
                break;
        case OAUTH_ERROR_SLOW_DOWN:
                /* RFC 8628 §3.5: +5 s for this and every later poll. */
                l->poll_interval_sec = MIN(l->poll_interval_sec + 5, OAUTH_DEVICE_INTERVAL_MAX);
                break;
        case OAUTH_ERROR_ACCESS_DENIED:
                login_finish(l, false, "access_denied", "the user declined the device login");
                return;
        case OAUTH_ERROR_EXPIRED_TOKEN:
                login_finish(l, false, "expired", "the device code expired before the user approved it");
                return;
        case OAUTH_ERROR_NONE:
        case OAUTH_ERROR_OTHER:
        case OAUTH_ERROR_INVALID_REQUEST:
        case OAUTH_ERROR_INVALID_CLIENT:
        case OAUTH_ERROR_INVALID_GRANT:
        case OAUTH_ERROR_UNAUTHORIZED_CLIENT:
        case OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE:
        case OAUTH_ERROR_INVALID_SCOPE:
        case OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE:
        case OAUTH_ERROR_TEMPORARILY_UNAVAILABLE:
        case OAUTH_ERROR_SERVER_ERROR:
        case _OAUTH_ERROR_CODE_MAX:
                login_finish(l, false, error->code ? error->code : "idp_unavailable",
                             "device login failed: %s", strempty(error->description));
                return;
        }

        r = arm_poll(l);
        if (r < 0)
                login_finish(l, false, "internal_error", "cannot schedule the next poll: %s", strerror(-r));
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        login *l = userdata;
        int r;

        l->poll_timer = sd_event_source_disable_unref(l->poll_timer);
        r = oauth_device_poll(l->account->env->curl, l->account->conf, l->endpoints, l->device->device_code,
                              on_device_token, l, &l->op);
        if (r < 0)
                login_finish(l, false, "internal_error", "cannot poll the token endpoint: %s", strerror(-r));
        return 0;
}

static int arm_poll(login *l) {
        sd_event *e = l->account->env->event;
        uint64_t now = 0;

        (void) sd_event_now(e, CLOCK_BOOTTIME, &now);
        return sd_event_add_time(e, &l->poll_timer, CLOCK_BOOTTIME, now + l->poll_interval_sec * USEC_PER_SEC, 0,
                                 on_poll_timer, l);
}

static void on_device_authorized(oauth_op *op, const oauth_error *error, oauth_device_auth *device, void *userdata) {
        login *l = userdata;
        int k;

        l->op = oauth_op_free(l->op);
        if (error) {
                login_finish(l, false, error->error == -EACCES ? (error->code ? error->code : "idp_error") : "idp_unavailable",
                             "device authorization failed: %s", strempty(error->description));
                return;
        }
        l->device = device;
        l->poll_interval_sec = device->interval;
        l->phase = LOGIN_WAITING_USER;
        /* Only the test knob shortens it; the IdP's own lifetime stands
         * otherwise, long or short. */
        if (login_timeout_override > 0 && device->expires_in > login_timeout_override)
                device->expires_in = login_timeout_override;

        k = login_arm_expiry(l, device->expires_in);
        if (k >= 0)
                k = arm_poll(l);
        if (k < 0) {
                login_finish(l, false, "internal_error", "cannot schedule polling: %s", strerror(-k));
                return;
        }
        log_info("account %s: device login started, polling every %" PRIu64 " s",
                 l->account->store_key, l->poll_interval_sec);

        login_report_started(l, &(login_started) {
                .flow = LOGIN_FLOW_DEVICE,
                .verification_uri = device->verification_uri,
                .verification_uri_complete = device->verification_uri_complete,
                .user_code = device->user_code,
                .expires_in = device->expires_in,
                .interval = device->interval,
        });
}

void login_device_begin(login *l) {
        int r;

        l->phase = LOGIN_AUTHORIZING;
        r = oauth_device_authorize(l->account->env->curl, l->account->conf, l->endpoints,
                                   on_device_authorized, l, &l->op);
        if (r == -EOPNOTSUPP)
                login_finish(l, false, "bad_request",
                             "the identity provider offers no device flow (no device_authorization_endpoint)");
        else if (r < 0)
                login_finish(l, false, "internal_error", "cannot start the device login: %s", strerror(-r));
}
