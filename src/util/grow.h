/* grow.h - the one way racelab grows an array. Internal. */
#ifndef RACELAB_UTIL_GROW_H
#define RACELAB_UTIL_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Room for more elements of elem bytes in p (*cap of them now): doubles
 * the capacity (first when there is none) and returns the new block, with
 * *cap updated; NULL without memory (or when the size would overflow),
 * p and *cap untouched. */
static inline void *rl__grow(void *p, size_t *cap, size_t elem, size_t first) {
    size_t want = *cap ? 2 * *cap : first;
    if (want < *cap || want > SIZE_MAX / elem)
        return NULL;
    void *bigger = realloc(p, want * elem);
    if (bigger)
        *cap = want;
    return bigger;
}

#endif
