/* SPDX-License-Identifier: MIT */

/* The client object and the public calls of the daemon's own API; tokens
 * are in token.c, the gateway in api.c, the HTTP exchange in request.c. */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/tessera.h"

#include "client.h"
#include "conn-pool.h"
#include "wipe.h"

#define DEFAULT_TIMEOUT_MS 30000U
#define MAX_REQUEST_BODY (1024U * 1024U)

_public_ int tessera_account_name_is_valid(const char *name) {
        size_t n = 0;

        if (!name)
                return 0;
        for (const char *p = name; *p; p++, n++) {
                char ch = *p;
                if (n >= 64)
                        return 0;
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                      ch == '_' || ch == '.' || ch == '-'))
                        return 0;
        }
        return n > 0;
}

_public_ int tessera_client_new(const char *socket_path, tessera_client **ret) {
        tessera_client *c;

        if (!ret)
                return TESSERA_E_INVALID;
        if (!socket_path || !*socket_path) {
                socket_path = secure_getenv("TESSERA_SOCKET");
                if (!socket_path || !*socket_path)
                        socket_path = TESSERA_DEFAULT_SOCKET;
        }

        c = calloc(1, sizeof(*c));
        if (!c)
                return TESSERA_E_NOMEM;
        c->socket_path = strdup(socket_path);
        if (!c->socket_path)
                goto fail_client;
        if (pthread_mutex_init(&c->lock, NULL) != 0)
                goto fail_path;
        if (conn_pool_init(&c->pool) < 0)
                goto fail_lock;
        c->timeout_ms = DEFAULT_TIMEOUT_MS;
        c->max_response = TESSERA_API_DEFAULT_MAX_RESPONSE;

        *ret = c;
        return 0;

fail_lock:
        pthread_mutex_destroy(&c->lock);
fail_path:
        free(c->socket_path);
fail_client:
        free(c);
        return TESSERA_E_NOMEM;
}

_public_ tessera_client *tessera_client_free(tessera_client *c) {
        if (!c)
                return NULL;
        conn_pool_done(&c->pool);
        pthread_mutex_destroy(&c->lock);
        free(c->socket_path);
        free(c);
        return NULL;
}

_public_ int tessera_client_set_timeout(tessera_client *c, unsigned timeout_ms) {
        if (!c || timeout_ms == 0)
                return TESSERA_E_INVALID;
        pthread_mutex_lock(&c->lock);
        c->timeout_ms = timeout_ms;
        pthread_mutex_unlock(&c->lock);
        return 0;
}

_public_ const char *tessera_client_get_socket_path(const tessera_client *c) {
        return c ? c->socket_path : NULL;
}

/* The daemon's own API only has upper-case methods; the gateway allows any
 * RFC 9110 token (checked by client_do). */
static bool valid_daemon_method(const char *m) {
        size_t n = 0;

        for (; m[n]; n++)
                if (m[n] < 'A' || m[n] > 'Z' || n >= 16)
                        return false;
        return n > 0;
}

int client_daemon_request(tessera_client *c, const char *method, const char *path,
                          const char *body, unsigned timeout_ms,
                          int *ret_status, char **ret_body, size_t *ret_len) {
        client_resp resp = {};
        int r;

        /* client_do checks the path. */
        if (!c || !method || !path || !valid_daemon_method(method))
                return TESSERA_E_INVALID;
        if (body && strlen(body) > MAX_REQUEST_BODY)
                return TESSERA_E_INVALID;

        r = client_do(c, &(client_req) {
                        .method = method,
                        .path = path,
                        .body = body,
                        .body_len = body ? strlen(body) : 0,
                        .accept = "application/json",
                        .timeout_ms = timeout_ms,
                }, &resp);
        if (r < 0)
                return r;

        *ret_status = resp.status;
        *ret_body = resp.body;
        *ret_len = resp.body_len;
        free(resp.head);
        return 0;
}

_public_ char *tessera_free(char *s) {
        if (s)
                wipe_free(s, strlen(s));
        return NULL;
}

_public_ int tessera_request(tessera_client *c, const char *method, const char *path,
                             const char *json_body, unsigned timeout_ms,
                             int *ret_http_status, char **ret_body) {
        char *body = NULL;
        size_t len = 0;
        int status = 0, r;

        if (!ret_http_status)
                return TESSERA_E_INVALID;

        r = client_daemon_request(c, method, path, json_body, timeout_ms, &status, &body, &len);
        if (r < 0)
                return r;

        /* Handed out as a C string: an embedded NUL would silently cut it. */
        if (memchr(body, 0, len)) {
                wipe_free(body, len);
                return TESSERA_E_PROTOCOL;
        }

        *ret_http_status = status;
        if (ret_body)
                *ret_body = body;
        else
                tessera_free(body);
        return 0;
}

_public_ int tessera_error_from_http(int http_status, const char *error_code) {
        static const struct {
                const char *code;
                int err;
        } codes[] = {
                { "login_required",     TESSERA_E_LOGIN_REQUIRED },
                { "forbidden",          TESSERA_E_FORBIDDEN },
                { "tenant_not_allowed", TESSERA_E_FORBIDDEN },
                { "no_such_account",    TESSERA_E_NO_ACCOUNT },
                { "idp_unavailable",    TESSERA_E_IDP_UNAVAILABLE },
                { "login_in_progress",  TESSERA_E_BUSY },
                { "bad_request",        TESSERA_E_INVALID },
                { "payload_too_large",  TESSERA_E_INVALID },
                /* The gateway's own errors (API 1.1). */
                { "rate_limited",       TESSERA_E_FAILED },
                { "api_unavailable",    TESSERA_E_FAILED },
                { "api_busy",           TESSERA_E_FAILED },
                { "api_timeout",        TESSERA_E_TIMEOUT },
                { "shutting_down",      TESSERA_E_UNAVAILABLE },
                { "internal_error",     TESSERA_E_FAILED },
        };

        if (http_status >= 200 && http_status <= 299)
                return 0;

        if (error_code)
                for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
                        if (strcmp(codes[i].code, error_code) == 0)
                                return codes[i].err;

        switch (http_status) {
        case 400:
        case 413:
        case 414:
        case 431:
                return TESSERA_E_INVALID;
        case 401:
                return TESSERA_E_LOGIN_REQUIRED;
        case 403:
                return TESSERA_E_FORBIDDEN;
        case 404:
                return TESSERA_E_NO_ACCOUNT;
        case 408:
                return TESSERA_E_TIMEOUT;
        case 409:
                return TESSERA_E_BUSY;
        case 503:
                return TESSERA_E_IDP_UNAVAILABLE;
        }
        if (http_status >= 400 && http_status <= 599)
                return TESSERA_E_FAILED;
        return TESSERA_E_PROTOCOL;
}

_public_ const char *tessera_strerror(int err) {
        switch (err) {
        case 0:
                return "Success.";
        case TESSERA_E_INVALID:
                return "Invalid argument or request.";
        case TESSERA_E_LOGIN_REQUIRED:
                return "The account is not logged in; run: tessera login ACCOUNT.";
        case TESSERA_E_FORBIDDEN:
                return "Permission denied: this user may not use the account or the tesserad socket.";
        case TESSERA_E_NO_ACCOUNT:
                return "No such account is configured in tesserad.";
        case TESSERA_E_UNAVAILABLE:
                return "The tesserad daemon cannot be reached.";
        case TESSERA_E_IDP_UNAVAILABLE:
                return "The identity provider cannot be reached and no valid token is cached.";
        case TESSERA_E_TIMEOUT:
                return "The request to tesserad timed out.";
        case TESSERA_E_PROTOCOL:
                return "tesserad sent a response that could not be understood.";
        case TESSERA_E_NOMEM:
                return "Out of memory.";
        case TESSERA_E_BUSY:
                return "A login for this account is already in progress.";
        case TESSERA_E_FAILED:
                return "tesserad reported an internal failure.";
        case TESSERA_E_TOO_LARGE:
                return "The request or response body is larger than the limit.";
        }
        return "Unknown error.";
}
