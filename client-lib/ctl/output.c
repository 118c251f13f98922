/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <string.h>

#include "config.h"
#include "output.h"

#if HAVE_QRENCODE
#include <dlfcn.h>
#include <qrencode.h>
#endif

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

#if HAVE_QRENCODE
/* libqrencode is opened the first time a QR code is drawn (tessera login
 * --device on a terminal), not linked: linked, it and the libpthread it
 * needs were loaded by every tessera command, about 0.1 ms of each
 * `tessera token`. */
static QRcode *(*sym_QRcode_encodeString)(const char *, int, QRecLevel, QRencodeMode, int);
static void (*sym_QRcode_free)(QRcode *);

static int qrencode_open(void) {
        void *dl;

        if (sym_QRcode_encodeString && sym_QRcode_free)
                return 0;
        dl = dlopen(QRENCODE_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!dl)
                return -EOPNOTSUPP;
        sym_QRcode_encodeString = (QRcode *(*)(const char *, int, QRecLevel, QRencodeMode, int))
                dlsym(dl, "QRcode_encodeString");
        sym_QRcode_free = (void (*)(QRcode *)) dlsym(dl, "QRcode_free");
        if (!sym_QRcode_encodeString || !sym_QRcode_free) {
                sym_QRcode_encodeString = NULL;
                sym_QRcode_free = NULL;
                return -EOPNOTSUPP;
        }
        return 0;
}
#endif

int print_qr(FILE *f, const char *text) {
#if HAVE_QRENCODE
        const int margin = 2;
        QRcode *q;
        int r;

        r = qrencode_open();
        if (r < 0)
                return r;
        q = sym_QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
        if (!q)
                return -EINVAL;

        int w = q->width, size = w + 2 * margin;

        /* Two module rows per text line: upper half block for the top one,
         * lower half block for the bottom one, in black on white. */
        for (int y = 0; y < size; y += 2) {
                fputs("\033[30;47m", f);
                for (int x = 0; x < size; x++) {
                        bool top = false, bottom = false;
                        int mx = x - margin, my = y - margin;

                        if (mx >= 0 && mx < w && my >= 0 && my < w)
                                top = q->data[my * w + mx] & 1;
                        if (mx >= 0 && mx < w && my + 1 >= 0 && my + 1 < w)
                                bottom = q->data[(my + 1) * w + mx] & 1;

                        fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", f);
                }
                fputs("\033[0m\n", f);
        }
        sym_QRcode_free(q);
        return 0;
#else
        (void) f;
        (void) text;
        return -EOPNOTSUPP;
#endif
}
