/* policy.h - how a schedule decides, in plain data, shared by the
 * explorer's searches (in racelab) and by the interposer that runs a
 * user's program (src/explore/program/preload.c, inside that program). Internal.
 *
 * A schedule is a sequence of decisions: at step i, which of the runnable
 * threads goes. Every search states its schedules as a policy the
 * interposer can follow on its own, with no call back per step:
 *   - a prefix of choices, then the default order (bounded search);
 *   - deviations from the default order (replay, minimization);
 *   - PCT: random priorities with change points.
 * Depends on nothing but <stdint.h>, rng.h and decision.h (plain types),
 * so both sides compile it. */
#ifndef RACELAB_EXPLORE_POLICY_H
#define RACELAB_EXPLORE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../../util/rng.h"
#include "decision.h"

#define RL_EX_MAX_THREADS 64

/* The three kinds of plan. */
enum {
    RL_PLAN_NONE = 0,
    RL_PLAN_PREFIX = 1,
    RL_PLAN_DEVIATIONS = 2,
    RL_PLAN_PCT = 3,
    RL_PLAN_DELAYS = 4
};

/* rl__decision and rl__deviation: decision.h */

/* The threads the default order and the sampling searches pick from: the
 * runnable ones that need no time-out, while there are any. */
static inline uint64_t rl__eager(uint64_t enabled, uint64_t lazy) {
    return enabled & ~lazy ? enabled & ~lazy : enabled;
}

/* The default order: the running thread goes on while it can, else the
 * lowest-numbered runnable thread; a timed wait times out by default only
 * when nothing else can run. */
static inline unsigned rl__default_choice(uint64_t enabled, uint64_t lazy, int current) {
    uint64_t eager = rl__eager(enabled, lazy);
    if (current >= 0 && (eager >> current & 1u))
        return (unsigned)current;
    return (unsigned)__builtin_ctzll(eager);
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

static inline unsigned rl__pct_highest(const rl__pct *p, uint64_t enabled) {
    unsigned best = (unsigned)__builtin_ctzll(enabled);
    for (uint64_t e = enabled; e; e &= e - 1) {
        unsigned t = (unsigned)__builtin_ctzll(e);
        if (p->prio[t] > p->prio[best])
            best = t;
    }
    return best;
}

static inline unsigned rl__pct_choose(rl__pct *p, size_t step, uint64_t enabled, int current) {
    (void)current;
    for (uint64_t fresh = enabled & ~p->known; fresh; fresh &= fresh - 1) {
        unsigned t = (unsigned)__builtin_ctzll(fresh);
        /* independent uniform draws: the order of the threads' priorities
         * is a uniform random permutation; every initial priority is
         * above every change-point priority */
        p->prio[t] = p->depth + 1 + (rl__rng_next(&p->rng) >> 8);
        p->known |= 1ull << t;
    }
    unsigned best = rl__pct_highest(p, enabled);
    /* the i-th change point: the thread that would make this step drops
     * to priority d - i, below every other thread's */
    while (p->next_change < p->nchange && p->change[p->next_change] == step) {
        p->prio[best] = p->depth - 1 - p->next_change;
        p->next_change++;
        best = rl__pct_highest(p, enabled);
    }
    return best;
}

/* Delay bounding (Emmi, Qadeer and Rakamaric, POPL 2011): a deterministic
 * round-robin scheduler (the running thread goes on while it can, then the
 * next runnable thread after it in index order, wrapping around), and a
 * few delays: at a delay the thread the scheduler would run is skipped for
 * the next runnable one after it. Plain data: set n and at[], zero the
 * rest, last = -1. */
#define RL_DELAYS_MAX 32
typedef struct rl__delays {
    uint32_t n, next;
    int32_t last; /* the thread that made the previous step */
    struct {
        uint32_t step; /* 0-based */
        uint32_t skips;
    } at[RL_DELAYS_MAX];
} rl__delays;

/* The first runnable thread after `after`, wrapping around. */
static inline unsigned rl__rr_after(uint64_t enabled, unsigned after) {
    uint64_t later = after >= 63 ? 0 : enabled & (~0ull << (after + 1));
    return (unsigned)__builtin_ctzll(later ? later : enabled);
}

/* The round-robin choice with no delay. */
static inline unsigned rl__rr_choice(int last, uint64_t enabled, int current) {
    if (current >= 0 && (enabled >> current & 1u))
        return (unsigned)current;
    return last < 0 ? (unsigned)__builtin_ctzll(enabled) : rl__rr_after(enabled, (unsigned)last);
}

static inline unsigned rl__delays_choose(rl__delays *d, size_t step, uint64_t enabled,
                                         int current) {
    unsigned ch = rl__rr_choice(d->last, enabled, current);
    while (d->next < d->n && d->at[d->next].step == step) {
        for (uint32_t k = 0; k < d->at[d->next].skips; k++)
            ch = rl__rr_after(enabled, ch);
        d->next++;
    }
    d->last = (int32_t)ch;
    return ch;
}

#endif
