/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "util/account-name.h"
#include "util/util.h"

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
