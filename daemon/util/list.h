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

/* The macros below read item once into a local: item may be an
 * expression the list operation changes, such as the list's own head
 * (LIST_REMOVE(queue, o->queue, o->queue_head)). */

#define LIST_APPEND(name, head, item)                                   \
        do {                                                            \
                typeof(*(item)) *_li_ = (item);                         \
                _li_->name##_next = NULL;                               \
                _li_->name##_prev = (head##_tail);                      \
                if (head##_tail)                                        \
                        (head##_tail)->name##_next = _li_;              \
                else                                                    \
                        (head##_head) = _li_;                           \
                (head##_tail) = _li_;                                   \
        } while (0)

#define LIST_PREPEND(name, head, item)                                  \
        do {                                                            \
                typeof(*(item)) *_li_ = (item);                         \
                _li_->name##_prev = NULL;                               \
                _li_->name##_next = (head##_head);                      \
                if (head##_head)                                        \
                        (head##_head)->name##_prev = _li_;              \
                else                                                    \
                        (head##_tail) = _li_;                           \
                (head##_head) = _li_;                                   \
        } while (0)

/* Unlinks item; an item that is not in the list is left alone. */
#define LIST_REMOVE(name, head, item)                                   \
        do {                                                            \
                typeof(*(item)) *_li_ = (item);                         \
                if (LIST_IS_LINKED(name, head, _li_)) {                 \
                        if (_li_->name##_prev)                          \
                                _li_->name##_prev->name##_next = _li_->name##_next; \
                        else                                            \
                                (head##_head) = _li_->name##_next;      \
                        if (_li_->name##_next)                          \
                                _li_->name##_next->name##_prev = _li_->name##_prev; \
                        else                                            \
                                (head##_tail) = _li_->name##_prev;      \
                }                                                       \
                _li_->name##_next = _li_->name##_prev = NULL;           \
        } while (0)

#define LIST_FOREACH(name, i, first) \
        for ((i) = (first); (i); (i) = (i)->name##_next)

/* n is the next item, read before the body runs: the body may unlink i. */
#define LIST_FOREACH_SAFE(name, i, n, first) \
        for ((i) = (first); (i) && (((n) = (i)->name##_next), true); (i) = (n))
