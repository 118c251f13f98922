/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway-path.h"
#include "idp/http-fetch.h"
#include "util/util.h"

/* Request headers an application may set for the API; everything else,
 * its Authorization first of all, stays on this side. */
static const char *const forwarded_headers[] = {
        "Content-Type", "Accept-Language", "If-Match", "If-None-Match", "If-Modified-Since",
        "If-Unmodified-Since", "Prefer", "X-Request-Id",
};

static bool path_char_ok(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               strchr("-._~!$&'()*+,;=:@/%", c);
}

bool gateway_path_is_safe(const char *path) {
        size_t n = strlen(path);

        if (n == 0 || n > GATEWAY_PATH_MAX || path[0] == '/')
                return false;
        for (const char *p = path; *p; p++) {
                if (!path_char_ok(*p))
                        return false;
                if (*p == '%' && !(isxdigit((unsigned char) p[1]) && isxdigit((unsigned char) p[2])))
                        return false;
        }
        /* No segment may climb out of the API base: ".", "..", and their
         * percent-encoded spellings. */
        for (const char *seg = path; seg; ) {
                const char *end = strchr(seg, '/');
                size_t len = end ? (size_t) (end - seg) : strlen(seg);
                size_t dots = 0, i = 0;

                while (i < len) {
                        if (seg[i] == '.')
                                i++;
                        else if (i + 2 < len && seg[i] == '%' && seg[i + 1] == '2' &&
                                 (seg[i + 2] == 'e' || seg[i + 2] == 'E'))
                                i += 3;
                        else
                                break;
                        dots++;
                }
                if (i == len && dots > 0 && dots <= 2)
                        return false;
                seg = end ? end + 1 : NULL;
        }
        return true;
}

bool gateway_query_is_safe(const char *q) {
        if (strlen(q) > GATEWAY_PATH_MAX)
                return false;
        for (const char *p = q; *p; p++)
                if (!path_char_ok(*p) && *p != '?')
                        return false;
        return true;
}

int gateway_build_url(const char *api_base, const char *tenant_id, const char *rest, const char *query,
                      char **ret) {
        size_t base_len = strlen(api_base);
        char *url = NULL;
        int k;

        while (base_len > 0 && api_base[base_len - 1] == '/')
                base_len--;
        if (tenant_id)
                k = asprintf(&url, "%.*s/v2/tenants/%s/%s%s%s", (int) base_len, api_base, tenant_id, rest,
                             isempty(query) ? "" : "?", strempty(query));
        else
                k = asprintf(&url, "%.*s/%s%s%s", (int) base_len, api_base, rest,
                             isempty(query) ? "" : "?", strempty(query));
        if (k < 0)
                return -ENOMEM;
        *ret = url;
        return 0;
}

unsigned gateway_retry_after(const char *value, int64_t now) {
        uint64_t sec = 0;

        if (!value || http_parse_retry_after(value, now, &sec) < 0)
                return GATEWAY_PAUSE_DEFAULT_SEC;
        return (unsigned) MAX((uint64_t) 1, MIN(sec, (uint64_t) GATEWAY_PAUSE_MAX_SEC));
}

int gateway_forwarded_headers(gateway_header_lookup_fn lookup, void *userdata, bool has_body, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t n = 0;

        l = calloc(ELEMENTSOF(forwarded_headers) + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(forwarded_headers); i++) {
                const char *v = lookup(forwarded_headers[i], userdata);

                if (!v || strpbrk(v, "\r\n"))
                        continue;
                if (asprintf(&l[n], "%s: %s", forwarded_headers[i], v) < 0)
                        return -ENOMEM;
                n++;
        }
        if (has_body && !lookup("Content-Type", userdata)) {
                l[n] = strdup("Content-Type: application/json");
                if (!l[n])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}
