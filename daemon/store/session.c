/* SPDX-License-Identifier: MIT */
#include "util/secret.h"
#include "store/session.h"

/* Binary form: one version byte, then records of tag (u8), length (u32 LE)
 * and value, closed by an empty end record so that a truncated buffer never
 * passes for a shorter session. Integers are 8 bytes LE (two's complement).
 * A tenant record holds nested records with the same framing. The format is ours alone, so
 * anything unexpected (unknown tag, repeated field, stray bytes) is refused
 * rather than skipped: a file that does not parse exactly is not trusted. */

#define SESSION_FORMAT_VERSION 1

enum {
        TAG_ACCESS_TOKEN = 1,
        TAG_REFRESH_TOKEN,
        TAG_SCOPE,
        TAG_EXPIRES_AT,
        TAG_REFRESHED_AT,
        TAG_SUB,
        TAG_USER,
        TAG_TENANT_ID,
        TAG_TENANT_NAME,
        TAG_TENANT,
        TAG_END = 0xff,
};

enum {
        TENANT_TAG_ID = 1,
        TENANT_TAG_NAME,
};

#define RECORD_HEADER 5U

session *session_new(void) {
        return calloc(1, sizeof(session));
}

static void tenant_done(session_tenant *t) {
        t->id = secret_free(t->id);
        t->name = secret_free(t->name);
}

session *session_free(session *s) {
        if (!s)
                return NULL;

        secret_free(s->access_token);
        secret_free(s->refresh_token);
        secret_free(s->scope);
        secret_free(s->sub);
        secret_free(s->user);
        secret_free(s->tenant_id);
        secret_free(s->tenant_name);
        for (size_t i = 0; i < s->n_tenants; i++)
                tenant_done(s->tenants + i);
        free(s->tenants);
        free(s);
        return NULL;
}

int session_set_string(char **field, const char *v) {
        char *n = NULL;

        if (!field)
                return -EINVAL;
        if (v) {
                if (strnlen(v, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX)
                        return -E2BIG;
                n = secret_strdup(v);
                if (!n)
                        return -ENOMEM;
        }
        secret_free(*field);
        *field = n;
        return 0;
}

int session_add_tenant(session *s, const char *id, const char *name) {
        _cleanup_(secret_freep) char *i = NULL, *n = NULL;
        session_tenant *t;
        int r;

        if (!s || !id)
                return -EINVAL;
        if (s->n_tenants >= SESSION_TENANTS_MAX)
                return -E2BIG;

        r = session_set_string(&i, id);
        if (r < 0)
                return r;
        r = session_set_string(&n, name);
        if (r < 0)
                return r;

        t = reallocarray(s->tenants, s->n_tenants + 1, sizeof(session_tenant));
        if (!t)
                return -ENOMEM;
        s->tenants = t;
        s->tenants[s->n_tenants++] = (session_tenant) {
                .id = TAKE_PTR(i),
                .name = TAKE_PTR(n),
        };
        return 0;
}

int session_dup(const session *s, session **ret) {
        _cleanup_(session_freep) session *d = NULL;
        int r;

        if (!s || !ret)
                return -EINVAL;

        d = session_new();
        if (!d)
                return -ENOMEM;

        d->expires_at = s->expires_at;
        d->refreshed_at = s->refreshed_at;

        struct {
                char **to;
                const char *from;
        } fields[] = {
                { &d->access_token,  s->access_token },
                { &d->refresh_token, s->refresh_token },
                { &d->scope,         s->scope },
                { &d->sub,           s->sub },
                { &d->user,          s->user },
                { &d->tenant_id,     s->tenant_id },
                { &d->tenant_name,   s->tenant_name },
        };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                r = session_set_string(fields[i].to, fields[i].from);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < s->n_tenants; i++) {
                r = session_add_tenant(d, s->tenants[i].id, s->tenants[i].name);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(d);
        return 0;
}

/* Encoding happens in two passes over the same code: first with buf NULL
 * to measure, then for real into a buffer of exactly that size. */
typedef struct writer {
        uint8_t *buf;
        size_t pos;
} writer;

static void put_bytes(writer *w, const void *p, size_t n) {
        if (w->buf && n > 0)
                memcpy(w->buf + w->pos, p, n);
        w->pos += n;
}

static void put_header(writer *w, uint8_t tag, uint32_t len) {
        uint8_t h[RECORD_HEADER] = {
                tag,
                (uint8_t) len,
                (uint8_t) (len >> 8),
                (uint8_t) (len >> 16),
                (uint8_t) (len >> 24),
        };
        put_bytes(w, h, sizeof(h));
}

static int put_string(writer *w, uint8_t tag, const char *v) {
        size_t n;

        if (!v)
                return 0;
        n = strnlen(v, SESSION_STRING_MAX + 1);
        if (n > SESSION_STRING_MAX)
                return -E2BIG;
        put_header(w, tag, (uint32_t) n);
        put_bytes(w, v, n);
        return 0;
}

static void put_int64(writer *w, uint8_t tag, int64_t v) {
        uint64_t u = (uint64_t) v;
        uint8_t b[8];

        for (size_t i = 0; i < 8; i++)
                b[i] = (uint8_t) (u >> (8 * i));
        put_header(w, tag, sizeof(b));
        put_bytes(w, b, sizeof(b));
}

static size_t tenant_record_len(const session_tenant *t) {
        /* Both strings are already checked against SESSION_STRING_MAX, so
         * this cannot overflow a u32. */
        size_t n = RECORD_HEADER + strlen(t->id);
        if (t->name)
                n += RECORD_HEADER + strlen(t->name);
        return n;
}

static int encode(const session *s, writer *w) {
        uint8_t version = SESSION_FORMAT_VERSION;
        int r;

        put_bytes(w, &version, 1);

        r = put_string(w, TAG_ACCESS_TOKEN, s->access_token);
        if (r < 0)
                return r;
        r = put_string(w, TAG_REFRESH_TOKEN, s->refresh_token);
        if (r < 0)
                return r;
        r = put_string(w, TAG_SCOPE, s->scope);
        if (r < 0)
                return r;
        put_int64(w, TAG_EXPIRES_AT, s->expires_at);
        put_int64(w, TAG_REFRESHED_AT, s->refreshed_at);
        r = put_string(w, TAG_SUB, s->sub);
        if (r < 0)
                return r;
        r = put_string(w, TAG_USER, s->user);
        if (r < 0)
                return r;
        r = put_string(w, TAG_TENANT_ID, s->tenant_id);
        if (r < 0)
                return r;
        r = put_string(w, TAG_TENANT_NAME, s->tenant_name);
        if (r < 0)
                return r;

        for (size_t i = 0; i < s->n_tenants; i++) {
                const session_tenant *t = s->tenants + i;

                if (!t->id)
                        return -EINVAL;
                if (strnlen(t->id, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX ||
                    (t->name && strnlen(t->name, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX))
                        return -E2BIG;

                put_header(w, TAG_TENANT, (uint32_t) tenant_record_len(t));
                r = put_string(w, TENANT_TAG_ID, t->id);
                if (r < 0)
                        return r;
                r = put_string(w, TENANT_TAG_NAME, t->name);
                if (r < 0)
                        return r;
        }

        put_header(w, TAG_END, 0);
        return 0;
}

int session_encode(const session *s, uint8_t **ret_buf, size_t *ret_len) {
        writer w = {};
        uint8_t *buf;
        size_t len;
        int r;

        if (!s || !ret_buf || !ret_len)
                return -EINVAL;
        if (!s->access_token)
                return -EINVAL;
        if (s->n_tenants > SESSION_TENANTS_MAX)
                return -E2BIG;

        r = encode(s, &w);
        if (r < 0)
                return r;
        len = w.pos;

        buf = secret_alloc(len);
        if (!buf)
                return -ENOMEM;

        w = (writer) { .buf = buf };
        r = encode(s, &w);
        if (r < 0 || w.pos != len) {
                /* The session changed between passes: only possible if
                 * someone mutates it concurrently, which is a bug. */
                secret_free(buf);
                return r < 0 ? r : -EINVAL;
        }

        *ret_buf = buf;
        *ret_len = len;
        return 0;
}

typedef struct reader {
        const uint8_t *p;
        size_t left;
} reader;

/* Takes the next record. The length is checked against what is left before
 * anything is read, so no arithmetic on it can overflow. */
static int next_record(reader *rd, uint8_t *ret_tag, const uint8_t **ret_value, size_t *ret_len) {
        uint32_t len;

        if (rd->left < RECORD_HEADER)
                return -EBADMSG;

        len = (uint32_t) rd->p[1] |
              (uint32_t) rd->p[2] << 8 |
              (uint32_t) rd->p[3] << 16 |
              (uint32_t) rd->p[4] << 24;
        if (len > rd->left - RECORD_HEADER)
                return -EBADMSG;

        *ret_tag = rd->p[0];
        *ret_value = rd->p + RECORD_HEADER;
        *ret_len = len;
        rd->p += RECORD_HEADER + len;
        rd->left -= RECORD_HEADER + len;
        return 0;
}

static int take_string(char **field, const uint8_t *v, size_t len) {
        char *n;

        if (*field)
                return -EBADMSG;                /* repeated */
        if (len > SESSION_STRING_MAX)
                return -EBADMSG;
        if (memchr(v, '\0', len))
                return -EBADMSG;

        n = secret_alloc(len + 1);
        if (!n)
                return -ENOMEM;
        if (len > 0)
                memcpy(n, v, len);
        *field = n;
        return 0;
}

static int take_int64(int64_t *field, bool *seen, const uint8_t *v, size_t len) {
        uint64_t u = 0;

        if (*seen)
                return -EBADMSG;
        if (len != 8)
                return -EBADMSG;

        for (size_t i = 0; i < 8; i++)
                u |= (uint64_t) v[i] << (8 * i);
        /* Conversion of out-of-range values to a signed type is
         * implementation-defined; memcpy keeps it well-defined. */
        memcpy(field, &u, sizeof(*field));
        *seen = true;
        return 0;
}

static int decode_tenant(session *s, const uint8_t *v, size_t len) {
        _cleanup_(secret_freep) char *id = NULL, *name = NULL;
        reader rd = { .p = v, .left = len };
        session_tenant *t;
        int r;

        if (s->n_tenants >= SESSION_TENANTS_MAX)
                return -EBADMSG;

        while (rd.left > 0) {
                const uint8_t *value;
                size_t n;
                uint8_t tag;

                r = next_record(&rd, &tag, &value, &n);
                if (r < 0)
                        return r;

                switch (tag) {
                case TENANT_TAG_ID:
                        r = take_string(&id, value, n);
                        break;
                case TENANT_TAG_NAME:
                        r = take_string(&name, value, n);
                        break;
                default:
                        r = -EBADMSG;
                }
                if (r < 0)
                        return r;
        }

        if (!id)
                return -EBADMSG;

        t = reallocarray(s->tenants, s->n_tenants + 1, sizeof(session_tenant));
        if (!t)
                return -ENOMEM;
        s->tenants = t;
        s->tenants[s->n_tenants++] = (session_tenant) {
                .id = TAKE_PTR(id),
                .name = TAKE_PTR(name),
        };
        return 0;
}

int session_decode(const uint8_t *buf, size_t len, session **ret) {
        _cleanup_(session_freep) session *s = NULL;
        bool seen_expires = false, seen_refreshed = false, seen_end = false;
        reader rd;
        int r;

        if (!ret || (!buf && len > 0))
                return -EINVAL;
        if (len < 1 || buf[0] != SESSION_FORMAT_VERSION)
                return -EBADMSG;

        s = session_new();
        if (!s)
                return -ENOMEM;

        rd = (reader) { .p = buf + 1, .left = len - 1 };
        while (rd.left > 0) {
                const uint8_t *value;
                size_t n;
                uint8_t tag;

                r = next_record(&rd, &tag, &value, &n);
                if (r < 0)
                        return r;

                switch (tag) {
                case TAG_ACCESS_TOKEN:
                        r = take_string(&s->access_token, value, n);
                        break;
                case TAG_REFRESH_TOKEN:
                        r = take_string(&s->refresh_token, value, n);
                        break;
                case TAG_SCOPE:
                        r = take_string(&s->scope, value, n);
                        break;
                case TAG_EXPIRES_AT:
                        r = take_int64(&s->expires_at, &seen_expires, value, n);
                        break;
                case TAG_REFRESHED_AT:
                        r = take_int64(&s->refreshed_at, &seen_refreshed, value, n);
                        break;
                case TAG_SUB:
                        r = take_string(&s->sub, value, n);
                        break;
                case TAG_USER:
                        r = take_string(&s->user, value, n);
                        break;
                case TAG_TENANT_ID:
                        r = take_string(&s->tenant_id, value, n);
                        break;
                case TAG_TENANT_NAME:
                        r = take_string(&s->tenant_name, value, n);
                        break;
                case TAG_TENANT:
                        r = decode_tenant(s, value, n);
                        break;
                case TAG_END:
                        r = n == 0 && rd.left == 0 ? 0 : -EBADMSG;
                        seen_end = true;
                        break;
                default:
                        r = -EBADMSG;
                }
                if (r < 0)
                        return r;
        }

        if (!seen_end || !s->access_token)
                return -EBADMSG;

        *ret = TAKE_PTR(s);
        return 0;
}
