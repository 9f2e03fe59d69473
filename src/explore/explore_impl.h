/* explore_impl.h - the explorer's parts. Internal.
 *
 *   scheduler.c  the platform table: logical threads as fibers, one step
 *                per visible operation, a chooser deciding every step
 *   search.c     the choosers (bounded, PCT, replay), minimization, results
 *   schedule.c   schedule strings
 *   targets.c    target names
 */
#ifndef RACELAB_EXPLORE_IMPL_H
#define RACELAB_EXPLORE_IMPL_H

#include <stdint.h>

#include "racelab/explore.h"
#include "racelab/platform.h"

#define RL_EX_MAX_THREADS 64

/* One decision of a schedule. */
typedef struct rl__decision {
    uint64_t enabled; /* runnable threads, a bit per thread */
    int8_t current;   /* the thread that made the previous step, -1 if it cannot go on */
    uint8_t chosen;
} rl__decision;

/* The search's side of a schedule: called at every step with the runnable
 * threads (never 0) and the thread that could go on (-1 if none). Returns
 * a thread in `enabled`; any other answer (RL_EX_NO_FIT) marks the run as
 * not fitting (a replayed schedule that does not match the target), and
 * the run goes on in the default order so that it still ends cleanly. */
#define RL_EX_NO_FIT 255u
typedef struct rl__chooser {
    unsigned (*choose)(struct rl__chooser *c, size_t step, uint64_t enabled, int current);
} rl__chooser;

/* The default order: the running thread goes on while it can, else the
 * lowest-numbered runnable thread. */
static inline unsigned rl__default_choice(uint64_t enabled, int current) {
    if (current >= 0 && (enabled >> current & 1u))
        return (unsigned)current;
    return (unsigned)__builtin_ctzll(enabled);
}

/* What one schedule did. */
typedef struct rl__run {
    rl_failure_kind fail;
    char message[512];
    rl_err target_error; /* the target could not run at all */
    rl_outcome outcome;  /* valid when the target returned */
    bool no_fit;         /* the chooser asked for a thread that could not go */
    bool returned;       /* the target's run returned: outcome is valid */
    rl__decision *decisions; /* owned by the scheduler; valid until the next run */
    size_t nsteps;
    unsigned preemptions;
    /* with tracing on: the trace (owned by the scheduler) */
    rl_trace_step *trace;
    size_t ntrace;
} rl__run;

/* Install the explorer's table (RL_EBUSY if one is running). */
rl_err rl__sched_open(uint64_t max_steps);
void rl__sched_close(void);
/* Run target once from its start, asking c at every step. */
void rl__sched_run(const rl_target *t, rl__chooser *c, bool trace, rl__run *out);

/* Schedule strings. */
char *rl__schedule_encode(const rl__decision *d, size_t n, unsigned *deviations);
typedef struct rl__deviation {
    uint32_t step; /* 0-based */
    uint8_t thread;
} rl__deviation;
rl_err rl__schedule_parse(const char *s, rl__deviation **out, size_t *n, char *why,
                          size_t why_len);
size_t rl__schedule_deviations(const rl__decision *d, size_t n, rl__deviation *out);

#endif
