/* SPDX-License-Identifier: MIT */

#include <string.h>

#include "output.h"

void json_write_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7F)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

void json_write(FILE *f, const jr_node *n) {
        switch (n->type) {
        case JR_NULL:
                fputs("null", f);
                break;
        case JR_FALSE:
                fputs("false", f);
                break;
        case JR_TRUE:
                fputs("true", f);
                break;
        case JR_NUMBER:
                fwrite(n->str, 1, n->len, f);
                break;
        case JR_STRING:
                json_write_string(f, n->str);
                break;
        case JR_ARRAY:
        case JR_OBJECT:
                fputc(n->type == JR_ARRAY ? '[' : '{', f);
                for (const jr_node *c = n->child; c; c = c->next) {
                        if (c != n->child)
                                fputc(',', f);
                        if (n->type == JR_OBJECT) {
                                json_write_string(f, c->key);
                                fputc(':', f);
                        }
                        json_write(f, c);
                }
                fputc(n->type == JR_ARRAY ? ']' : '}', f);
                break;
        }
}

void json_write_line(FILE *f, const jr_node *n) {
        json_write(f, n);
        fputc('\n', f);
}

const char *safe_text(const char *s, char *dst, size_t n) {
        size_t i = 0;

        if (!s || !*s)
                s = "-";
        for (; *s && i + 1 < n; s++, i++)
                dst[i] = ((unsigned char) *s < 0x20 || *s == 0x7F) ? '?' : *s;
        dst[i] = '\0';
        return dst;
}

void format_relative(int64_t when, int64_t now, char *dst, size_t n) {
        int64_t d;
        bool past;
        char span[32];

        if (when <= 0) {
                snprintf(dst, n, "-");
                return;
        }
        past = when < now;
        d = past ? now - when : when - now;

        if (d < 60)
                snprintf(span, sizeof(span), "%llds", (long long) d);
        else if (d < 3600)
                snprintf(span, sizeof(span), "%lldm", (long long) (d / 60));
        else if (d < 86400)
                snprintf(span, sizeof(span), "%lldh%02lldm", (long long) (d / 3600), (long long) (d % 3600 / 60));
        else
                snprintf(span, sizeof(span), "%lldd", (long long) (d / 86400));

        if (past)
                snprintf(dst, n, "expired %s ago", span);
        else
                snprintf(dst, n, "in %s", span);
}
