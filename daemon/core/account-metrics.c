/* SPDX-License-Identifier: MIT */
#include "core/account-metrics.h"
#include "util/string-table.h"

const uint64_t account_refresh_bucket_usec[ACCOUNT_REFRESH_BUCKETS] = {
        5 * USEC_PER_MSEC, 10 * USEC_PER_MSEC, 25 * USEC_PER_MSEC, 50 * USEC_PER_MSEC,
        100 * USEC_PER_MSEC, 250 * USEC_PER_MSEC, 500 * USEC_PER_MSEC, 1 * USEC_PER_SEC,
        2500 * USEC_PER_MSEC, 5 * USEC_PER_SEC, 10 * USEC_PER_SEC, 30 * USEC_PER_SEC,
};

static const char *const refresh_result_table[_REFRESH_RESULT_MAX] = {
        [REFRESH_RESULT_SUCCESS] = "success",
        [REFRESH_RESULT_REJECTED] = "rejected",
        [REFRESH_RESULT_FAILED] = "failed",
};

static const char *const idp_error_kind_table[_IDP_ERROR_KIND_MAX] = {
        [IDP_ERROR_UNREACHABLE] = "unreachable",
        [IDP_ERROR_TIMEOUT] = "timeout",
        [IDP_ERROR_HTTP_429] = "http_429",
        [IDP_ERROR_HTTP_5XX] = "http_5xx",
        [IDP_ERROR_INVALID_GRANT] = "invalid_grant",
        [IDP_ERROR_OAUTH_ERROR] = "oauth_error",
        [IDP_ERROR_INVALID_RESPONSE] = "invalid_response",
};

static const char *const http_code_class_table[_HTTP_CODE_CLASS_MAX] = {
        [HTTP_CODE_2XX] = "2xx",
        [HTTP_CODE_3XX] = "3xx",
        [HTTP_CODE_4XX] = "4xx",
        [HTTP_CODE_5XX] = "5xx",
        [HTTP_CODE_ERROR] = "error",
};

static const char *const account_login_flow_table[_ACCOUNT_LOGIN_FLOW_MAX] = {
        [ACCOUNT_LOGIN_CODE] = "code",
        [ACCOUNT_LOGIN_DEVICE] = "device",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(refresh_result, refresh_result);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(idp_error_kind, idp_error_kind);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(http_code_class, http_code_class);
DEFINE_STRING_TABLE_LOOKUP_TO_STRING(account_login_flow, account_login_flow);

idp_error_kind idp_error_kind_of(const oauth_error *e) {
        switch (e->error) {
        case -EACCES:
                return oauth_error_code_from_string(e->code) == OAUTH_ERROR_INVALID_GRANT
                        ? IDP_ERROR_INVALID_GRANT : IDP_ERROR_OAUTH_ERROR;
        case -EBUSY:
                return IDP_ERROR_HTTP_429;
        case -EIO:
                return IDP_ERROR_HTTP_5XX;
        case -ETIMEDOUT:
                return IDP_ERROR_TIMEOUT;
        case -EBADMSG:
        case -EFBIG:
        case -E2BIG:
                return IDP_ERROR_INVALID_RESPONSE;
        case -ENOMEM:
                return _IDP_ERROR_KIND_INVALID;
        }
        /* Everything else http_fetch reports means no usable answer
         * arrived: refused, reset, TLS, name resolution. */
        return IDP_ERROR_UNREACHABLE;
}

http_code_class http_code_class_of(long status) {
        if (status >= 200 && status < 300)
                return HTTP_CODE_2XX;
        if (status >= 300 && status < 400)
                return HTTP_CODE_3XX;
        if (status >= 400 && status < 500)
                return HTTP_CODE_4XX;
        if (status >= 500 && status < 600)
                return HTTP_CODE_5XX;
        return HTTP_CODE_ERROR;
}

void account_metrics_refresh(account_metrics *m, refresh_result result, uint64_t usec, const oauth_error *e) {
        size_t i = 0;

        m->refreshes[result]++;
        while (i < ACCOUNT_REFRESH_BUCKETS && usec > account_refresh_bucket_usec[i])
                i++;
        m->refresh_buckets[i]++;
        m->refresh_usec_sum += usec;
        if (e) {
                idp_error_kind k = idp_error_kind_of(e);

                if (k >= 0)
                        m->idp_errors[k]++;
        }
}

void account_metrics_gateway(account_metrics *m, long status) {
        m->gateway_requests[http_code_class_of(status)]++;
}

void account_metrics_pause(account_metrics *m, bool started, uint64_t usec) {
        if (started)
                m->rate_limit_pauses++;
        m->rate_limit_pause_usec += usec;
}

void account_metrics_login(account_metrics *m, account_login_flow flow, bool ok) {
        m->logins[flow][ok]++;
}
