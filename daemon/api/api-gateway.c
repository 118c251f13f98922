/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "api/api-gateway.h"
#include "api/api-token.h"
#include "gateway/gateway.h"
#include "util/parse-seconds.h"

static int reply_rate_limited(api_request *r, unsigned retry_after_sec) {
        static const char body[] =
                "{\"error\":\"rate_limited\",\"message\":\"the GipoNext API asked to pause; retry after Retry-After seconds\"}";
        char content_type[] = "Content-Type: application/json";
        char retry_after[32];
        char *const headers[] = { content_type, retry_after, NULL };

        (void) snprintf(retry_after, sizeof retry_after, "Retry-After: %u", retry_after_sec);
        return api_request_reply_static(r, MHD_HTTP_TOO_MANY_REQUESTS, body, headers);
}

/* Answers e; returns the status answered, for the gateway's audit line. */
static int reply_gateway_error(api_request *r, account *a, const gateway_error *e) {
        const char *name = a ? a->conf->name : "?";
        int k = -EINVAL;

        switch (e->kind) {
        case GATEWAY_ERROR_NO_TOKEN:
                /* Audited as 401, whatever the state makes the answer. */
                k = a ? api_reply_no_token(r, a) : -EINVAL;
                return k < 0 ? k : MHD_HTTP_UNAUTHORIZED;
        case GATEWAY_ERROR_NO_TENANT:
                k = api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                            "account %s has no tenant; run: tessera login %s", name, name);
                return k < 0 ? k : MHD_HTTP_UNAUTHORIZED;
        case GATEWAY_ERROR_BUSY:
                k = api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "api_busy",
                                            "%u API requests of account %s are already waiting; try again later",
                                            e->number, name);
                return k < 0 ? k : MHD_HTTP_SERVICE_UNAVAILABLE;
        case GATEWAY_ERROR_NO_MEMORY:
                k = api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error", "out of memory");
                return k < 0 ? k : MHD_HTTP_INTERNAL_SERVER_ERROR;
        case GATEWAY_ERROR_START_FAILED:
                k = api_request_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                            "cannot start the API request: %s", strempty(e->detail));
                return k < 0 ? k : MHD_HTTP_INTERNAL_SERVER_ERROR;
        case GATEWAY_ERROR_API_TIMEOUT:
                k = api_request_reply_error(r, MHD_HTTP_GATEWAY_TIMEOUT, "api_timeout",
                                            "the GipoNext API did not answer in time (%s)", strempty(e->detail));
                return k < 0 ? k : MHD_HTTP_GATEWAY_TIMEOUT;
        case GATEWAY_ERROR_API_UNREACHABLE:
                k = api_request_reply_error(r, MHD_HTTP_BAD_GATEWAY, "api_unavailable",
                                            "cannot reach the GipoNext API: %s", strempty(e->detail));
                return k < 0 ? k : MHD_HTTP_BAD_GATEWAY;
        case GATEWAY_ERROR_TOKEN_REFUSED:
                k = api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                            "the GipoNext API refused the token and no newer one could be obtained");
                return k < 0 ? k : MHD_HTTP_UNAUTHORIZED;
        case GATEWAY_ERROR_TOKEN_REFUSED_IDP_DOWN:
                k = api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "idp_unavailable",
                                            "the GipoNext API refused the token and the identity provider cannot renew it now; "
                                            "try again later");
                return k < 0 ? k : MHD_HTTP_SERVICE_UNAVAILABLE;
        case GATEWAY_ERROR_TOKEN_REFUSED_AGAIN:
                k = api_request_reply_error(r, MHD_HTTP_UNAUTHORIZED, "login_required",
                                            "the GipoNext API refused the token even after a refresh; run: tessera login %s",
                                            name);
                return k < 0 ? k : MHD_HTTP_UNAUTHORIZED;
        case GATEWAY_ERROR_RATE_LIMITED:
                k = reply_rate_limited(r, e->number);
                return k < 0 ? k : MHD_HTTP_TOO_MANY_REQUESTS;
        case GATEWAY_ERROR_SHUTTING_DOWN:
                k = api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down", "tesserad is stopping");
                return k < 0 ? k : MHD_HTTP_SERVICE_UNAVAILABLE;
        case GATEWAY_ERROR_ACCOUNT_GONE:
                k = api_request_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                            "the account was removed or tesserad is stopping");
                return k < 0 ? k : MHD_HTTP_SERVICE_UNAVAILABLE;
        case _GATEWAY_ERROR_KIND_MAX:
        case _GATEWAY_ERROR_KIND_INVALID:
                break;
        }
        return k;
}

int api_gateway_handle(api_request *r, account *a, bool tenant, const char *rest) {
        _cleanup_(freep) char *query = NULL;
        gateway_target t = { .tenant = tenant, .rest = rest, .wait_sec = a->conf->api_wait };
        const char *wait;
        int k;

        if (!gateway_path_is_safe(rest))
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the API path must be relative, percent-encoded, without . or .. segments, at most %u bytes",
                                               GATEWAY_PATH_MAX);
        k = api_request_raw_query(r, &query);
        if (k < 0 || !gateway_query_is_safe(query))
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "the query string is too long or not percent-encoded");
        wait = api_request_header(r, "Tessera-Wait");
        if (wait && parse_seconds(wait, API_WAIT_MAX, &t.wait_sec) < 0)
                return api_request_reply_error(r, MHD_HTTP_BAD_REQUEST, "bad_request",
                                               "Tessera-Wait must be a number of seconds from 0 to %u", API_WAIT_MAX);
        t.query = query;
        return gateway_handle(a, r, &t, reply_gateway_error);
}
