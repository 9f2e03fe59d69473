/* decision.h - a schedule as plain data: what was decided at each step,
 * and a choice that differs from the default order. Internal.
 *
 * Both sides of the explorer build these: the in-process scheduler and
 * racelab's search (in libracelab), and the interposer inside a user's
 * program (src/explore/program/preload.c, which writes decisions into shared
 * memory), so this header depends on nothing but <stdint.h>. */
#ifndef RACELAB_EXPLORE_DECISION_H
#define RACELAB_EXPLORE_DECISION_H

#include <stdint.h>

/* One decision of a schedule. */
typedef struct rl__decision {
    uint64_t enabled; /* runnable threads, a bit per thread */
    uint64_t lazy;    /* of those, the ones that go only by timing out (a timed
                         wait nobody ended yet): never the default choice */
    int8_t current;   /* the thread that made the previous step, -1 if it cannot go on
                         (or can only time out) */
    uint8_t chosen;
} rl__decision;

/* A choice that differs from the default order. */
typedef struct rl__deviation {
    uint32_t step; /* 0-based */
    uint8_t thread;
} rl__deviation;

#endif
