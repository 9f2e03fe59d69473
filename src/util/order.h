/* order.h - the one comparison racelab sorts 64-bit counts and times by
 * (qsort's). Internal. */
#ifndef RACELAB_UTIL_ORDER_H
#define RACELAB_UTIL_ORDER_H

#include <stdint.h>

static inline int rl__cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

#endif
