/* rng.h - splitmix64: a small, seedable, reproducible generator. Internal. */
#ifndef RACELAB_UTIL_RNG_H
#define RACELAB_UTIL_RNG_H

#include <stdint.h>

static inline uint64_t rl__rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound); bound > 0. Lemire's multiply-shift, with the
 * negligible bias of skipping the rejection step. */
static inline uint64_t rl__rng_below(uint64_t *state, uint64_t bound) {
    return (uint64_t)(((unsigned __int128)rl__rng_next(state) * bound) >> 64);
}

#endif
