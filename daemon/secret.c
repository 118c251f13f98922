/* SPDX-License-Identifier: MIT */
#include <sodium.h>
#include <string.h>

#include "secret.h"

void *secret_alloc(size_t n) {
        void *p;

        if (n == 0)
                n = 1;
        p = sodium_malloc(n);
        if (!p)
                return NULL;
        sodium_memzero(p, n);
        return p;
}

char *secret_strndup(const char *s, size_t n) {
        char *p;

        if (!s)
                return NULL;
        n = strnlen(s, n);
        if (n == SIZE_MAX)
                return NULL;
        p = secret_alloc(n + 1);
        if (!p)
                return NULL;
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *secret_strdup(const char *s) {
        return s ? secret_strndup(s, strlen(s)) : NULL;
}

void *secret_free(void *p) {
        /* sodium_free() wipes the whole allocation before unmapping it. */
        if (p)
                sodium_free(p);
        return NULL;
}

bool secret_streq(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);

        if (la != lb)
                return false;
        return sodium_memcmp(a, b, la) == 0;
}
