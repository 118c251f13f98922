/* SPDX-License-Identifier: MIT */
#include <limits.h>

#include "conf/conf-values.h"
#include "util/log.h"
#include "util/string-table.h"

static const char *const client_auth_table[_CLIENT_AUTH_MAX] = {
        [CLIENT_AUTH_BASIC] = "basic",
        [CLIENT_AUTH_POST] = "post",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(client_auth, client_auth);

static const char *const session_mode_table[_SESSIONS_MAX] = {
        [SESSIONS_SHARED] = "shared",
        [SESSIONS_PER_USER] = "per-user",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(session_mode, session_mode);
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(session_mode, int);
/* int, not client_auth: the enum holds no -EINVAL (a switch over it would
 * then need a case for it). */
DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(client_auth, int);

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

int conf_set_string(conf_parse_ctx *ctx, char **field, const char *value) {
        if (free_and_strdup(field, value) < 0)
                ctx->oom = true;
        return 0;
}

/* A decimal number of at most max_digits digits, nothing else. */
static int parse_decimal(const char *s, size_t max_digits, uint64_t *ret) {
        uint64_t v = 0;
        size_t n = strlen(s);

        if (n == 0 || n > max_digits)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *ret = v;
        return 0;
}

int conf_parse_path(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        if (value[0] != '/') {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not an absolute path", key->name, value);
                return -EINVAL;
        }
        if (strlen(value) >= PATH_MAX) {
                conf_parse_error(ctx, ctx->line, "%s: path is too long", key->name);
                return -EINVAL;
        }
        return conf_set_string(ctx, CONF_FIELD(char *, key, object), value);
}

int conf_parse_socket_path(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        if (value[0] == '/' && strlen(value) >= SUN_PATH_SIZE) {
                conf_parse_error(ctx, ctx->line, "%s: path is longer than %zu bytes", key->name, SUN_PATH_SIZE - 1);
                return -EINVAL;
        }
        return conf_parse_path(ctx, key, value, object);
}

int conf_parse_mode(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
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
        *CONF_FIELD(mode_t, key, object) = (mode_t) v;
        return 0;
bad:
        conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not an octal mode <= 0777", key->name, value);
        return -EINVAL;
}

int conf_parse_log_level(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        int level = log_level_from_string(value);

        if (level < 0) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not one of debug, info, notice, warning, error",
                                 key->name, value);
                return -EINVAL;
        }
        *CONF_FIELD(int, key, object) = level;
        return 0;
}

int conf_parse_text(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        size_t n = strlen(value);

        if (n < key->min || n > key->max || !conf_is_printable_ascii(value, true)) {
                conf_parse_error(ctx, ctx->line, "%s: must be %u-%u printable ASCII characters",
                                 key->name, key->min, key->max);
                return -EINVAL;
        }
        return conf_set_string(ctx, CONF_FIELD(char *, key, object), value);
}

int conf_parse_client_auth(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        int a = client_auth_from_string(value);

        if (a < 0) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not one of basic, post", key->name, value);
                return -EINVAL;
        }
        *CONF_FIELD(client_auth, key, object) = (client_auth) a;
        return 0;
}

int conf_parse_sessions(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        int m = session_mode_from_string(value);

        if (m < 0) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not one of shared, per-user", key->name, value);
                return -EINVAL;
        }
        *CONF_FIELD(session_mode, key, object) = (session_mode) m;
        return 0;
}

int conf_parse_bool(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(value, yes[i])) {
                        *CONF_FIELD(bool, key, object) = true;
                        return 0;
                }
                if (streq(value, no[i])) {
                        *CONF_FIELD(bool, key, object) = false;
                        return 0;
                }
        }
        conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not yes or no", key->name, value);
        return -EINVAL;
}

int conf_parse_unsigned(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        uint64_t v;

        /* Ten digits hold any unsigned; more are refused, not wrapped. */
        if (parse_decimal(value, 10, &v) < 0 || v < key->min || v > key->max) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not a number in %u..%u",
                                 key->name, value, key->min, key->max);
                return -EINVAL;
        }
        *CONF_FIELD(unsigned, key, object) = (unsigned) v;
        return 0;
}

int conf_parse_seconds(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        size_t max_digits = 1;
        uint64_t v;

        for (unsigned m = key->max; m >= 10; m /= 10)
                max_digits++;
        if (parse_decimal(value, max_digits, &v) < 0 || v < key->min || v > key->max) {
                conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not a number of seconds in %u..%u",
                                 key->name, value, key->min, key->max);
                return -EINVAL;
        }
        *CONF_FIELD(unsigned, key, object) = (unsigned) v;
        return 0;
}

int conf_parse_scope(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        _cleanup_(strv_freep) char **tokens = NULL;
        _cleanup_(freep) char *joined = NULL;
        char **field = CONF_FIELD(char *, key, object);
        size_t len = 0;

        if (conf_split_tokens(value, &tokens) < 0)
                return conf_parse_oom(ctx);
        if (!tokens[0]) {
                conf_parse_error(ctx, ctx->line, "%s: must not be empty", key->name);
                return -EINVAL;
        }
        for (char **t = tokens; *t; t++) {
                if (!is_token(*t)) {
                        conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not a valid scope token", key->name, *t);
                        return -EINVAL;
                }
                len += strlen(*t) + 1;
        }
        /* Normalised to single spaces: it is sent as is and compared with
         * the scope the IdP grants. */
        joined = malloc(len);
        if (!joined)
                return conf_parse_oom(ctx);
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

int conf_parse_tenants(conf_parse_ctx *ctx, const conf_key *key, const char *value, void *object) {
        _cleanup_(strv_freep) char **tokens = NULL;
        char ***field = CONF_FIELD(char **, key, object);

        if (conf_split_tokens(value, &tokens) < 0)
                return conf_parse_oom(ctx);
        for (char **t = tokens; *t; t++)
                if (!is_token(*t)) {
                        conf_parse_error(ctx, ctx->line, "%s: \"%s\" is not a valid tenant id", key->name, *t);
                        return -EINVAL;
                }
        strv_free(*field);
        *field = tokens[0] ? TAKE_PTR(tokens) : NULL;
        return 0;
}
