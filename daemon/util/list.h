/* SPDX-License-Identifier: MIT */
#pragma once

/* Intrusive doubly linked lists with a head and a tail pointer, in the
 * manner of systemd's list.h. An item holds `type *name##_next,
 * *name##_prev` (LIST_FIELDS); the owner holds a LIST_HEAD. One item may
 * sit in several lists under different names.
 *
 *      struct call { LIST_FIELDS(struct call, queue); ... };
 *      struct owner { LIST_HEAD(struct call, queue); ... };
 *      LIST_APPEND(queue, owner->queue, c);
 *      LIST_REMOVE(queue, owner->queue, c);
 *      LIST_FOREACH_SAFE(queue, c, n, owner->queue_head) ...
 */

#include <stdbool.h>
#include <stddef.h>

#define LIST_FIELDS(type, name) type *name##_next, *name##_prev

#define LIST_HEAD(type, name) type *name##_head, *name##_tail

/* Whether item is linked in the list (head is the list's LIST_HEAD). */
#define LIST_IS_LINKED(name, head, item) \
        ((item)->name##_prev || (head##_head) == (item))

#define LIST_APPEND(name, head, item)                                   \
        do {                                                            \
                (item)->name##_next = NULL;                             \
                (item)->name##_prev = (head##_tail);                    \
                if (head##_tail)                                        \
                        (head##_tail)->name##_next = (item);            \
                else                                                    \
                        (head##_head) = (item);                         \
                (head##_tail) = (item);                                 \
        } while (0)

#define LIST_PREPEND(name, head, item)                                  \
        do {                                                            \
                (item)->name##_prev = NULL;                             \
                (item)->name##_next = (head##_head);                    \
                if (head##_head)                                        \
                        (head##_head)->name##_prev = (item);            \
                else                                                    \
                        (head##_tail) = (item);                         \
                (head##_head) = (item);                                 \
        } while (0)

/* Unlinks item; an item that is not in the list is left alone. */
#define LIST_REMOVE(name, head, item)                                   \
        do {                                                            \
                if (LIST_IS_LINKED(name, head, item)) {                 \
                        if ((item)->name##_prev)                        \
                                (item)->name##_prev->name##_next = (item)->name##_next; \
                        else                                            \
                                (head##_head) = (item)->name##_next;    \
                        if ((item)->name##_next)                        \
                                (item)->name##_next->name##_prev = (item)->name##_prev; \
                        else                                            \
                                (head##_tail) = (item)->name##_prev;    \
                }                                                       \
                (item)->name##_next = (item)->name##_prev = NULL;       \
        } while (0)

#define LIST_FOREACH(name, i, first) \
        for ((i) = (first); (i); (i) = (i)->name##_next)

/* n is the next item, read before the body runs: the body may unlink i. */
#define LIST_FOREACH_SAFE(name, i, n, first) \
        for ((i) = (first); (i) && (((n) = (i)->name##_next), true); (i) = (n))
