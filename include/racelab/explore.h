/* racelab/explore.h - layer 6: the explorer. It takes control of the
 * schedule, runs a target under many interleavings, checks the target's
 * invariant after each, and reports the interleaving that breaks it so a
 * person can read it and replay it.
 *
 * How: the explorer installs its own platform table. Every logical thread
 * of the target runs as a fiber on the explorer's OS thread; exactly one
 * runs at a time, and at every visible operation (lock, unlock, try-lock,
 * condition wait, signal and broadcast, thread spawn and join, yield, and
 * every shared access such as a bank get or set) the explorer chooses which
 * runnable thread performs its next operation. Local code between two
 * visible operations runs without interruption; sleeps take no real time
 * (a virtual clock advances). A thread blocked on a lock, a condition or a
 * join is not runnable until what it waits for happens. The search is
 * stateless: each schedule re-runs the target from its start.
 *
 * A schedule is written as the choices that differ from the default order
 * (the running thread continues while it can; otherwise the lowest-numbered
 * runnable thread goes): "STEP:THREAD" pairs separated by commas, e.g.
 * "9:2" means "at step 9, thread 2 goes". "-" is the default schedule.
 * Threads are numbered in the order they are spawned, main being 0.
 *
 * A schedule that ends in a deadlock, a livelock or a fatal misuse is
 * abandoned where it stands: whatever its threads allocated stays
 * allocated. Every other schedule runs to its end.
 *
 * Concurrency contract: one exploration at a time per process (RL_EBUSY);
 * call from a thread that no racelab thread shares the platform with. The
 * target runs on fibers of the calling thread.
 *
 * Arguments (the policy of layer 6): a call that returns rl_err reports a
 * NULL or out-of-range argument as RL_EINVAL, saying why; free accepts
 * NULL and does nothing; a name or a query answers "?" or "" for what it
 * does not know (a program's output: "" for a target that is not one);
 * every other call given NULL is a programming error: fatal, naming the
 * call.
 */
#ifndef RACELAB_EXPLORE_H
#define RACELAB_EXPLORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "racelab/error.h"
#include "racelab/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most threads a target or a program may start under the explorer
 * (its own thread included); one more is an error of the exploration. */
#define RL_EXPLORE_MAX_THREADS 64

/* ---- targets ---------------------------------------------------------- */

/* What to explore: a scenario variant, any function that runs the code
 * under test once from scratch on the calling thread and judges it, or a
 * user's program (rl_program_target). */
typedef struct rl_target {
    char name[96]; /* "bill:racy", "overdraft:cas", ... */
    /* Run once; RL_OK with the verdict in out->held, or an error when the
     * run could not be done. */
    rl_err (*run)(const struct rl_target *t, rl_outcome *out);
    const rl_scenario *scenario; /* for scenario targets */
    size_t variant;
    rl_scenario_opts opts;
    void *ctx; /* for custom targets */
    struct rl__program *program; /* for program targets (rl_program_target) */
} rl_target;

/* A target of your own: run(t, out) runs the code under test once, from
 * scratch, on the calling thread (which the explorer makes thread 0): it
 * starts its threads with rl_thread_create, synchronizes them with the
 * platform's mutexes and conditions (racelab/platform.h), keeps what the
 * threads share in visible variables (racelab/var.h for integers,
 * racelab/shared.h for any type), checks as it goes with rl_check, joins
 * its threads, and judges the run with rl_outcome_verdict (forgetting the
 * verdict is an error, reported as such). ctx is handed to run through
 * t->ctx. See examples/custom_target.c. */
void rl_target_custom(rl_target *t, const char *name,
                      rl_err (*run)(const rl_target *t, rl_outcome *out), void *ctx);

/* Parse "SCENARIO:VARIANT" (the bill scenario's variants are the billing
 * strategies: "bill:racy") or one of the explorer's own targets
 * ("deadlock:opposite-order", "deadlock:same-order"). opts (may be NULL)
 * overrides the defaults; explorer defaults favour small cases: 2
 * merchants x 2 customers, 2 threads, 2 items. RL_ENOENT with a sentence
 * in why when the name is unknown. */
rl_err rl_target_parse(const char *spec, const rl_scenario_opts *opts, rl_target *out, char *why,
                       size_t why_len);

/* ---- a user's program ------------------------------------------------
 *
 * An ordinary dynamically linked program, built with `cc -pthread` and
 * nothing else, explored unmodified: racelab starts it with its
 * interposer preloaded (LD_PRELOAD=librlpreload.so), so that exactly one
 * of its threads runs at a time and every call to the threading library
 * is a scheduling point: thread create, join, detach and exit; mutex
 * lock, trylock, timedlock and unlock; read-write locks; spin locks;
 * condition wait, timed wait, signal and broadcast; semaphores; barriers;
 * pthread_once; sleep, usleep, nanosleep and sched_yield. Sleeps and timed
 * waits take no real time (a timed wait times out only when nothing else
 * can run). The program runs once up to its first thread creation, then
 * every schedule is a fork from there. Its standard input is /dev/null.
 *
 * A schedule fails when the program exits non-zero or aborts (a failed
 * assert: "invariant broken"), dies by another signal or misuses a lock
 * ("error"), deadlocks, or runs past max_steps or time_limit_ns
 * ("livelock"). Traces name each call's source line and each object's
 * variable where the debug information and the symbol table have them;
 * the state of a schedule is how it ended and the last line it printed.
 * More threads than RL_EXPLORE_MAX_THREADS (64) is an error of the
 * exploration (RL_ENOTSUP), not a failure of the program. */
typedef struct rl_program_opts {
    uint64_t time_limit_ns; /* per schedule, default 10 s */
    uint64_t max_steps;     /* per schedule, default 100,000 */
    const char *preload;    /* the interposer; NULL: found beside racelab */
    /* A debugger at a step (racelab explore --gdb): when stop_at_step > 0,
     * a schedule's process stops once that many decisions are made, the
     * last one's thread about to go; stopped(ctx, pid, lwp, thread) is
     * called with it stopped (attach, look, detach or kill): lwp is that
     * thread's kernel id, thread its name. Then it is ended. */
    uint64_t stop_at_step;
    /* Data races in a program built by racelab cc: by default a schedule
     * fails at its first race; races_listed looks for them and lists them
     * (rl_explore_result.races) without failing; races_ignored does not
     * look for them. */
    bool races_ignored;
    bool races_listed;
    /* A program built by racelab cc whose data races fail the schedule
     * (neither of the above): its plain loads and stores are checked for
     * races but are no steps, which is enough (see the README); with
     * every_access they are steps too, as with races listed or ignored. */
    bool every_access;
    void (*stopped)(void *ctx, long pid, long lwp, const char *thread);
    void *stopped_ctx;
} rl_program_opts;

/* Start argv[0] (found in PATH when it has no slash) with argv, up to its
 * first thread. RL_ENOENT when it is no executable file; RL_ESYS when it
 * cannot be started. Free with rl_target_free. */
rl_err rl_program_target(char *const argv[], const rl_program_opts *o, rl_target *out, char *why,
                         size_t why_len);
/* End what a target holds (a program's fork server); a no-op for others. */
void rl_target_free(rl_target *t);
/* What a program target printed in the schedule explored last (its
 * output before its first thread, then the schedule's); "" for others. */
const char *rl_target_output(const rl_target *t);

/* Every target name, one call per name, in a fixed order. */
void rl_target_list(void (*each)(void *ctx, const char *name, const char *summary, bool correct),
                    void *ctx);

/* ---- options and results ---------------------------------------------- */

typedef enum rl_search {
    RL_SEARCH_BOUNDED, /* every schedule with at most `preemptions` preemptions,
                          searched 0, 1, 2, ... so a failure has the fewest;
                          with RL_PREEMPTIONS_ALL every schedule, reduced by
                          dynamic partial-order reduction (see `reduce`) */
    RL_SEARCH_PCT,     /* seeded random priorities with `depth - 1` change points */
    RL_SEARCH_REPLAY,  /* one schedule, given as a string */
    RL_SEARCH_DELAYS   /* a round-robin scheduler and at most `delays` delays
                          from it, searched 0, 1, 2, ...: for many threads */
} rl_search;

/* No preemption bound: every schedule (a proof for this case when the
 * search ends). */
#define RL_PREEMPTIONS_ALL UINT32_MAX

/* Where a search stands, for a progress line (rl_explore_opts.progress). */
typedef struct rl_explore_progress {
    uint64_t schedules; /* complete schedules run */
    uint64_t redundant; /* reduced: runs abandoned as equivalent to one explored */
    uint64_t failing;   /* schedules that failed so far */
    uint64_t elapsed_ns;
    unsigned level;     /* bounded, delays: the number of preemptions (delays) under way */
} rl_explore_progress;

/* A part of a search (rl_explore_opts.split): the bounded and the delay
 * bounding searches run every schedule with no preemption (delay) in
 * every part, counting them in part 0 only, and split the rest by the work
 * items the first level leaves (each item's schedules, at every level
 * below it, are its owner's). A part runs its schedules in the order the
 * whole search would (unless it takes whole items), so its first failure
 * is the first of its schedules; the failure the whole search reports is
 * the one with the least rl_explore_result.order. PCT shares out its
 * iterations; the reduced search is split as `part` says, or run as
 * tasks (task_back). */
typedef struct rl_explore_split {
    /* Whether this part takes the first level's item `index` (asked for
     * 0, 1, 2, ... in turn, once each). */
    bool (*owns)(void *ctx, uint64_t index);
    /* May be NULL: whether a failure before `order` (rl_order_cmp) is
     * known to another part; the search then stops (nothing it has left
     * comes earlier). */
    bool (*beaten)(void *ctx, const uint32_t *order, size_t n);
    /* May be NULL: called at once when this part's first failure is found
     * (before it is minimized, which a beaten failure is not). */
    void (*found)(void *ctx, const uint32_t *order, size_t n);
    /* May be NULL: asked before each schedule this part would count;
     * false: the parts together have counted max_schedules, and this one
     * stops (the schedule not counted), as a whole search stops there. */
    bool (*count)(void *ctx);
    void *ctx;
    bool first_part; /* it counts the schedules every part runs */
    /* The bounded search: each level-1 item this part takes is run to
     * the bound, every level of it, before the next item is asked for
     * (owns), so that parts that ask as they go idle share out all of the
     * work, not the first runs only. The part's runs then come out of the
     * whole search's order: it keeps the failure with the least order,
     * and skips a run that comes after a failure known (beaten). */
    bool whole_items;
    /* The reduced search (every preemption, with reduction) is not split
     * by items but run as tasks a coordinator hands out
     * (rl_explore_coord): with these set, it is a worker. task_back sends
     * a message to the coordinator (false: it could not), task_next waits
     * for the coordinator's next message (a task, or the end), kept by
     * the callee until the next call (false: none came). */
    bool (*task_back)(void *ctx, const void *msg, size_t len);
    bool (*task_next)(void *ctx, const void **msg, size_t *len);
    /* Part `part` (1-based) of `parts`, for the JSON
     * (rl_explore_write_json); 0: not said (the workers of -j). The
     * reduced search's part is this too: without task_back, a part runs
     * on its own, with the upper nodes of its tree full (every thread
     * that can go explored) and the subtrees below them its own by a hash
     * of their choices; the parts together run the schedules of part 1
     * of 1, each in one part, as many as the whole search runs (one per
     * class). With task_back as well, its workers share out that part. */
    unsigned part, parts;
} rl_explore_split;

/* Two positions in a search's order (rl_explore_result.order): <0, 0, >0. */
int rl_order_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

/* Why a search ended before it ran out of schedules to run. */
typedef enum rl_explore_stop {
    RL_STOP_NONE,      /* it ran out of schedules, or stopped at a failure */
    RL_STOP_SCHEDULES, /* max_schedules */
    RL_STOP_TIME,      /* time_limit_ns */
    RL_STOP_INTERRUPT  /* *interrupted became non-zero (Ctrl-C) */
} rl_explore_stop;

typedef struct rl_explore_opts {
    rl_search search;
    unsigned preemptions;   /* bounded: the bound (default 2), or RL_PREEMPTIONS_ALL */
    bool reduce;            /* RL_PREEMPTIONS_ALL: one schedule per class of schedules that
                               differ only in the order of independent steps (source-set
                               DPOR with sleep sets, Abdulla et al., POPL 2014); default on.
                               A bounded search is never reduced: sleep sets are unsound
                               together with a preemption bound. A program target is
                               reduced only when built by racelab cc (its memory accesses
                               are steps, and each step's footprint is reported). */
    unsigned delays;        /* delays: the bound (default 1) */
    unsigned depth;         /* pct: bug depth d (default 3) */
    uint64_t seed;          /* pct: the seed */
    uint64_t iterations;    /* pct: schedules to run (default 1000) */
    const char *replay;     /* replay: the schedule string */
    uint64_t max_schedules; /* stop after this many (default 1,000,000) */
    uint64_t max_steps;     /* a schedule longer than this fails as a livelock (default 100,000) */
    bool keep_going;        /* do not stop at the first failure; count every reachable state */
    bool minimize;          /* shrink the first failure */
    bool record;            /* replay: keep the trace in `first` even without a failure */
    size_t stack_size;      /* in-process targets: each thread's stack (default 8 MiB); a
                               thread that overflows it fails the schedule, named */
    uint64_t time_limit_ns; /* stop cleanly once the search has run this long (0: no limit);
                               checked between schedules */
    const volatile sig_atomic_t *interrupted; /* may be NULL: stop cleanly, between schedules,
                                                 once it is non-zero (set by a SIGINT handler);
                                                 the schedule under way is not counted */
    /* May be NULL: called between schedules, at most every 200 ms. */
    void (*progress)(void *ctx, const rl_explore_progress *p);
    void *progress_ctx;
    /* May be NULL: run one part of the search only; see
     * rl_explore_split. */
    const rl_explore_split *split;
} rl_explore_opts;

/* Bounded search, bound 2, minimizing, stopping at the first failure. */
rl_explore_opts rl_explore_opts_default(void);

typedef enum rl_failure_kind {
    RL_FAIL_NONE,
    RL_FAIL_INVARIANT, /* the target's invariant did not hold */
    RL_FAIL_DEADLOCK,  /* no thread can run, yet some have not finished */
    RL_FAIL_ERROR,     /* the target reported an error (RL_NOTE_ERROR) or a fatal misuse */
    RL_FAIL_LIVELOCK,  /* the schedule did not end within max_steps */
    RL_FAIL_RACE       /* a data race: two accesses, one a write, not ordered (a program
                          built by racelab cc) */
} rl_failure_kind;

const char *rl_failure_kind_name(rl_failure_kind k);

/* Marks on a trace line. */
enum {
    RL_MARK_LOST = 1u << 0,    /* a write over a value its writer never read */
    RL_MARK_ERROR = 1u << 1,   /* the target reported an error here */
    RL_MARK_PREEMPT = 1u << 2, /* a thread that could go on was switched out before this step */
    RL_MARK_BLOCKED = 1u << 3, /* deadlock: where this thread is stuck */
    RL_MARK_REFUSED = 1u << 4, /* an access that changed nothing (a failed compare-and-set) */
    RL_MARK_RACE = 1u << 5     /* one of the two accesses of a data race */
};

typedef struct rl_trace_step {
    unsigned index;     /* 1-based */
    unsigned thread;    /* 0 is main */
    char thread_name[32];
    char op[16];        /* lock, unlock, trylock, wait, wake, signal, spawn, join, get, set, ... */
    char object[48];
    bool has_value;
    int64_t value;      /* read or written; trylock: 1 taken, 0 busy */
    unsigned marks;
    unsigned overwrote; /* a lost update: the step whose write it replaced (0: unknown) */
    char note[160];     /* what the target said during this step */
    char where[96];     /* programs: the call's source line ("bank.c:42 in bill"), or "" */
} rl_trace_step;

typedef struct rl_counterexample {
    rl_failure_kind kind;
    char message[512];  /* the broken invariant, the deadlock, or the error */
    char *schedule;     /* the schedule string (heap) */
    unsigned preemptions;
    unsigned deviations; /* choices that differ from the default order */
    size_t nsteps;
    rl_trace_step *steps; /* heap, nsteps long */
    rl_outcome outcome;   /* what the target ended with (when it ended); for a
                             program, story is the end of what it printed */
    bool program;         /* it comes from a program target */
} rl_counterexample;

typedef struct rl_state_count {
    char state[RL_OUTCOME_STATE_MAX];
    bool held;
    uint64_t schedules;
} rl_state_count;

/* One data race seen and listed, not failing its schedule. */
typedef struct rl_race {
    char variable[64]; /* the address's name ("counter", "heap 0x...") */
    char first[200];   /* the earlier access: "T1 add_one's load at counter_race.c:15 in add_one" */
    char second[200];  /* the later access */
    uint64_t schedules; /* runs it was seen in */
} rl_race;

typedef struct rl_explore_result {
    rl_search search;
    uint64_t schedules;   /* complete schedules run while searching */
    unsigned bound;       /* bounded: the bound */
    bool exhaustive;      /* bounded, delays: every schedule within the bound was run */
    bool complete;        /* and none was left out by the bound: every schedule of
                             the target, a proof for this case */
    uint64_t pruned;      /* preemptions (delays) the bound did not allow */
    bool reduced;         /* partial-order reduction was on: `schedules` counts one
                             schedule per class */
    uint64_t redundant;   /* reduced: runs abandoned as equivalent to one explored
                             (sleep-set blocked), not counted in `schedules` */
    uint64_t failing;     /* schedules that failed (all of them with keep_going) */
    rl_explore_stop stopped; /* a limit or an interruption ended it: not exhaustive */
    uint64_t longest;     /* most steps in one schedule */
    bool failed;
    rl_counterexample first;     /* the first failure found */
    rl_counterexample minimized; /* its minimized form (opts.minimize) */
    size_t nstates;
    rl_state_count *states; /* reachable final states, most schedules first */
    uint64_t elapsed_ns;    /* searching only */
    uint64_t minimize_ns;
    /* The processes that ran the search: 0 or 1, the caller's; with -j,
     * its workers (merged parts: their workers added up). */
    unsigned workers;
    /* Minimization was cut short (the time limit, which bounds it too, or
     * Ctrl-C): `minimized` still fails, but may not be the shortest. */
    bool minimize_stopped;
    /* A program waited on the outside world (a child process, a socket's
     * peer): such a wait went on only when none of its threads could, so
     * orders in which it returns earlier were not explored. */
    bool outside_last;
    /* A program built by racelab cc ran atomics (or fences) of memory
     * orders weaker than sequentially consistent: relaxed, acquire,
     * release. They were explored as sequentially consistent, one at a
     * time in some interleaving; the reorderings those orders allow (a
     * store buffered past a later load, and the like) were not tried. */
    bool weak_orders;
    /* A program built by racelab cc spun: it read again what it had read
     * since its last write, with nothing changed. Such a thread was taken
     * to wait until another thread wrote one of those words (or until no
     * other thread could go): schedules in which it turns its loop again
     * and again, finding the same values, were not run. */
    bool spin_waits;
    /* A thread yielded (a program's: yielded, slept or spun on) while
     * others could run (fairness, as CHESS's): it went again only after
     * each of them had moved, so schedules in which it went on before
     * them were not run. */
    bool fair_yields;
    /* A reduced search of a program in which that happened: a thread
     * looping on memory accesses, yields and failed tries was held back. The
     * reduction's classes of schedules may then miss some, so it is
     * neither complete nor exhaustive (a bounded search proves within
     * its bound). */
    bool fair_held;
    /* A program target: its scheduling points are its synchronization
     * calls only, so "complete" covers their interleavings, not those of
     * plain memory accesses between them. */
    bool program;
    /* A program built by racelab cc: its memory accesses and atomic
     * operations were steps too, except each thread's own accesses to its
     * own stack. */
    bool memory_scheduled;
    /* Of those, plain loads and stores were checked for data races but
     * were not steps (a schedule failing at its first race needs no more:
     * up to it, the order of synchronization decides what each plain load
     * reads); a load repeated as a spin's turn was a step. */
    bool plain_checked;
    /* Its data races were looked for (not --races ignore); incomplete:
     * some accesses could not be checked (more addresses or objects than
     * the detector's tables hold, or a thread slot reused by a thread its
     * old occupant does not happen before), so races may have been missed. */
    bool races_checked, races_incomplete;
    /* With races listed (rl_program_opts.races_listed): every data race
     * seen, in the order first seen, told apart by variable and the two
     * places; unlisted: a schedule made more than could be listed. */
    bool races_listed, races_unlisted;
    rl_race *races;
    size_t nraces;
    /* A split search (opts.split): where its first failure comes in the
     * whole search's order (heap; rl_order_cmp compares two). */
    uint32_t *order;
    size_t norder;
} rl_explore_result;

/* Explore t. RL_OK whether or not a failure was found (see out->failed);
 * an error when the exploration itself could not run (bad options, a
 * schedule string that does not parse or does not fit the target, a target
 * that cannot be set up); why says which. Free out with
 * rl_explore_result_free. */
rl_err rl_explore(const rl_target *t, const rl_explore_opts *o, rl_explore_result *out, char *why,
                  size_t why_len);
void rl_explore_result_free(rl_explore_result *r);

/* What a result shows, as --json says it: "failure_found",
 * "proved_complete" (every schedule), "proved_within_bound" (every
 * schedule within the preemption or delay bound), "not_exhaustive" (a
 * limit, an interruption or random sampling ended it),
 * "no_failure_in_schedule" (a replay). */
const char *rl_explore_verdict(const rl_explore_result *r);
/* What r's verdict covers, in words, into out (cap bytes; 640 hold it all): for a program,
 * what was scheduled and what was not seen ("synchronization calls; plain
 * memory not scheduled", ...), as the verdict line and --json's
 * "coverage" say it; for racelab's own targets, all of their steps. */
void rl_explore_coverage(const rl_explore_result *r, char *out, size_t cap);

/* ---- reading a result, as `racelab explore` prints it ----------------
 * colour: ANSI colours (for a terminal). replay_cmd (may be NULL): the
 * command a reader runs to replay: "--replay SCHEDULE" goes where it says
 * {schedule}, else at its end. */

/* The command that replays schedule, into out (cap bytes): replay_cmd
 * (such as "racelab explore bill:racy") with "--replay SCHEDULE" where it
 * says "{schedule}", else at its end. */
void rl_explore_replay_command(const char *replay_cmd, const char *schedule, char *out,
                               size_t cap);
/* One line per operation of c: step, thread, operation, object, value,
 * and for programs the source line of the call. */
void rl_explore_print_trace(FILE *f, const rl_counterexample *c, bool colour);
/* A counterexample: its kind, schedule, replay command, trace, message,
 * final state and what the target said (a program: what it printed). */
void rl_explore_print_counterexample(FILE *f, const char *title, const rl_counterexample *c,
                                     const char *replay_cmd, bool colour);
/* The whole result: the search, its figures, the failure and its
 * minimized form, or the verdict and the reachable final states. */
void rl_explore_print(FILE *f, const char *name, const rl_explore_opts *o,
                      const rl_explore_result *r, const char *replay_cmd, bool colour);
/* The same as one JSON object. */
void rl_explore_write_json(FILE *f, const char *name, const rl_explore_opts *o,
                           const rl_explore_result *r);

/* A result read back from what rl_explore_write_json wrote (text[0 ..
 * len)): the target's name (into name), the options that shape the
 * report (search, bounds, reduction, keep going) and the result; a part's
 * index and count (0 when the result is no part) into *part and *parts.
 * RL_EINVAL with why said when the text is not such a result. Free r with
 * rl_explore_result_free. */
rl_err rl_explore_read_json(const char *text, size_t len, char *name, size_t name_len,
                            rl_explore_opts *o, rl_explore_result *r, unsigned *part,
                            unsigned *parts, char *why, size_t why_len);

/* The parts of one split search (rl_explore_split) into the whole
 * search's result: schedules, states, pruned preemptions and races added
 * up; exhaustive and complete only if every part is; the failure the part
 * with the least failure_order found (the whole search's first), moved
 * out of that part; the longest part's time. The parts are left empty
 * (freed). */
rl_err rl_explore_merge(rl_explore_result *parts, size_t n, rl_explore_result *out);

/* ---- the reduced search on several workers ----
 * One coordinator keeps the reduced search's tree and hands out tasks,
 * each a subtree to run (or part of one); workers (rl_explore with split->task_back and
 * split->task_next carrying the messages) run them, each counting its
 * own schedules; their results merge as a split search's do. The
 * coordinator takes the workers' findings in the order the search on one
 * core makes them, so the schedules run are that search's, whatever the
 * number of workers or the timing. Messages go both ways as opaque bytes,
 * between processes of one build of racelab. */
typedef struct rl_explore_coord rl_explore_coord;
/* NULL without memory. keep_going: a failure does not end the search. */
rl_explore_coord *rl_explore_coord_new(bool keep_going);
void rl_explore_coord_free(rl_explore_coord *c);
/* A message from a worker (its first, or a task's result); *waits: the
 * worker now waits for its next message (not after it stopped).
 * RL_EINVAL: not such a message; RL_ENOMEM; RL_ENOTSUP: the worker's
 * program was laid out in memory otherwise than another worker's (its
 * steps, which name memory by address, cannot be compared with theirs). */
rl_err rl_explore_coord_back(rl_explore_coord *c, const void *msg, size_t len, bool *waits);
/* The message for a worker waiting for its next one, valid until the next
 * call: 1, a task (its id into *id); 2, the end (the search is over: no
 * task is left to run and none is out); 0, none yet (wait for the others'
 * results); -1, no memory. */
int rl_explore_coord_next(rl_explore_coord *c, const void **msg, size_t *len, uint64_t *id);
/* How much a task may run when the others have work too: up to `runs`
 * schedules of its subtree (at least 1), and no longer than `us`
 * microseconds (0: no limit). By default 256 and 2000. The result does
 * not depend on it, only how often workers and the coordinator talk. */
void rl_explore_coord_budget(rl_explore_coord *c, unsigned runs, unsigned us);
/* Stop handing out tasks (Ctrl-C): the end comes once none is out. */
void rl_explore_coord_stop(rl_explore_coord *c);
/* Task id will not come back (its worker died): the search stops. */
void rl_explore_coord_lost(rl_explore_coord *c, uint64_t id);

#ifdef __cplusplus
}
#endif
#endif
