/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/account-name.h"
#include "util/util.h"
#include <stdint.h>

bool account_name_is_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strnlen(name, ACCOUNT_NAME_MAX + 1);
        if (n == 0 || n > ACCOUNT_NAME_MAX)
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return true;
}

bool account_name_is_storable(const char *name) {
        return account_name_is_valid(name) && !streq(name, ".") && !streq(name, "..");
}

/* Decimal digits, no leading zero, a value below (uid_t) -1. */
static int parse_uid(const char *s, uid_t *ret) {
        uint64_t v = 0;
        size_t n = strlen(s);

        if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v >= (uid_t) -1)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

bool account_store_key_is_valid(const char *key) {
        char name[ACCOUNT_NAME_MAX + 1];
        const char *at;
        uid_t uid;

        if (!key)
                return false;
        at = strchr(key, '@');
        if (!at)
                return account_name_is_storable(key);
        if ((size_t) (at - key) > ACCOUNT_NAME_MAX)
                return false;
        memcpy(name, key, (size_t) (at - key));
        name[at - key] = '\0';
        return account_name_is_storable(name) && parse_uid(at + 1, &uid) >= 0;
}

int account_store_key_format(const char *name, uid_t uid, char *ret) {
        if (!account_name_is_storable(name) || uid == (uid_t) -1)
                return -EINVAL;
        (void) snprintf(ret, ACCOUNT_STORE_KEY_MAX + 1, "%s@%u", name, (unsigned) uid);
        return 0;
}

int account_store_key_uid(const char *key, const char *name, uid_t *ret) {
        const char *rest;

        if (!key || !name)
                return -EINVAL;
        rest = startswith(key, name);
        if (!rest || rest[0] != '@' || !account_name_is_storable(name))
                return -EINVAL;
        return parse_uid(rest + 1, ret);
}
