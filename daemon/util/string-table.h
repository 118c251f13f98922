/* SPDX-License-Identifier: MIT */
#pragma once

/* Enum <-> string tables, after systemd's string-table.h: a table indexed
 * by the enum, and the two functions defined from it.
 *
 *      static const char *const color_table[_COLOR_MAX] = { [COLOR_RED] = "red", ... };
 *      DEFINE_STRING_TABLE_LOOKUP(color, color_t);
 *
 * defines `const char *color_to_string(color_t)` (NULL when out of range)
 * and `color_t color_from_string(const char *)` (-EINVAL when unknown or
 * NULL; the enum must be able to hold it, e.g. _COLOR_INVALID = -EINVAL).
 * The _TO_STRING and _FROM_STRING variants define one of the two. */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/util.h"

/* The index of s in a table of n names (NULL entries are holes), or
 * -EINVAL when s is NULL or not there: for lookups that need more than
 * the table, such as an alias. */
static inline int string_table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -EINVAL;
}

#define _STRING_TABLE_TO_STRING(name, type, scope)                              \
        scope const char *name##_to_string(type i) {                           \
                if ((size_t) i >= ELEMENTSOF(name##_table))                    \
                        return NULL;                                            \
                return name##_table[i];                                         \
        }

#define _STRING_TABLE_FROM_STRING(name, type, scope)                            \
        scope type name##_from_string(const char *s) {                         \
                return (type) string_table_lookup(name##_table,                \
                                                  ELEMENTSOF(name##_table), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) _STRING_TABLE_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) _STRING_TABLE_FROM_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP(name, type)          \
        _STRING_TABLE_TO_STRING(name, type, )           \
        _STRING_TABLE_FROM_STRING(name, type, )
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type) _STRING_TABLE_TO_STRING(name, type, static)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) _STRING_TABLE_FROM_STRING(name, type, static)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type)          \
        _STRING_TABLE_TO_STRING(name, type, static)             \
        _STRING_TABLE_FROM_STRING(name, type, static)
