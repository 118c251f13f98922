/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <strings.h>

#include "conf/conf-url.h"
#include "conf/conf-values.h"

#define URL_LENGTH_MAX 2048

#define URL_ERROR "is not an acceptable URL (https, or http to a loopback host)"

static bool is_dotted_quad_loopback(const char *h, size_t n) {
        unsigned parts = 0, digits = 0, value = 0, first = 0;

        for (size_t i = 0; i <= n; i++) {
                if (i == n || h[i] == '.') {
                        if (digits == 0 || value > 255)
                                return false;
                        if (parts == 0)
                                first = value;
                        parts++;
                        digits = value = 0;
                        continue;
                }
                if (h[i] < '0' || h[i] > '9' || ++digits > 3)
                        return false;
                value = value * 10 + (unsigned) (h[i] - '0');
        }
        return parts == 4 && first == 127;
}

bool url_is_acceptable(const char *url) {
        const char *p, *auth_end, *host, *host_end, *port = NULL;
        bool https;
        size_t n;

        if (!url)
                return false;
        n = strlen(url);
        if (n == 0 || n > URL_LENGTH_MAX)
                return false;
        /* Refusing what RFC 3986 never allows unencoded keeps later string
         * handling (logs, headers, JSON) free of surprises. */
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) url[i];
                if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c))
                        return false;
        }

        if (strncasecmp(url, "https://", 8) == 0) {
                https = true;
                p = url + 8;
        } else if (strncasecmp(url, "http://", 7) == 0) {
                https = false;
                p = url + 7;
        } else
                return false;

        auth_end = p + strcspn(p, "/?#");
        if (auth_end == p || memchr(p, '@', (size_t) (auth_end - p)))
                return false;

        if (*p == '[') {
                host = p + 1;
                host_end = memchr(host, ']', (size_t) (auth_end - host));
                if (!host_end || host_end == host)
                        return false;
                for (const char *c = host; c < host_end; c++)
                        if (!isxdigit((unsigned char) *c) && *c != ':' && *c != '.')
                                return false;
                if (host_end + 1 < auth_end) {
                        if (host_end[1] != ':')
                                return false;
                        port = host_end + 2;
                }
        } else {
                host = p;
                host_end = memchr(p, ':', (size_t) (auth_end - p));
                if (host_end)
                        port = host_end + 1;
                else
                        host_end = auth_end;
                if (host_end == host)
                        return false;
                for (const char *c = host; c < host_end; c++)
                        if (!isalnum((unsigned char) *c) && !strchr(".-_", *c))
                                return false;
        }

        if (port) {
                unsigned long v = 0;

                if (port == auth_end || auth_end - port > 5)
                        return false;
                for (const char *c = port; c < auth_end; c++) {
                        if (*c < '0' || *c > '9')
                                return false;
                        v = v * 10 + (unsigned long) (*c - '0');
                }
                if (v < 1 || v > 65535)
                        return false;
        }

        if (https)
                return true;

        n = (size_t) (host_end - host);
        if (*p == '[')
                return n == 3 && memcmp(host, "::1", 3) == 0;
        if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
                return true;
        return is_dotted_quad_loopback(host, n);
}

static int parse_url(conf_parse_ctx *ctx, const conf_key *key, const char *value, bool allow_query,
                     void *object) {
        if (!url_is_acceptable(value)) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" " URL_ERROR, key->name, value);
                return -EINVAL;
        }
        /* RFC 6749 §3.1 forbids fragments in endpoints; an issuer (RFC 8414
         * §2) and an API base that paths are appended to take no query. */
        if (strchr(value, '#') || (!allow_query && strchr(value, '?'))) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" must not have a %s", key->name, value,
                                 allow_query ? "fragment" : "query or fragment");
                return -EINVAL;
        }
        return conf_set_string(ctx, CONF_FIELD(char *, key, object), value);
}

int conf_parse_url(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        return parse_url(ctx, key, value, true, object);
}

int conf_parse_base_url(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        return parse_url(ctx, key, value, false, object);
}
