/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "core/account-metrics.h"
#include "core/refresh-policy.h"
#include "tests.h"

static void test_classify(void) {
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EACCES, .code = (char *) "invalid_grant" }) ==
              IDP_ERROR_INVALID_GRANT);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EACCES, .code = (char *) "invalid_client" }) ==
              IDP_ERROR_OAUTH_ERROR);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EBUSY, .http_status = 429 }) == IDP_ERROR_HTTP_429);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EIO, .http_status = 503 }) == IDP_ERROR_HTTP_5XX);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -ETIMEDOUT }) == IDP_ERROR_TIMEOUT);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EBADMSG }) == IDP_ERROR_INVALID_RESPONSE);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EFBIG }) == IDP_ERROR_INVALID_RESPONSE);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -ECONNREFUSED }) == IDP_ERROR_UNREACHABLE);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -EPROTO }) == IDP_ERROR_UNREACHABLE);
        CHECK(idp_error_kind_of(&(oauth_error) { .error = -ENOMEM }) < 0);

        CHECK(http_code_class_of(200) == HTTP_CODE_2XX);
        CHECK(http_code_class_of(204) == HTTP_CODE_2XX);
        CHECK(http_code_class_of(304) == HTTP_CODE_3XX);
        CHECK(http_code_class_of(429) == HTTP_CODE_4XX);
        CHECK(http_code_class_of(503) == HTTP_CODE_5XX);
        CHECK(http_code_class_of(0) == HTTP_CODE_ERROR);
        CHECK(http_code_class_of(100) == HTTP_CODE_ERROR);
        CHECK(http_code_class_of(600) == HTTP_CODE_ERROR);

        /* The labels are fixed words. */
        CHECK_STREQ(idp_error_kind_to_string(IDP_ERROR_HTTP_5XX), "http_5xx");
        CHECK_STREQ(http_code_class_to_string(HTTP_CODE_ERROR), "error");
        CHECK_STREQ(refresh_result_to_string(REFRESH_RESULT_REJECTED), "rejected");
        CHECK_STREQ(account_login_flow_to_string(ACCOUNT_LOGIN_DEVICE), "device");
        CHECK(!idp_error_kind_to_string(_IDP_ERROR_KIND_MAX));
}

static void test_rejection(void) {
        CHECK(refresh_error_is_rejection(&(oauth_error) { .error = -EACCES, .code = (char *) "invalid_grant" }));
        CHECK(refresh_error_is_rejection(&(oauth_error) { .error = -EACCES, .code = (char *) "unauthorized_client" }));
        CHECK(!refresh_error_is_rejection(&(oauth_error) { .error = -EACCES, .code = (char *) "invalid_scope" }));
        CHECK(!refresh_error_is_rejection(&(oauth_error) { .error = -EIO, .code = (char *) "invalid_grant" }));
        CHECK(!refresh_error_is_rejection(&(oauth_error) { .error = -ETIMEDOUT }));
}

static void test_counting(void) {
        account_metrics m = {};
        uint64_t sum = 0;

        /* On a bound counts in that bucket; past the last: +Inf. */
        account_metrics_refresh(&m, REFRESH_RESULT_SUCCESS, 0, NULL);
        account_metrics_refresh(&m, REFRESH_RESULT_SUCCESS, 5 * USEC_PER_MSEC, NULL);
        account_metrics_refresh(&m, REFRESH_RESULT_SUCCESS, 5 * USEC_PER_MSEC + 1, NULL);
        account_metrics_refresh(&m, REFRESH_RESULT_FAILED, 31 * USEC_PER_SEC,
                                &(oauth_error) { .error = -ETIMEDOUT });
        account_metrics_refresh(&m, REFRESH_RESULT_REJECTED, 200 * USEC_PER_MSEC,
                                &(oauth_error) { .error = -EACCES, .code = (char *) "invalid_grant" });
        account_metrics_refresh(&m, REFRESH_RESULT_FAILED, 1, &(oauth_error) { .error = -ENOMEM });
        CHECK(m.refreshes[REFRESH_RESULT_SUCCESS] == 3);
        CHECK(m.refreshes[REFRESH_RESULT_FAILED] == 2);
        CHECK(m.refreshes[REFRESH_RESULT_REJECTED] == 1);
        CHECK(m.refresh_buckets[0] == 3);       /* 0, 5 ms, 1 usec */
        CHECK(m.refresh_buckets[1] == 1);       /* 5 ms + 1 usec: up to 10 ms */
        CHECK(m.refresh_buckets[5] == 1);       /* 200 ms: up to 250 ms */
        CHECK(m.refresh_buckets[ACCOUNT_REFRESH_BUCKETS] == 1);
        for (size_t i = 0; i <= ACCOUNT_REFRESH_BUCKETS; i++)
                sum += m.refresh_buckets[i];
        CHECK(sum == 6);
        CHECK(m.refresh_usec_sum == 10 * USEC_PER_MSEC + 1 + 31 * USEC_PER_SEC + 200 * USEC_PER_MSEC + 1);
        CHECK(m.idp_errors[IDP_ERROR_TIMEOUT] == 1);
        CHECK(m.idp_errors[IDP_ERROR_INVALID_GRANT] == 1);
        sum = 0;
        for (size_t i = 0; i < _IDP_ERROR_KIND_MAX; i++)
                sum += m.idp_errors[i];
        CHECK(sum == 2);        /* out of memory is not the IdP's */

        for (size_t i = 1; i < ACCOUNT_REFRESH_BUCKETS; i++)
                CHECK(account_refresh_bucket_usec[i - 1] < account_refresh_bucket_usec[i]);

        account_metrics_gateway(&m, 200);
        account_metrics_gateway(&m, 429);
        account_metrics_gateway(&m, 0);
        CHECK(m.gateway_requests[HTTP_CODE_2XX] == 1 && m.gateway_requests[HTTP_CODE_4XX] == 1 &&
              m.gateway_requests[HTTP_CODE_ERROR] == 1);

        account_metrics_pause(&m, true, 2 * USEC_PER_SEC);
        account_metrics_pause(&m, false, USEC_PER_SEC);
        CHECK(m.rate_limit_pauses == 1 && m.rate_limit_pause_usec == 3 * USEC_PER_SEC);

        account_metrics_login(&m, ACCOUNT_LOGIN_DEVICE, true);
        account_metrics_login(&m, ACCOUNT_LOGIN_CODE, false);
        account_metrics_login(&m, ACCOUNT_LOGIN_CODE, false);
        CHECK(m.logins[ACCOUNT_LOGIN_DEVICE][1] == 1 && m.logins[ACCOUNT_LOGIN_CODE][0] == 2 &&
              m.logins[ACCOUNT_LOGIN_CODE][1] == 0);
}

int main(void) {
        test_classify();
        test_rejection();
        test_counting();
        return 0;
}
