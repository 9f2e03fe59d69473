/* proto.h - how racelab and its interposer (preload.c) talk while
 * exploring a user's program. Internal.
 *
 * Three processes:
 *   P  racelab, running the search;
 *   S  the program, started once with the interposer preloaded; when it
 *      first creates a thread it becomes a fork server instead;
 *   C  one copy of S per schedule, forked at that point, which runs the
 *      rest of the program under the plan P wrote.
 * P and S share a socket (one byte per message) and a shared-memory
 * region (a memfd made by P, inherited by S and C) laid out as below. For
 * each schedule P writes the plan into the region and sends RL_MSG_GO; S
 * forks C and waits for it; C follows the plan, appending its decisions
 * and, when asked, its trace to the region as it goes (so a crash loses
 * nothing); S writes C's wait status and sends RL_MSG_DONE. C's output
 * goes to a second memfd, rewound by S before each fork.
 *
 * Everything here is plain data of fixed size: both sides are built from
 * the same header, P with racelab's flags, the interposer without any
 * sanitizer (it runs inside the user's program). */
#ifndef RACELAB_EXPLORE_PROTO_H
#define RACELAB_EXPLORE_PROTO_H

#include <stdint.h>

#include "../core/ops.h"
#include "../core/policy.h"
#include "../search/footprint.h"

/* Environment of S. */
#define RL_ENV_CTL "RACELAB_EXPLORE_CTL" /* the socket's file descriptor */
#define RL_ENV_SHM "RACELAB_EXPLORE_SHM" /* the region's file descriptor */
#define RL_ENV_OUT "RACELAB_EXPLORE_OUT" /* the schedule output's file descriptor */

/* Socket messages. */
#define RL_MSG_READY 'r' /* S -> P: S is a fork server now */
#define RL_MSG_GO 'g'    /* P -> S: run one schedule */
#define RL_MSG_DONE 'd'  /* S -> P: it ended; see status */
#define RL_MSG_QUIT 'q'  /* P -> S: end */
#define RL_MSG_CUT 'c'   /* P -> S: end the schedule running now (the search's deadline);
                            ignored when it already ended */

#define RL_PROTO_VERSION 18
#define RL_PLAN_MAX 65536u /* prefix choices or deviations */
#define RL_NAME_MAX 32
#define RL_SERIAL_MAX 4096 /* threads created in one schedule, named apart */
#define RL_CALLERS 3       /* return addresses kept beyond a call's own, when tracing */
#define RL_RACES_MAX 32    /* data races listed in one schedule (--races list) */


/* Failures the interposer finds itself (the others come from the wait
 * status: a non-zero exit, a signal). */
enum {
    RL_PFAIL_NONE,
    RL_PFAIL_DEADLOCK,
    RL_PFAIL_LIVELOCK,    /* past max_steps */
    RL_PFAIL_MISUSE,      /* unlocking a mutex the thread does not hold, ... */
    RL_PFAIL_TOO_MANY,    /* more threads than RL_EX_MAX_THREADS: not the program's fault */
    RL_PFAIL_RACE         /* a data race (races.h) */
};

/* One line of a trace. */
typedef struct rl__ptrace {
    uint32_t step;   /* the decision step it belongs to, 1-based */
    uint8_t thread;
    uint8_t op;      /* RL_POP_* */
    uint8_t marks;   /* RL_MARK_* of explore.h */
    uint8_t has_value;
    int64_t value;   /* trylock: 1 taken, 0 busy; timed ops: 1 timed out;
                        read, write, accept, poll: the descriptor; waitpid: the pid */
    uint64_t obj;    /* the object's address (0: none) */
    uint64_t where;  /* the return address of the call: in its caller */
    uint64_t callers[RL_CALLERS]; /* the next ones out (0: none): where a call in a
                                     library's wrapper was made from */
    uint32_t other;  /* spawn/join: the other thread's serial */
    uint32_t serial; /* the thread's serial: its number in creation order, main 0
                        (a slot, `thread`, is reused once its thread is joined) */
} rl__ptrace;

/* A data race seen and listed, not failing the schedule (--races list):
 * the two accesses, the earlier first. */
typedef struct rl__prace {
    uint64_t addr;
    uint64_t where[2];  /* their places: return addresses in the program */
    uint32_t serial[2]; /* their threads, by serial */
    uint8_t write[2];
} rl__prace;

typedef struct rl__pthread_info {
    uint64_t start; /* the start routine's address (0: main) */
    char name[RL_NAME_MAX];
} rl__pthread_info;

typedef struct rl__shm {
    uint32_t version;
    /* the plan: written by P before RL_MSG_GO */
    uint32_t plan_kind;
    uint32_t plan_n;
    uint32_t trace_on;
    uint64_t max_steps;
    rl__pct pct;
    rl__delays delays;
    uint8_t prefix[RL_PLAN_MAX];
    rl__deviation deviations[RL_PLAN_MAX];
    /* the run: written by C */
    uint32_t fail;
    uint32_t no_fit;
    char message[512];
    uint64_t nsteps;
    uint64_t nruns; /* the decisions, as runs of equal ones (rl__drun) */
    uint32_t preemptions;
    uint32_t outside_last; /* a wait on the outside world went on, last (see preload.c) */
    uint32_t weak_order;   /* an atomic or fence of an order weaker than seq_cst ran */
    uint32_t spin_awaited; /* a spin waited for a write to what it read (preload.c) */
    uint32_t fair_yield;   /* a yield, sleep or spin let the others that could go move first */
    uint32_t nthreads;
    rl__pthread_info threads[RL_EX_MAX_THREADS]; /* by slot: its thread now */
    uint32_t nserials;
    uint64_t serial_start[RL_SERIAL_MAX]; /* by serial: the start routine (0: main) */
    uint64_t ntrace;
    /* who loaded the interposer: written by the processes themselves */
    uint32_t loaded_pid; /* the program's process (0: never loaded, e.g. static) */
    uint32_t others;     /* programs it started that loaded it too: not followed */
    uint32_t forks;      /* fork()s of the program's own: not followed */
    uint32_t instrumented; /* built by racelab cc: its memory accesses are steps */
    /* written by S when it is ready: where its memory lies (its stack, the
     * heap's end, the interposer, the program): two servers with the same
     * value were laid out alike, so their copies' steps name the same
     * objects by the same addresses (a reduced search split over workers
     * compares steps made by different servers) */
    uint64_t layout;
    uint32_t races;        /* written by P: look for data races (when instrumented) */
    uint32_t races_incomplete; /* written by C: some accesses could not be checked (races.h) */
    uint32_t races_listed;     /* written by P: a race is listed, not a failure */
    uint32_t plain_points;     /* written by P: plain accesses are steps even when a race fails */
    uint32_t nraces;           /* written by C: the races listed (up to RL_RACES_MAX) */
    uint32_t races_unlisted;   /* written by C: more than RL_RACES_MAX, not all listed */
    rl__prace race_list[RL_RACES_MAX];
    /* its end: written by S */
    int32_t status;    /* waitpid's */
    uint32_t timed_out; /* S killed C at the time limit */
    uint32_t cut;       /* S ended C when P asked (RL_MSG_CUT) */
    uint64_t time_limit_ns; /* written by P */
    /* a debugger at a step (racelab explore --gdb): P asks C to stop once
     * stop_at decisions are made; C says who stopped, then waits stopped
     * (SIGSTOP) for the debugger, and S does not cut it meanwhile */
    uint64_t stop_at;       /* written by P; 0: never */
    int32_t stopped_pid;    /* written by C when it stops */
    uint32_t stopped_serial; /* the thread that goes next */
    int32_t stopped_tid;     /* and its kernel thread id */
    /* partial-order reduction: P asks for every step's footprint; C writes
     * them (after the trace lines), says when there were more steps than
     * room, and at a deadlock what each blocked thread waited to do */
    uint32_t footprints;      /* written by P: 1, or 2 for a reduced search */
    uint32_t footprints_full; /* written by C: steps past step_cap were not recorded */
    uint32_t npending;
    rl__step pending[RL_EX_MAX_THREADS];
    /* then decision_cap runs of decisions, trace_cap trace lines, step_cap
     * footprints */
    uint64_t decision_cap, trace_cap, step_cap;
} rl__shm;

/* One step's footprint, and who else could have taken the signal it took. */
typedef struct rl__pstep {
    rl__step step;
    uint64_t contested; /* runnable at its choice: threads that would each take the same
                           signal (dpor.c branches on which of them wakes) */
} rl__pstep;

/* Decisions as C records them: a run of steps decided alike (the same
 * threads could go, the same one went), one record for all of them: a
 * thread making memory accesses one after another makes one run, not
 * 100,000 records to write. */
typedef struct rl__drun {
    rl__decision d;
    uint64_t more; /* steps after the first decided the same */
} rl__drun;

static inline rl__drun *rl__shm_runs(rl__shm *s) { return (rl__drun *)(s + 1); }

static inline rl__ptrace *rl__shm_trace(rl__shm *s) {
    return (rl__ptrace *)(rl__shm_runs(s) + s->decision_cap);
}

static inline rl__pstep *rl__shm_steps(rl__shm *s) {
    return (rl__pstep *)(rl__shm_trace(s) + s->trace_cap);
}

static inline uint64_t rl__shm_size(uint64_t decisions, uint64_t traces, uint64_t steps) {
    return sizeof(rl__shm) + decisions * sizeof(rl__drun) + traces * sizeof(rl__ptrace) +
           steps * sizeof(rl__pstep);
}

#endif
