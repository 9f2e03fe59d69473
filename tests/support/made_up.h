/* made_up.h - small made-up targets drawn from a seed: a few threads,
 * each a few operations on three shared variables, for tests that check a
 * search against another on many shapes of program (test_parts: the
 * split reduced search against one core; test_searches: the reduced
 * search against the unreduced one). */
#ifndef RACELAB_TEST_MADE_UP_H
#define RACELAB_TEST_MADE_UP_H

#include <stdint.h>

#include "racelab/explore.h"

#define RL_MADE_UP_THREADS 4
#define RL_MADE_UP_OPS 4

/* What a made-up thread does, one operation at a time. */
enum {
    RL_MADE_UP_LOAD,  /* remember the value */
    RL_MADE_UP_STORE, /* store a value of its own */
    RL_MADE_UP_ADD,   /* add to it, remember the old value (one step) */
    RL_MADE_UP_GUARD, /* under a mutex: load, then store one more (three steps) */
    RL_MADE_UP_TRY,   /* try the mutex, remember whether it was busy, let it go */
    RL_MADE_UP_PASS   /* take the mutex and let it go, nothing in between */
};

typedef struct {
    unsigned nthreads, nops;
    struct {
        uint8_t kind, var;
    } op[RL_MADE_UP_THREADS][RL_MADE_UP_OPS];
} rl_made_up;

/* Seed's target: loads and stores only (rich false: 3 or 4 threads of 2
 * or 3 operations), or every kind (rich: 3 threads of 2, or 2 of 3). */
rl_made_up rl_made_up_from(uint32_t seed, bool rich);

/* As rich, with try-locks and empty critical sections among the kinds
 * (their own draws: the same seed is another target). */
rl_made_up rl_made_up_locking(uint32_t seed);

/* A target running *m (which must outlive it). Its final state: what each
 * thread remembered, then the variables. It always holds. */
void rl_made_up_target(rl_target *t, const rl_made_up *m);

#endif
