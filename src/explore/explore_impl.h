/* explore_impl.h - the explorer's parts. Internal.
 *
 *   scheduler.c  the platform table: logical threads as fibers, one step
 *                per visible operation, a chooser deciding every step
 *   search.c     the choosers (bounded, PCT, delays, replay), minimization, results
 *   dpor.c       the unbounded search with partial-order reduction
 *   schedule.c   schedule strings
 *   targets.c    target names
 */
#ifndef RACELAB_EXPLORE_IMPL_H
#define RACELAB_EXPLORE_IMPL_H

#include <stdint.h>

#include "core/policy.h"
#include "search/footprint.h"
#include "search/run_hook.h"
#include "search/schedule.h"
#include "racelab/explore.h"
#include "racelab/histogram.h"
#include "racelab/platform.h"

/* The search's side of a schedule: called at every step with the runnable
 * threads (never 0) and the thread that could go on (-1 if none). Returns
 * a thread in `enabled`; any other answer (RL_EX_NO_FIT) marks the run as
 * not fitting (a replayed schedule that does not match the target), and
 * the run goes on in the default order so that it still ends cleanly. */
#define RL_EX_NO_FIT 255u
struct rl__run;
typedef struct rl__chooser {
    unsigned (*choose)(struct rl__chooser *c, size_t step, uint64_t enabled, uint64_t lazy,
                       int current);
    /* The same schedule as a plan a user's program can follow on its own
     * (proto.h's RL_PLAN_*), for program targets: a prefix of choices then
     * the default order, deviations from it, or PCT. */
    int plan;
    const uint8_t *prefix;
    size_t nprefix;
    const rl__deviation *deviations;
    size_t ndeviations;
    const rl__pct *pct;
    const rl__delays *delays;
    /* Partial-order reduction: record what every step touches (rl__run's
     * steps), readable while the run goes on through `live`, which the
     * scheduler sets before the first choice. */
    bool footprints;
    bool reduced;    /* and for partial-order reduction (a program's fairness: preload.c) */
    const struct rl__run *live;
    /* A program's schedule runs before the search sees it: its copy's
     * choice at the step being fed back through choose (program.c). */
    unsigned made;
    /* Optional, for a program's schedule fed back: steps step .. step +
     * n - 1 all decided as *d (a thread making memory accesses one after
     * another). Takes the first of them at once, as that many calls of
     * choose would, and returns how many (0: none, choose each). */
    size_t (*repeat)(struct rl__chooser *c, size_t step, size_t n, const rl__decision *d);
} rl__chooser;

/* What one schedule did. */
typedef struct rl__run {
    rl_failure_kind fail;
    char message[512];
    rl_err target_error; /* the target could not run at all */
    rl_outcome outcome;  /* valid when the target returned */
    bool no_fit;         /* the chooser asked for a thread that could not go */
    bool outside_last;   /* a program's wait on another process went on only when none
                            of its threads could (those orders only were explored) */
    bool weak_order;     /* a program's atomic or fence of an order weaker than seq_cst ran */
    bool spin_awaited;   /* a program's spin waited for a write to what it read */
    bool fair_yield;     /* a yield (a program's sleep or spin too) let others that could go move first */
    bool returned;       /* the target's run returned: outcome is valid */
    bool cut;            /* ended at the search's deadline before its end: it shows nothing */
    rl__decision *decisions; /* owned by the scheduler; valid until the next run */
    size_t nsteps;
    unsigned preemptions;
    rl__step *steps; /* with footprints on: what each step touched (owned by the scheduler) */
    /* with footprints on, valid during a choice: runnable threads that
     * would each take the same signal (which of them wakes is a choice
     * partial-order reduction branches on) */
    uint64_t contested;
    /* with footprints on, after a deadlock: what each blocked thread was
     * waiting to do (partial-order reduction looks for races with these
     * too: another order may let them go) */
    rl__step *pending;
    size_t npending;
    size_t fail_trace; /* with tracing on: trace lines up to the failure (0: the whole trace) */
    /* with tracing on: the trace (owned by the scheduler) */
    rl_trace_step *trace;
    size_t ntrace;
} rl__run;

/* A search under way (search.c), shared with the searches kept in files
 * of their own (dpor.c). */
typedef struct rl__search {
    const rl_target *t;
    const rl_explore_opts *o;
    rl_explore_result *res;
    bool stop;
    rl_err error;
    char *why;
    size_t why_len;
    rl_histogram states; /* the final states reached, for the result's table */
    rl__decision *fail_decisions; /* the first failure's schedule */
    size_t fail_n;
    uint64_t t0, next_progress; /* when it began; when the progress is next due */
    unsigned level;             /* bounded, delays: the level under way */
    /* a split search (o->split): the place of the run under way in the
     * whole search's order; silent: a run every part makes, counted by
     * another (a failure in it only ends the search) */
    uint32_t *pos;
    size_t npos, pos_cap;
    bool silent;
    /* a worker of the reduced search split, or of a bounded search that
     * takes whole items: its runs come in no order of the whole search's;
     * a failure before the one it holds replaces it, and a failure does
     * not stop it (the coordinator decides, or a run after a failure
     * known is skipped: skipped says one was) */
    bool any_order;
    bool skipped;
} rl__search;

/* Count one complete schedule: its final state, a failure (stopping the
 * search unless keep_going), the schedule cap; or stop on an error. */
void rl__search_account(rl__search *s, const rl__run *r);
/* Between schedules: stop at the time limit or an interruption, and call
 * the progress callback when it is due. rl__search_account calls it; a
 * search calls it for a run it does not account for. */
void rl__search_tick(rl__search *s);
/* Stop the search for why (the first reason given is kept). */
void rl__search_stop(rl__search *s, rl_explore_stop why);
/* Stop the search with an error. */
void rl__search_error(rl__search *s, rl_err e, const char *why);

/* For tests: rl__explore_run_hook and rl__explore_footprints
 * (run_hook.h) let a test tell schedules apart by their class. */

/* One schedule of t, in-process or in a copy of a user's program. */
void rl__run_one(const rl_target *t, rl__chooser *c, bool trace, rl__run *out);

/* The unbounded search with partial-order reduction (dpor.c): in-process
 * targets, and programs whose memory accesses are steps (racelab cc). */
void rl__dpor_search(rl__search *s);

/* A user's program (program.c): start it up to its first thread, run
 * one schedule per call (c's plan, fed back through c), free. */
struct rl__program;
typedef struct rl__program rl__program;
rl_err rl__program_start(char *const argv[], const rl_program_opts *o, rl__program **out,
                         char *why, size_t why_len);
void rl__program_run(rl__program *p, rl__chooser *c, bool trace, rl__run *out);
/* From now on a schedule run without a trace that is still going at
 * deadline_ns (the platform's now_ns clock; 0: never) is ended there and
 * comes back cut (rl__run.cut): the search's --time-limit holds inside a
 * long schedule. Traced runs (a counterexample's) always run to the end. */
void rl__program_deadline(rl__program *p, uint64_t deadline_ns);
/* Whether the program calls the memory hooks (built by racelab cc): known
 * once a schedule ran. */
bool rl__program_instrumented(const rl__program *p);
/* Where the program's fork server's memory lies (proto.h's layout): two
 * servers with one value name the same objects by the same addresses. */
uint64_t rl__program_layout(const rl__program *p);
/* Whether its data races were looked for (instrumented, not ignored), and
 * (*incomplete) whether some schedule could not check every access. */
bool rl__program_races_checked(const rl__program *p, bool *incomplete);
/* Whether its plain accesses are checked for races but are no steps. */
bool rl__program_plain_checked(const rl__program *p);
/* --races list: forget the races listed so far (a search begins). */
void rl__program_races_reset(rl__program *p);
/* The races listed since, handed over (*races malloc'ed, NULL when none);
 * true when races are listed. */
bool rl__program_races_take(rl__program *p, rl_race **races, size_t *n, bool *unlisted);
/* The data races the last schedule saw, added to the search's list (once
 * each, with the number of schedules each was seen in): called for a
 * schedule the search counts, before the next one runs (runs abandoned,
 * another part's, minimizing ones: not listed). false: no memory. */
bool rl__program_races_note(rl__program *p);
void rl__program_free(rl__program *p);
const char *rl__program_label(const rl__program *p);
/* What the last schedule printed (before its first thread included). */
const char *rl__program_output(const rl__program *p);

/* A thread's stack under the explorer, unless the options say: glibc's
 * default for a pthread. */
#define RL_EX_STACK_DEFAULT ((size_t)8 << 20)

/* Install the explorer's table (RL_EBUSY if one is running). */
rl_err rl__sched_open(uint64_t max_steps, size_t stack_size);
void rl__sched_close(void);
/* Run target once from its start, asking c at every step. */
void rl__sched_run(const rl_target *t, rl__chooser *c, bool trace, rl__run *out);

/* Schedule strings: schedule.h. */

#endif
