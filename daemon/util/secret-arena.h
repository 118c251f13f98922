/* SPDX-License-Identifier: MIT */
#pragma once

/* Small secrets share slabs of secret memory instead of taking one
 * sodium_malloc() region each. A region costs two resident pages, four
 * memory mappings and two locked pages whatever its size, so a session's
 * eleven short strings cost 88 KiB, and vm.max_map_count (65530) ran out
 * near 1,450 sessions (docs/PERFORMANCE.md). A slab is one sodium_malloc()
 * region of SECRET_SLAB_SIZE bytes (guard pages at both ends, mlocked where
 * the limit allows, out of core dumps), cut into slots of one size class
 * (32 ... SECRET_ARENA_MAX bytes, powers of two). Slots are wiped when
 * released and handed out zeroed. What is given up: no guard page between
 * two slots of a slab; under AddressSanitizer every byte outside a live
 * allocation is poisoned, so the tests still catch an overrun.
 *
 * Only secret.c uses this; everyone else calls secret_alloc()/secret_free().
 * The daemon has one thread: no locks. */

#include <stdbool.h>
#include <stddef.h>

#define SECRET_SLAB_SIZE (64U * 1024U)
#define SECRET_ARENA_MAX 2048U

/* n bytes (1 ... SECRET_ARENA_MAX), zeroed; NULL if n is out of range or
 * memory is short. */
void *secret_arena_alloc(size_t n);
/* If p is a slot of a slab: wipes it, makes it free, returns true. */
bool secret_arena_release(void *p);
/* Unmaps every slab with no slot in use. */
void secret_arena_trim(void);
/* Slabs mapped now, and slots in use in them. */
size_t secret_arena_slabs(void);
size_t secret_arena_used(void);
