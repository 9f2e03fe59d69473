/* racelab/histogram.h - layer 1: how often each final state was reached.
 *
 * Repeated runs (racelab bill --runs K, scenario run --runs K) and the
 * explorer's searches all end in a final state; the histogram counts the
 * distinct ones: each state's key (any bytes: a string, an array of
 * balances), how many runs reached it, and whether every one of them held.
 * Not thread-safe: one thread adds.
 *
 * Arguments: rl_histogram_add reports a NULL histogram (or a NULL key
 * with a length) as RL_EINVAL; init, sort and free accept NULL and do
 * nothing.
 */
#ifndef RACELAB_HISTOGRAM_H
#define RACELAB_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_histogram_entry {
    void *key; /* a copy of the key's bytes, owned by the histogram */
    size_t len;
    uint64_t count; /* runs that reached it */
    bool held;      /* every one of them held */
} rl_histogram_entry;

typedef struct rl_histogram {
    rl_histogram_entry *entries; /* in the order first seen, until rl_histogram_sort */
    size_t n, cap;
    uint64_t total; /* runs added */
} rl_histogram;

/* An empty histogram (no allocation until the first add). */
void rl_histogram_init(rl_histogram *h);
/* One run that reached the state key[0 .. len) and held or not. RL_ENOMEM
 * leaves the histogram as it was; RL_EINVAL for a NULL histogram, or a
 * NULL key with a length. */
rl_err rl_histogram_add(rl_histogram *h, const void *key, size_t len, bool held);
/* Most runs first; equal counts by key (bytes, then length). */
void rl_histogram_sort(rl_histogram *h);
/* Frees the entries and their keys; h is empty again. NULL is fine. */
void rl_histogram_free(rl_histogram *h);

#ifdef __cplusplus
}
#endif
#endif
