/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <limits.h>
#include <strings.h>

#include "conf/conf-values.h"

#define REFRESH_MARGIN_MAX 86400
#define URL_LENGTH_MAX 2048

#define URL_ERROR "is not an acceptable URL (https, or http to a loopback host)"

const char *client_auth_to_string(client_auth a) {
        switch (a) {
        case CLIENT_AUTH_BASIC:
                return "basic";
        case CLIENT_AUTH_POST:
                return "post";
        case _CLIENT_AUTH_MAX:
                break;
        }
        return NULL;
}

int client_auth_from_string(const char *s, client_auth *ret) {
        for (client_auth a = 0; a < _CLIENT_AUTH_MAX; a++)
                if (streq(s, client_auth_to_string(a))) {
                        *ret = a;
                        return 0;
                }
        return -EINVAL;
}

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

/* ---- value parsers: each reports its own error at the current line ---- */

bool conf_is_printable_ascii(const char *s, bool allow_space) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e)
                        return false;
        }
        return true;
}

/* Scope and tenant tokens: RFC 6749's NQCHAR without the space. */
static bool is_token(const char *s) {
        return *s && conf_is_printable_ascii(s, false) && !strpbrk(s, "\"\\");
}

int conf_split_tokens(const char *value, char ***ret) {
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));
        _cleanup_(freep) char *copy = strdup(value);
        size_t n = 0;
        char *save = NULL;

        if (!l || !copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                char **m = realloc(l, (n + 2) * sizeof(char *));
                if (!m)
                        return -ENOMEM;
                l = m;
                l[n] = strdup(t);
                if (!l[n])
                        return -ENOMEM;
                l[++n] = NULL;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int conf_set_string(loader *l, char **field, const char *value) {
        if (free_and_strdup(field, value) < 0)
                l->oom = true;
        return 0;
}

int conf_parse_absolute_path(loader *l, const char *key, const char *value, char **field) {
        if (value[0] != '/') {
                conf_loader_error(l, l->line, "%s: \"%s\" is not an absolute path", key, value);
                return -EINVAL;
        }
        if (strlen(value) >= PATH_MAX) {
                conf_loader_error(l, l->line, "%s: path is too long", key);
                return -EINVAL;
        }
        return conf_set_string(l, field, value);
}

int conf_parse_url(loader *l, const char *key, const char *value, bool allow_query, char **field) {
        if (!url_is_acceptable(value)) {
                conf_loader_error(l, l->line, "%s: \"%s\" " URL_ERROR, key, value);
                return -EINVAL;
        }
        /* RFC 6749 §3.1 forbids fragments in endpoints; an issuer (RFC 8414
         * §2) and an API base that paths are appended to take no query. */
        if (strchr(value, '#') || (!allow_query && strchr(value, '?'))) {
                conf_loader_error(l, l->line, "%s: \"%s\" must not have a %s", key, value,
                                  allow_query ? "fragment" : "query or fragment");
                return -EINVAL;
        }
        return conf_set_string(l, field, value);
}

int conf_parse_socket_mode(loader *l, const char *value, mode_t *field) {
        unsigned v = 0;
        size_t n = strlen(value);

        if (n == 0 || n > 4)
                goto bad;
        for (const char *c = value; *c; c++) {
                if (*c < '0' || *c > '7')
                        goto bad;
                v = v * 8 + (unsigned) (*c - '0');
        }
        if (v > 0777)
                goto bad;
        *field = (mode_t) v;
        return 0;
bad:
        conf_loader_error(l, l->line, "socket_mode: \"%s\" is not an octal mode <= 0777", value);
        return -EINVAL;
}

int conf_parse_refresh_margin(loader *l, const char *value, unsigned *field) {
        unsigned v = 0;
        size_t n = strlen(value);

        if (n == 0 || n > 5)
                goto bad;
        for (const char *c = value; *c; c++) {
                if (*c < '0' || *c > '9')
                        goto bad;
                v = v * 10 + (unsigned) (*c - '0');
        }
        if (v > REFRESH_MARGIN_MAX)
                goto bad;
        *field = v;
        return 0;
bad:
        conf_loader_error(l, l->line, "refresh_margin: \"%s\" is not a number of seconds in 0..%u",
                          value, REFRESH_MARGIN_MAX);
        return -EINVAL;
}

int conf_parse_unsigned(loader *l, const char *key, const char *value, unsigned min, unsigned max,
                        unsigned *field) {
        uint64_t v = 0;
        size_t n = strlen(value);

        if (n == 0 || n > 10)
                goto bad;
        for (const char *c = value; *c; c++) {
                if (*c < '0' || *c > '9')
                        goto bad;
                v = v * 10 + (uint64_t) (*c - '0');
        }
        if (v < min || v > max)
                goto bad;
        *field = (unsigned) v;
        return 0;
bad:
        conf_loader_error(l, l->line, "%s: \"%s\" is not a number in %u..%u", key, value, min, max);
        return -EINVAL;
}

int conf_parse_scope(loader *l, const char *value, char **field) {
        _cleanup_(strv_freep) char **tokens = NULL;
        _cleanup_(freep) char *joined = NULL;
        size_t len = 0;

        if (conf_split_tokens(value, &tokens) < 0) {
                l->oom = true;
                return -ENOMEM;
        }
        if (!tokens[0]) {
                conf_loader_error(l, l->line, "scope: must not be empty");
                return -EINVAL;
        }
        for (char **t = tokens; *t; t++) {
                if (!is_token(*t)) {
                        conf_loader_error(l, l->line, "scope: \"%s\" is not a valid scope token", *t);
                        return -EINVAL;
                }
                len += strlen(*t) + 1;
        }
        /* Normalised to single spaces: it is sent as is and compared with
         * the scope the IdP grants. */
        joined = malloc(len);
        if (!joined) {
                l->oom = true;
                return -ENOMEM;
        }
        joined[0] = '\0';
        for (char **t = tokens; *t; t++) {
                if (t != tokens)
                        strcat(joined, " ");
                strcat(joined, *t);
        }
        free(*field);
        *field = TAKE_PTR(joined);
        return 0;
}

int conf_parse_tenants(loader *l, const char *value, char ***field) {
        _cleanup_(strv_freep) char **tokens = NULL;

        if (conf_split_tokens(value, &tokens) < 0) {
                l->oom = true;
                return -ENOMEM;
        }
        for (char **t = tokens; *t; t++)
                if (!is_token(*t)) {
                        conf_loader_error(l, l->line, "allowed_tenants: \"%s\" is not a valid tenant id", *t);
                        return -EINVAL;
                }
        strv_free(*field);
        *field = tokens[0] ? TAKE_PTR(tokens) : NULL;
        return 0;
}
