/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "idp/oauth-error.h"
#include "util/string-table.h"

void oauth_error_done(oauth_error *e) {
        if (!e)
                return;
        free(e->code);
        free(e->description);
        *e = (oauth_error) {};
}

static const char * const error_code_table[_OAUTH_ERROR_CODE_MAX] = {
        [OAUTH_ERROR_INVALID_REQUEST] = "invalid_request",
        [OAUTH_ERROR_INVALID_CLIENT] = "invalid_client",
        [OAUTH_ERROR_INVALID_GRANT] = "invalid_grant",
        [OAUTH_ERROR_UNAUTHORIZED_CLIENT] = "unauthorized_client",
        [OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE] = "unsupported_grant_type",
        [OAUTH_ERROR_INVALID_SCOPE] = "invalid_scope",
        [OAUTH_ERROR_ACCESS_DENIED] = "access_denied",
        [OAUTH_ERROR_AUTHORIZATION_PENDING] = "authorization_pending",
        [OAUTH_ERROR_SLOW_DOWN] = "slow_down",
        [OAUTH_ERROR_EXPIRED_TOKEN] = "expired_token",
        [OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE] = "unsupported_token_type",
        [OAUTH_ERROR_TEMPORARILY_UNAVAILABLE] = "temporarily_unavailable",
        [OAUTH_ERROR_SERVER_ERROR] = "server_error",
};

/* Private: the table's own from_string() says -EINVAL for what
 * oauth_error_code_from_string() tells apart as NONE and OTHER. */
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(error_code, int);

oauth_error_code oauth_error_code_from_string(const char *s) {
        int c;

        if (!s)
                return OAUTH_ERROR_NONE;
        c = error_code_from_string(s);
        return c < 0 ? OAUTH_ERROR_OTHER : (oauth_error_code) c;
}

bool oauth_error_is_transient(const oauth_error *e) {
        if (!e || e->error >= 0)
                return false;
        switch (e->error) {
        case -EACCES:
                switch (oauth_error_code_from_string(e->code)) {
                case OAUTH_ERROR_TEMPORARILY_UNAVAILABLE:
                case OAUTH_ERROR_SERVER_ERROR:
                        return true;
                case OAUTH_ERROR_NONE:
                case OAUTH_ERROR_OTHER:
                case OAUTH_ERROR_INVALID_REQUEST:
                case OAUTH_ERROR_INVALID_CLIENT:
                case OAUTH_ERROR_INVALID_GRANT:
                case OAUTH_ERROR_UNAUTHORIZED_CLIENT:
                case OAUTH_ERROR_UNSUPPORTED_GRANT_TYPE:
                case OAUTH_ERROR_INVALID_SCOPE:
                case OAUTH_ERROR_ACCESS_DENIED:
                case OAUTH_ERROR_AUTHORIZATION_PENDING:
                case OAUTH_ERROR_SLOW_DOWN:
                case OAUTH_ERROR_EXPIRED_TOKEN:
                case OAUTH_ERROR_UNSUPPORTED_TOKEN_TYPE:
                case _OAUTH_ERROR_CODE_MAX:
                        return false;
                }
                return false;
        case -EBADMSG:
        case -EINVAL:
        case -ENOMEM:
        case -EOPNOTSUPP:
        case -EFBIG:
                return false;
        }
        /* -EBUSY, -EIO and transport failures. */
        return true;
}

int oauth_fail(oauth_error *e, int error, const http_response *resp, const char *fmt, ...) {
        va_list ap;

        if (!e)
                return error;
        e->error = error;
        if (resp) {
                e->http_status = resp->status;
                e->has_retry_after = resp->has_retry_after;
                e->retry_after_sec = resp->retry_after_sec;
        }
        free(e->description);
        va_start(ap, fmt);
        if (vasprintf(&e->description, fmt, ap) < 0)
                e->description = NULL;
        va_end(ap);
        return error;
}
