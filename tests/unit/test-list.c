/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>

#include "util/list.h"
#include "util/string-table.h"
#include "tests.h"

typedef struct item {
        int v;
        LIST_FIELDS(struct item, queue);
        LIST_FIELDS(struct item, all);
} item;

typedef struct owner {
        LIST_HEAD(item, queue);
        LIST_HEAD(item, all);
} owner;

static int sum_order(item *first) {
        int s = 0;
        item *i;

        LIST_FOREACH(queue, i, first)
                s = s * 10 + i->v;
        return s;
}

static void test_list(void) {
        owner o = {};
        item a = { .v = 1 }, b = { .v = 2 }, c = { .v = 3 }, *i, *n;

        CHECK(!LIST_IS_LINKED(queue, o.queue, &a));
        LIST_APPEND(queue, o.queue, &a);
        LIST_APPEND(queue, o.queue, &b);
        LIST_PREPEND(queue, o.queue, &c);
        CHECK(sum_order(o.queue_head) == 312);
        CHECK(o.queue_tail == &b);
        CHECK(LIST_IS_LINKED(queue, o.queue, &a));

        /* A second list through the same items is independent. */
        LIST_APPEND(all, o.all, &b);
        CHECK(o.all_head == &b && o.all_tail == &b && !b.all_next);

        LIST_REMOVE(queue, o.queue, &a);        /* the middle */
        CHECK(sum_order(o.queue_head) == 32);
        CHECK(!LIST_IS_LINKED(queue, o.queue, &a));
        LIST_REMOVE(queue, o.queue, &a);        /* not linked: no effect */
        CHECK(sum_order(o.queue_head) == 32);
        LIST_REMOVE(queue, o.queue, &b);        /* the tail */
        CHECK(o.queue_tail == &c && sum_order(o.queue_head) == 3);

        LIST_APPEND(queue, o.queue, &a);
        LIST_APPEND(queue, o.queue, &b);
        LIST_FOREACH_SAFE(queue, i, n, o.queue_head)
                LIST_REMOVE(queue, o.queue, i);
        CHECK(!o.queue_head && !o.queue_tail);
        CHECK(o.all_head == &b);

        /* The item may be an expression the removal changes: the head. */
        LIST_APPEND(queue, o.queue, &a);
        LIST_APPEND(queue, o.queue, &b);
        LIST_APPEND(queue, o.queue, &c);
        LIST_REMOVE(queue, o.queue, o.queue_head);
        CHECK(o.queue_head == &b && o.queue_tail == &c && !b.queue_prev);
        CHECK(!a.queue_next && !a.queue_prev && sum_order(o.queue_head) == 23);
        LIST_REMOVE(queue, o.queue, o.queue_tail);
        CHECK(o.queue_head == &b && o.queue_tail == &b && !b.queue_next);
        LIST_REMOVE(queue, o.queue, o.queue_head);
        CHECK(!o.queue_head && !o.queue_tail);
}

typedef enum fruit {
        FRUIT_APPLE,
        FRUIT_PEAR,
        _FRUIT_MAX,
        _FRUIT_INVALID = -EINVAL,
} fruit;

static const char *const fruit_table[_FRUIT_MAX] = {
        [FRUIT_APPLE] = "apple",
        [FRUIT_PEAR] = "pear",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP(fruit, fruit);

static void test_string_table(void) {
        CHECK(streq(fruit_to_string(FRUIT_PEAR), "pear"));
        CHECK(fruit_to_string(_FRUIT_MAX) == NULL);
        CHECK(fruit_to_string((fruit) -1) == NULL);
        CHECK(fruit_from_string("apple") == FRUIT_APPLE);
        CHECK(fruit_from_string("plum") == _FRUIT_INVALID);
        CHECK(fruit_from_string(NULL) == _FRUIT_INVALID);

        /* Holes in a table are never matched. */
        static const char *const holes[] = { [1] = "one", [3] = "three" };
        CHECK(string_table_lookup(holes, ELEMENTSOF(holes), "three") == 3);
        CHECK(string_table_lookup(holes, ELEMENTSOF(holes), "") == -EINVAL);
        CHECK(string_table_lookup(holes, ELEMENTSOF(holes), NULL) == -EINVAL);
}

int main(void) {
        test_list();
        test_string_table();
        return 0;
}
