/* SPDX-License-Identifier: MIT */
#include "util/secret.h"
#include "store/session-codec.h"

/* Binary form: one version byte, then records of tag (u8), length (u32 LE)
 * and value, closed by an empty end record so that a truncated buffer never
 * passes for a shorter session. Integers are 8 bytes LE (two's complement).
 * A tenant record holds nested records with the same framing. The format
 * is ours alone, so anything unexpected (unknown tag, repeated field, stray
 * bytes) is refused rather than skipped: a file that does not parse
 * exactly is not trusted. */

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
        TAG_LOGIND_BOUND,               /* only when set, value 1 */
        TAG_END = 0xff,
};

enum {
        TENANT_TAG_ID = 1,
        TENANT_TAG_NAME,
};

#define RECORD_HEADER 5U

/* Encoding happens in two passes over the same code: first with buf NULL
 * to measure, then for real into a buffer of exactly that size. The first
 * error sticks and stops all writing. */
typedef struct writer {
        uint8_t *buf;
        size_t pos, size;
        int error;
} writer;

static void put_bytes(writer *w, const void *p, size_t n) {
        if (w->error)
                return;
        if (w->buf) {
                /* Only a session that changes between the passes can get
                 * here, which is a bug; never write past the buffer. */
                if (n > w->size - w->pos) {
                        w->error = -EINVAL;
                        return;
                }
                if (n > 0)
                        memcpy(w->buf + w->pos, p, n);
        }
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

static void put_string(writer *w, uint8_t tag, const char *v) {
        size_t n;

        if (!v || w->error)
                return;
        n = strnlen(v, SESSION_STRING_MAX + 1);
        if (n > SESSION_STRING_MAX) {
                w->error = -E2BIG;
                return;
        }
        put_header(w, tag, (uint32_t) n);
        put_bytes(w, v, n);
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

        put_bytes(w, &version, 1);

        put_string(w, TAG_ACCESS_TOKEN, s->access_token);
        put_string(w, TAG_REFRESH_TOKEN, s->refresh_token);
        put_string(w, TAG_SCOPE, s->scope);
        put_int64(w, TAG_EXPIRES_AT, s->expires_at);
        put_int64(w, TAG_REFRESHED_AT, s->refreshed_at);
        put_string(w, TAG_SUB, s->sub);
        put_string(w, TAG_USER, s->user);
        put_string(w, TAG_TENANT_ID, s->tenant_id);
        put_string(w, TAG_TENANT_NAME, s->tenant_name);
        if (s->logind_bound)
                put_int64(w, TAG_LOGIND_BOUND, 1);

        for (size_t i = 0; i < s->n_tenants && !w->error; i++) {
                const session_tenant *t = s->tenants + i;

                if (!t->id)
                        return -EINVAL;
                if (strnlen(t->id, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX ||
                    (t->name && strnlen(t->name, SESSION_STRING_MAX + 1) > SESSION_STRING_MAX))
                        return -E2BIG;

                put_header(w, TAG_TENANT, (uint32_t) tenant_record_len(t));
                put_string(w, TENANT_TAG_ID, t->id);
                put_string(w, TENANT_TAG_NAME, t->name);
        }

        put_header(w, TAG_END, 0);
        return w->error;
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

        w = (writer) { .buf = buf, .size = len };
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

/* Runs each record of a buffer through fn, which also gets how many bytes
 * follow the record. */
typedef int (*record_fn)(void *userdata, uint8_t tag, const uint8_t *value, size_t len, size_t left);

static int for_each_record(const uint8_t *p, size_t len, record_fn fn, void *userdata) {
        reader rd = { .p = p, .left = len };
        int r;

        while (rd.left > 0) {
                const uint8_t *value;
                size_t n;
                uint8_t tag;

                r = next_record(&rd, &tag, &value, &n);
                if (r < 0)
                        return r;
                r = fn(userdata, tag, value, n, rd.left);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct tenant_fields {
        char *id, *name;
} tenant_fields;

static int tenant_record(void *userdata, uint8_t tag, const uint8_t *value, size_t n, size_t left) {
        tenant_fields *f = userdata;

        switch (tag) {
        case TENANT_TAG_ID:
                return take_string(&f->id, value, n);
        case TENANT_TAG_NAME:
                return take_string(&f->name, value, n);
        default:
                return -EBADMSG;
        }
}

static int decode_tenant(session *s, const uint8_t *v, size_t len) {
        tenant_fields f = {};
        int r;

        if (s->n_tenants >= SESSION_TENANTS_MAX)
                return -EBADMSG;

        r = for_each_record(v, len, tenant_record, &f);
        if (r >= 0 && !f.id)
                r = -EBADMSG;
        if (r >= 0)
                r = session_adopt_tenant(s, &f.id, &f.name);
        secret_free(f.id);
        secret_free(f.name);
        return r;
}

typedef struct session_fields {
        session *s;
        bool seen_expires, seen_refreshed, seen_bound, seen_end;
} session_fields;

static int session_record(void *userdata, uint8_t tag, const uint8_t *value, size_t n, size_t left) {
        session_fields *f = userdata;
        session *s = f->s;

        switch (tag) {
        case TAG_ACCESS_TOKEN:
                return take_string(&s->access_token, value, n);
        case TAG_REFRESH_TOKEN:
                return take_string(&s->refresh_token, value, n);
        case TAG_SCOPE:
                return take_string(&s->scope, value, n);
        case TAG_EXPIRES_AT:
                return take_int64(&s->expires_at, &f->seen_expires, value, n);
        case TAG_REFRESHED_AT:
                return take_int64(&s->refreshed_at, &f->seen_refreshed, value, n);
        case TAG_SUB:
                return take_string(&s->sub, value, n);
        case TAG_USER:
                return take_string(&s->user, value, n);
        case TAG_TENANT_ID:
                return take_string(&s->tenant_id, value, n);
        case TAG_TENANT_NAME:
                return take_string(&s->tenant_name, value, n);
        case TAG_TENANT:
                return decode_tenant(s, value, n);
        case TAG_LOGIND_BOUND: {
                int64_t v = 0;
                int r = take_int64(&v, &f->seen_bound, value, n);

                if (r < 0 || v != 1)
                        return -EBADMSG;
                s->logind_bound = true;
                return 0;
        }
        case TAG_END:
                f->seen_end = true;
                return n == 0 && left == 0 ? 0 : -EBADMSG;
        default:
                return -EBADMSG;
        }
}

int session_decode(const uint8_t *buf, size_t len, session **ret) {
        _cleanup_(session_freep) session *s = NULL;
        session_fields f;
        int r;

        if (!ret || (!buf && len > 0))
                return -EINVAL;
        if (len < 1 || buf[0] != SESSION_FORMAT_VERSION)
                return -EBADMSG;

        s = session_new();
        if (!s)
                return -ENOMEM;

        f = (session_fields) { .s = s };
        r = for_each_record(buf + 1, len - 1, session_record, &f);
        if (r < 0)
                return r;
        if (!f.seen_end || !s->access_token)
                return -EBADMSG;

        *ret = TAKE_PTR(s);
        return 0;
}
