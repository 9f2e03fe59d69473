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

#include "policy.h"
#include "racelab/explore.h"
#include "racelab/platform.h"

/* The search's side of a schedule: called at every step with the runnable
 * threads (never 0) and the thread that could go on (-1 if none). Returns
 * a thread in `enabled`; any other answer (RL_EX_NO_FIT) marks the run as
 * not fitting (a replayed schedule that does not match the target), and
 * the run goes on in the default order so that it still ends cleanly. */
#define RL_EX_NO_FIT 255u
typedef struct rl__chooser {
    unsigned (*choose)(struct rl__chooser *c, size_t step, uint64_t enabled, int current);
    /* The same schedule as a plan a user's program can follow on its own
     * (proto.h's RL_PLAN_*), for program targets: a prefix of choices then
     * the default order, deviations from it, or PCT. */
    int plan;
    const uint8_t *prefix;
    size_t nprefix;
    const rl__deviation *deviations;
    size_t ndeviations;
    const rl__pct *pct;
} rl__chooser;


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

/* A user's program (program.c): start it up to its first thread, run
 * one schedule per call (c's plan, fed back through c), free. */
struct rl__program;
typedef struct rl__program rl__program;
rl_err rl__program_start(char *const argv[], const rl_program_opts *o, rl__program **out,
                         char *why, size_t why_len);
void rl__program_run(rl__program *p, rl__chooser *c, bool trace, rl__run *out);
void rl__program_free(rl__program *p);
const char *rl__program_label(const rl__program *p);
/* What the last schedule printed (before its first thread included). */
const char *rl__program_output(const rl__program *p);

/* Install the explorer's table (RL_EBUSY if one is running). */
rl_err rl__sched_open(uint64_t max_steps);
void rl__sched_close(void);
/* Run target once from its start, asking c at every step. */
void rl__sched_run(const rl_target *t, rl__chooser *c, bool trace, rl__run *out);

/* Schedule strings. */
char *rl__schedule_encode(const rl__decision *d, size_t n, unsigned *deviations);
rl_err rl__schedule_parse(const char *s, rl__deviation **out, size_t *n, char *why,
                          size_t why_len);
size_t rl__schedule_deviations(const rl__decision *d, size_t n, rl__deviation *out);

#endif
