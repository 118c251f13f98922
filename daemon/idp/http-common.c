/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "config.h"
#include "idp/http-common.h"

#define USER_AGENT "tessera/" PACKAGE_VERSION

int http_easy_setup_common(CURL *easy, const char *url, uint64_t timeout_usec) {
        uint64_t timeout = timeout_usec ?: HTTP_FETCH_DEFAULT_TIMEOUT_USEC;
        uint64_t connect_timeout = MIN(timeout, HTTP_FETCH_CONNECT_TIMEOUT_USEC);

        HTTP_SETOPT(easy, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
        HTTP_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        HTTP_SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
        HTTP_SETOPT(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
        HTTP_SETOPT(easy, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        HTTP_SETOPT(easy, CURLOPT_FOLLOWLOCATION, 0L);
        HTTP_SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
        HTTP_SETOPT(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        HTTP_SETOPT(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        HTTP_SETOPT(easy, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        /* At least 1 ms each: 0 would mean "no timeout" to curl. */
        HTTP_SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS,
                    (long) MAX(connect_timeout / USEC_PER_MSEC, (uint64_t) 1));
        HTTP_SETOPT(easy, CURLOPT_TIMEOUT_MS,
                    (long) MAX(MIN(timeout / USEC_PER_MSEC, (uint64_t) LONG_MAX), (uint64_t) 1));
        HTTP_SETOPT(easy, CURLOPT_USERAGENT, USER_AGENT);
        return 0;
}

int http_map_curl_error(CURL *easy, CURLcode code, const char **ret_message) {
        long os_errno = 0;

        /* Switch on int: CURLcode has ~100 values and -Wswitch-enum would
         * want every one listed. */
        switch ((int) code) {
        case CURLE_OPERATION_TIMEDOUT:
                *ret_message = "timed out";
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                (void) curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
                if (os_errno == ETIMEDOUT) {
                        *ret_message = "connect timed out";
                        return -ETIMEDOUT;
                }
                if (os_errno > 0 && os_errno != ECONNREFUSED && os_errno < 4096) {
                        *ret_message = "cannot connect";
                        return -(int) os_errno;
                }
                *ret_message = "connection refused";
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                *ret_message = "cannot resolve host name";
                return -EHOSTUNREACH;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_USE_SSL_FAILED:
                *ret_message = "TLS error";
                return -EPROTO;
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
                *ret_message = "connection lost";
                return -ECONNRESET;
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_TOO_MANY_REDIRECTS:
                *ret_message = "invalid HTTP response";
                return -EBADMSG;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                *ret_message = "unsupported or malformed URL";
                return -EINVAL;
        case CURLE_OUT_OF_MEMORY:
                *ret_message = "out of memory";
                return -ENOMEM;
        }
        *ret_message = "HTTP transfer failed";
        return -EIO;
}

int http_parse_retry_after(const char *value, int64_t now, uint64_t *ret_sec) {
        uint64_t sec = 0;
        const char *p;
        size_t n;

        if (!value)
                return -EINVAL;
        value += strspn(value, " \t");
        n = strlen(value);
        while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
                n--;
        if (n == 0 || n > 64)
                return -EINVAL;

        if (strspn(value, "0123456789") == n) {
                for (p = value; p < value + n; p++) {
                        sec = sec * 10 + (uint64_t) (*p - '0');
                        if (sec > HTTP_FETCH_MAX_RETRY_AFTER_SEC) {
                                sec = HTTP_FETCH_MAX_RETRY_AFTER_SEC;
                                break;
                        }
                }
        } else {
                char buf[65];
                time_t t;

                memcpy(buf, value, n);
                buf[n] = '\0';
                t = curl_getdate(buf, NULL);
                if (t < 0)
                        return -EINVAL;
                if ((int64_t) t > now)
                        sec = MIN((uint64_t) ((int64_t) t - now), HTTP_FETCH_MAX_RETRY_AFTER_SEC);
        }

        *ret_sec = sec;
        return 0;
}
