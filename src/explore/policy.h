/* policy.h - how a schedule decides, in plain data, shared by the
 * explorer's searches (in racelab) and by the interposer that runs a
 * user's program (src/explore/preload.c, inside that program). Internal.
 *
 * A schedule is a sequence of decisions: at step i, which of the runnable
 * threads goes. Every search states its schedules as a policy the
 * interposer can follow on its own, with no call back per step:
 *   - a prefix of choices, then the default order (bounded search);
 *   - deviations from the default order (replay, minimization);
 *   - PCT: random priorities with change points.
 * Depends on nothing but <stdint.h> and rng.h, so both sides compile it. */
#ifndef RACELAB_EXPLORE_POLICY_H
#define RACELAB_EXPLORE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../util/rng.h"

#define RL_EX_MAX_THREADS 64

/* The three kinds of plan. */
enum { RL_PLAN_NONE = 0, RL_PLAN_PREFIX = 1, RL_PLAN_DEVIATIONS = 2, RL_PLAN_PCT = 3 };

/* One decision of a schedule. */
typedef struct rl__decision {
    uint64_t enabled; /* runnable threads, a bit per thread */
    int8_t current;   /* the thread that made the previous step, -1 if it cannot go on */
    uint8_t chosen;
} rl__decision;

/* A choice that differs from the default order. */
typedef struct rl__deviation {
    uint32_t step; /* 0-based */
    uint8_t thread;
} rl__deviation;

/* The default order: the running thread goes on while it can, else the
 * lowest-numbered runnable thread. */
static inline unsigned rl__default_choice(uint64_t enabled, int current) {
    if (current >= 0 && (enabled >> current & 1u))
        return (unsigned)current;
    return (unsigned)__builtin_ctzll(enabled);
}

/* PCT (Burckhardt et al., ASPLOS 2010): random thread priorities, the
 * highest runnable goes; at d - 1 chosen steps the running thread drops
 * below all others. The state is plain data: set rng, depth and the
 * sorted change points, zero the rest. */
#define RL_PCT_MAX_CHANGES 64
typedef struct rl__pct {
    uint64_t rng;
    uint64_t prio[RL_EX_MAX_THREADS];
    uint64_t known; /* threads with a priority */
    uint64_t change[RL_PCT_MAX_CHANGES];
    uint32_t nchange, next_change;
    uint32_t depth;
} rl__pct;

static inline unsigned rl__pct_choose(rl__pct *p, size_t step, uint64_t enabled, int current) {
    for (uint64_t fresh = enabled & ~p->known; fresh; fresh &= fresh - 1) {
        unsigned t = (unsigned)__builtin_ctzll(fresh);
        /* initial priorities are above every change-point priority */
        p->prio[t] = p->depth + 1 + (rl__rng_next(&p->rng) >> 8);
        p->known |= 1ull << t;
    }
    while (p->next_change < p->nchange && p->change[p->next_change] == step) {
        if (current >= 0)
            p->prio[current] = p->depth - 1 - p->next_change; /* below all initial ones */
        p->next_change++;
    }
    unsigned best = (unsigned)__builtin_ctzll(enabled);
    for (uint64_t e = enabled; e; e &= e - 1) {
        unsigned t = (unsigned)__builtin_ctzll(e);
        if (p->prio[t] > p->prio[best])
            best = t;
    }
    return best;
}

#endif
