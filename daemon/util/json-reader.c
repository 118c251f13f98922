/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/json-reader.h"
#include "util/secret.h"

int json_reader_parse(const char *text, size_t size, unsigned max_depth, json_object **ret) {
        struct json_tokener *tok;
        json_object *o;
        size_t end;
        bool ok;

        if (!text || !ret || max_depth < 1 || max_depth > JSON_READER_DEPTH_MAX)
                return -EINVAL;
        if (size == 0 || size > INT_MAX)
                return -EBADMSG;

        tok = json_tokener_new_ex((int) max_depth);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, text, (int) size);
        ok = o && json_tokener_get_error(tok) == json_tokener_success;
        end = json_tokener_get_parse_end(tok);

        /* The tokener assembles every string in its own buffer; that buffer
         * is plain heap, so wipe it before it is freed. (Fields of struct
         * json_tokener are public but marked "do not touch"; no other API
         * reaches this buffer.) Not covered: copies left behind when json-c
         * grew that buffer with realloc(), and partial objects of a document
         * that failed to parse. */
        if (tok->pb && tok->pb->buf && tok->pb->size > 0)
                sodium_memzero(tok->pb->buf, (size_t) tok->pb->size);
        json_tokener_free(tok);

        if (ok)
                for (; end < size; end++)
                        if (!json_reader_is_space(text[end])) {
                                ok = false;
                                break;
                        }
        if (!ok) {
                json_reader_wipe_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

int json_reader_parse_object(const char *text, size_t size, unsigned max_depth, json_object **ret) {
        json_object *o = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        r = json_reader_parse(text, size, max_depth, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object)) {
                json_reader_wipe_put(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}

static void json_wipe(json_object *o) {
        size_t n;

        if (!o)
                return;
        switch (json_object_get_type(o)) {
        case json_type_string: {
                int l = json_object_get_string_len(o);

                /* json-c hands out const, but the bytes are its private
                 * heap copy of the value: wipe them before release. */
                if (l > 0)
                        sodium_memzero((char *) json_object_get_string(o), (size_t) l);
                break;
        }
        case json_type_object: {
                json_object_object_foreach(o, key, value) {
                        (void) key;
                        json_wipe(value);
                }
                break;
        }
        case json_type_array:
                n = json_object_array_length(o);
                for (size_t i = 0; i < n; i++)
                        json_wipe(json_object_array_get_idx(o, i));
                break;
        case json_type_null:
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
                break;
        }
}

void json_reader_wipe_put(json_object *o) {
        if (!o)
                return;
        json_wipe(o);
        json_object_put(o);
}

int json_reader_get_string(json_object *o, const char *key, size_t max, bool secret, char **ret) {
        json_object *v;
        const char *s;
        char *copy;
        int l;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;               /* absent or JSON null */
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = json_object_get_string(v);
        l = json_object_get_string_len(v);
        if (!s || l < 0 || (size_t) l > max || strlen(s) != (size_t) l)
                return -EBADMSG;
        copy = secret ? secret_strndup(s, (size_t) l) : strndup(s, (size_t) l);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 1;
}

int json_reader_get_uint(json_object *o, const char *key, uint64_t max, uint64_t *ret) {
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        i = json_object_get_int64(v);
        if (i < 0 || (uint64_t) i > max)
                return -EBADMSG;
        *ret = (uint64_t) i;
        return 1;
}
