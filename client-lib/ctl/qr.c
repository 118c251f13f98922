/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdbool.h>

#include "config.h"
#include "qr.h"

#if HAVE_QRENCODE
#include <dlfcn.h>
#include <qrencode.h>

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
