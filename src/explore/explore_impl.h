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
    const struct rl__run *live;
} rl__chooser;

/* What one step touched, for partial-order reduction. */
enum {
    RL_TOUCH_READ,    /* a read */
    RL_TOUCH_WRITE,   /* a write (a condition's signal and wait, a thread's end) */
    RL_TOUCH_ACQUIRE, /* a mutex taken by a blocking lock (or taken back after a wait) */
    RL_TOUCH_TRY,     /* a mutex tried (taken or not) */
    RL_TOUCH_RELEASE, /* a mutex released (unlock, or a wait's release) */
    RL_TOUCH_PASS,    /* a guarded mutex taken and released again within the step: what
                         its section did is in the step's declared touches */
    RL_TOUCH_NEEDED   /* a read the step could not have started without (it was not
                         runnable before the write it read: ordered, never a race) */
};
#define RL_EX_TOUCHES 12
#define RL_EX_LOCKSET 3
typedef struct rl__touch {
    uint64_t object;  /* stable from one run to the next: a hash of its kind and name */
    uintptr_t addr;   /* exact within one run: its address */
    uint64_t key;
    uint8_t kind;
    uint8_t nlocks;   /* mutexes its thread held then (up to RL_EX_LOCKSET of them) */
    uintptr_t locks[RL_EX_LOCKSET];
    uintptr_t pass;   /* made in a pass through this guarded mutex (not in locks), or 0 */
} rl__touch;
typedef struct rl__step {
    uint8_t thread;
    bool global;     /* dependent on every step (a yield, or too much touched) */
    uint8_t ntouch;
    uint32_t spawned_at; /* the first step of a thread: its spawner's step + 1 (0: none) */
    rl__touch touch[RL_EX_TOUCHES];
} rl__step;

/* Dependent: the order of the two touches can matter; within one run
 * (exact, by address) or across runs (by name: two objects of one name
 * count as one, which only adds dependence). Two passes through one
 * guarded mutex are not: each section took the mutex free and left it
 * free, and what each did to the guarded state is in its declared
 * touches (racelab/platform.h, rl_guarded_touch), which are compared on
 * their own. */
static inline bool rl__touch_reads(const rl__touch *t) {
    return t->kind == RL_TOUCH_READ || t->kind == RL_TOUCH_NEEDED;
}
static inline bool rl__touches_dependent(const rl__touch *a, const rl__touch *b, bool same_run) {
    return (same_run ? a->addr == b->addr : true) && a->object == b->object && a->key == b->key &&
           (!rl__touch_reads(a) || !rl__touch_reads(b)) &&
           (a->kind != RL_TOUCH_PASS || b->kind != RL_TOUCH_PASS);
}

/* In conflict (within one run): dependent, and the two could have gone the
 * other way round directly. Not a release and a blocking acquire of one
 * mutex (the acquire waits for the release), nor two releases, nor two
 * touches made under a common mutex: for those the race is between the
 * acquires of that mutex, as in DPOR for lock-based programs. Touches
 * made in passes through a guarded mutex are not under it: two passes
 * commute unless what they touched conflicts. */
static inline bool rl__touches_conflict(const rl__touch *a, const rl__touch *b) {
    if (!rl__touches_dependent(a, b, true))
        return false;
    bool ra = a->kind == RL_TOUCH_RELEASE, rb = b->kind == RL_TOUCH_RELEASE;
    if (ra && rb)
        return false;
    /* the acquire (or the pass) waits for the release */
    bool aa = a->kind == RL_TOUCH_ACQUIRE || a->kind == RL_TOUCH_PASS;
    bool ab = b->kind == RL_TOUCH_ACQUIRE || b->kind == RL_TOUCH_PASS;
    if ((ra && ab) || (rb && aa))
        return false;
    /* a step that needed a write comes after it */
    if (a->kind == RL_TOUCH_NEEDED || b->kind == RL_TOUCH_NEEDED)
        return false;
    for (unsigned i = 0; i < a->nlocks; i++)
        for (unsigned j = 0; j < b->nlocks; j++)
            if (a->locks[i] == b->locks[j])
                return false;
    /* made in a pass through a guarded mutex the other held across steps:
     * the race is between the pass and the other's acquire. Two passes
     * through one mutex race through what they touched. */
    for (unsigned i = 0; i < b->nlocks; i++)
        if (a->pass && a->pass == b->locks[i])
            return false;
    for (unsigned i = 0; i < a->nlocks; i++)
        if (b->pass && b->pass == a->locks[i])
            return false;
    return true;
}

/* mode 0: dependent across runs; 1: dependent within a run; 2: in conflict */
static inline bool rl__steps_relate(const rl__step *a, const rl__step *b, int mode) {
    if (a->global || b->global)
        return true;
    for (unsigned i = 0; i < a->ntouch; i++)
        for (unsigned j = 0; j < b->ntouch; j++)
            if (mode == 2 ? rl__touches_conflict(&a->touch[i], &b->touch[j])
                          : rl__touches_dependent(&a->touch[i], &b->touch[j], mode == 1))
                return true;
    return false;
}

/* What one schedule did. */
typedef struct rl__run {
    rl_failure_kind fail;
    char message[512];
    rl_err target_error; /* the target could not run at all */
    rl_outcome outcome;  /* valid when the target returned */
    bool no_fit;         /* the chooser asked for a thread that could not go */
    bool outside_last;   /* a program's wait on another process went on only when none
                            of its threads could (those orders only were explored) */
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

/* The unbounded search with partial-order reduction (dpor.c), in-process
 * targets only. */
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
/* Whether its data races were looked for (instrumented, not ignored), and
 * (*incomplete) whether some schedule could not check every access. */
bool rl__program_races_checked(const rl__program *p, bool *incomplete);
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
