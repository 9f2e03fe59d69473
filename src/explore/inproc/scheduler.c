/* scheduler.c - the explorer's platform table: a controlled scheduler.
 *
 * Every logical thread of the target is a fiber on the calling OS thread.
 * A thread runs until its next visible operation, records it as pending
 * and asks the scheduler to decide. The scheduler computes which threads
 * can perform their pending operation (a lock is free, a join's thread has
 * ended, a waiter was signalled and its mutex is free), asks the chooser,
 * applies the chosen operation's effect (ownership, wake-ups), records the
 * step, and switches to the chosen thread, which then runs on to its next
 * operation. So at any moment exactly one thread runs, and every
 * interleaving of visible operations is one sequence of choices.
 *
 * Decision points come only before operations whose outcome depends on
 * other threads: lock, try-lock, wait (release and block), wake (take the
 * mutex back), join, yield and shared accesses. Operations that only
 * enable others (unlock, signal, broadcast, spawn) take effect inside the
 * current step: any interleaving right after one of them is reached by
 * switching at the thread's next decision point, since only local work lies
 * between. They still appear in the trace, under the step they belong to.
 * One exception: the unlock of a mutex taken in the same step (a critical
 * section without a decision point) is a decision point of its own, since
 * another thread's try-lock could find the mutex held in between (see
 * ex_mutex_unlock).
 *
 * A thread spawned runs at once up to its first decision point (its
 * prologue cannot interact with anybody) and returns control to its
 * spawner: no step is spent on starting it.
 *
 * Enabling, choosing, applying and the decide-apply loop are the
 * scheduling core's (core/core.h), shared with the interposer that
 * explores a user's program; this file is its front end for racelab's own
 * targets: fibers, the footprints partial-order reduction needs, traces
 * with names, and the platform table. */
#define _GNU_SOURCE 1 /* REG_RIP */
#include <signal.h>
#include <ucontext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../explore_impl.h"
#include "../core/core.h"
#include "fiber.h"
#include "../../util/grow.h"


typedef struct xthread {
    rl__core_thread c; /* the model's part: its pending operation (core/core.h) */
    const char *name;
    bool has_fiber;
    rl__fiber fiber;
    rl_thread_fn fn;
    void *arg;
    void *obj; /* the pending operation's object: rl_mutex, rl_cond, rl_thread, rl_access */
    const rl_cond *ready_cond; /* RL_POP_LOCK_WHEN: what those who make it ready broadcast */
    bool after_yield;  /* its previous step was a yield */
    rl__held held; /* the mutexes it holds (footprints only) */
    uint32_t spawned_at; /* its spawner's step + 1, until its first step */
    bool starting; /* running its prologue for its spawner */
    struct xthread *spawner;
    size_t last_step; /* trace index of its latest step, +1 (0: none) */
} xthread;

/* The model of a mutex or condition, kept in its storage. */
_Static_assert(sizeof(rl__core_obj) <= RL_PLATFORM_STORAGE, "object storage");
#define XO(x) ((rl__core_obj *)(void *)(x)->impl)

static rl_mutex *mutex_of(rl__core_obj *o) {
    return (rl_mutex *)(void *)((char *)o - offsetof(rl_mutex, impl));
}

/* Writes seen while tracing, to name the step a lost update overwrote. */
typedef struct {
    const void *object;
    uint64_t key;
    size_t step; /* 1-based trace index */
} last_write;

static struct {
    bool open;
    rl_platform table;
    const rl_platform *previous;
    uint64_t max_steps;
    rl__fiber main;
    xthread threads[RL_EX_MAX_THREADS];
    rl__core core; /* the scheduling core: threads, step, signals, fairness */
    xthread *cur;  /* the running thread */
    /* this schedule */
    const rl_target *target;
    rl__chooser *chooser;
    rl__run *run;
    uint64_t clock;
    rl__decision *decisions;
    size_t decisions_cap;
    size_t stack_size;
    bool footprints;
    rl__step *steps;
    size_t steps_cap;
    rl__step pending[RL_EX_MAX_THREADS];
    rl__step *pending_into; /* record_pending: where touches go meanwhile */
    /* a thread's stack overflow: caught on a stack of its own */
    void *altstack;
    stack_t old_altstack;
    struct sigaction old_segv, old_bus;
    bool catching;
    bool tracing;
    rl_trace_step *trace;
    size_t trace_cap;
    last_write *writes;
    size_t nwrites, writes_cap;
} X;

/* ---- failure and the end of a schedule ---- */

RL_FIBER_PLUMBING static void end_schedule(bool exiting);

static void fail(rl_failure_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(rl_failure_kind kind, const char *fmt, ...) {
    if (X.run->fail != RL_FAIL_NONE)
        return; /* the first failure is the one to report */
    X.run->fail = kind;
    X.run->fail_trace = X.run->ntrace;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(X.run->message, sizeof X.run->message, fmt, ap);
    va_end(ap);
}

/* ---- tracing ---- */

static rl_trace_step *current_trace_step(void) {
    if (!X.tracing || !X.cur || X.cur->last_step == 0)
        return NULL;
    return &X.trace[X.cur->last_step - 1];
}

static void append_note(rl_trace_step *s, const char *text) {
    size_t len = strlen(s->note);
    if (len + 3 < sizeof s->note)
        snprintf(s->note + len, sizeof s->note - len, "%s%s", len ? "; " : "", text);
}

static const char *object_name(const xthread *t) {
    switch (t->c.op) {
    case RL_POP_LOCK:
    case RL_POP_LOCK_WHEN:
    case RL_POP_TRYLOCK:
    case RL_POP_UNLOCK: return ((rl_mutex *)t->obj)->name;
    case RL_POP_WAIT:
    case RL_POP_WAKE:
    case RL_POP_SIGNAL:
    case RL_POP_BROADCAST: return ((rl_cond *)t->obj)->name;
    case RL_POP_SPAWN: return ((rl_thread *)t->obj)->name;
    case RL_POP_JOIN: return X.threads[t->c.join_target].name;
    case RL_POP_ACCESS: return rl_access_name(t->obj);
    default: return "";
    }
}

/* A trace line for t's pending operation, in step X.core.step (the step t is
 * performing). */
static void record(xthread *t, const char *op_override) {
    if (!X.tracing)
        return;
    if (X.run->ntrace == X.trace_cap) {
        rl_trace_step *bigger = rl__grow(X.trace, &X.trace_cap, sizeof *bigger, 256);
        if (!bigger) {
            X.tracing = false; /* no memory for the trace: keep exploring without it */
            return;
        }
        X.trace = bigger;
    }
    rl_trace_step *s = &X.trace[X.run->ntrace++];
    memset(s, 0, sizeof *s);
    s->index = (unsigned)X.core.step;
    s->thread = t->c.index;
    snprintf(s->thread_name, sizeof s->thread_name, "%s", t->name);
    const char *op = op_override ? op_override
                     : t->c.op == RL_POP_ACCESS ? ((rl_access *)t->obj)->op
                                                : rl__pop_name(t->c.op);
    snprintf(s->op, sizeof s->op, "%s", op);
    snprintf(s->object, sizeof s->object, "%s", object_name(t));
    if (X.core.preempted)
        s->marks |= RL_MARK_PREEMPT;
    if (t->c.op == RL_POP_TRYLOCK) {
        s->has_value = true;
        s->value = t->c.result_ok;
    }
    t->last_step = X.run->ntrace;
}

static void note_write(const rl_access *a, size_t step) {
    for (size_t i = 0; i < X.nwrites; i++)
        if (X.writes[i].object == a->object && X.writes[i].key == a->key) {
            X.writes[i].step = step;
            return;
        }
    if (X.nwrites == X.writes_cap) {
        last_write *bigger = rl__grow(X.writes, &X.writes_cap, sizeof *bigger, 16);
        if (!bigger)
            return;
        X.writes = bigger;
    }
    X.writes[X.nwrites++] = (last_write){a->object, a->key, step};
}

static size_t last_write_step(const rl_access *a) {
    for (size_t i = 0; i < X.nwrites; i++)
        if (X.writes[i].object == a->object && X.writes[i].key == a->key)
            return X.writes[i].step;
    return 0;
}

/* ---- footprints (partial-order reduction) ---- */

/* The step being made (X.core.step - 1), or NULL before the first choice:
 * what main does before it is ordered before every other thread. */
static rl__step *current_step(void) {
    if (!X.footprints || X.core.step == 0)
        return NULL;
    return &X.steps[X.core.step - 1];
}

/* Objects are named by what they are and their name, not their address:
 * a step recorded in one run is compared with steps of later runs, whose
 * objects may sit elsewhere in memory. Two objects of one name are taken
 * for one (more dependence, never less). */
enum { OBJ_MUTEX = 1, OBJ_COND, OBJ_ACCESS, OBJ_THREAD, OBJ_SPAWN, OBJ_GUARDED };

static uint64_t object_id(unsigned kind, const char *name) {
    uint64_t h = 1469598103934665603ull ^ kind;
    for (const char *p = name ? name : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* Where a touch goes: the step being made, or (X.pending_into) a blocked
 * thread's pending step; NULL when footprints are off. */
static rl__step *touch_target(void) { return X.pending_into ? X.pending_into : current_step(); }

/* `me` touched the object of kind `okind` called `name` at addr. The name
 * is hashed only once a record is due: searches without footprints pay
 * one branch. */
static void touch_id(const xthread *me, unsigned okind, const char *name, const void *addr,
                     uint64_t key, uint8_t kind) {
    rl__step *st = touch_target();
    if (!st || st->global)
        return;
    rl__step_touch(st, object_id(okind, name), (uintptr_t)addr, key, kind, me ? &me->held : NULL);
}

/* A guarded mutex released within the step that took it: the step is a
 * pass through it (RL_TOUCH_PASS), and what the step did under it was
 * done in that pass. True if so. */
static bool passed(rl__step *st, const rl_mutex *m) {
    uint64_t object = object_id(OBJ_MUTEX, m->name);
    rl__touch *taken = NULL;
    for (unsigned i = 0; i < st->ntouch && !taken; i++)
        if (st->touch[i].addr == (uintptr_t)m && st->touch[i].object == object &&
            (st->touch[i].kind == RL_TOUCH_ACQUIRE || st->touch[i].kind == RL_TOUCH_TRY))
            taken = &st->touch[i];
    if (!taken)
        return false;
    taken->kind = RL_TOUCH_PASS;
    for (unsigned i = 0; i < st->ntouch; i++) {
        rl__touch *t = &st->touch[i];
        for (unsigned k = 0; k < t->nlocks; k++)
            if (t->locks[k] == (uintptr_t)m) {
                t->locks[k] = t->locks[--t->nlocks];
                t->pass = (uintptr_t)m;
                break;
            }
    }
    return true;
}

static void touch_mutex(const xthread *me, const rl_mutex *m, uint8_t kind) {
    rl__step *st = touch_target();
    if (st && !st->global && m->guarded && kind == RL_TOUCH_RELEASE && passed(st, m))
        return;
    touch_id(me, OBJ_MUTEX, m->name, m, 0, kind);
}
/* A condition: waiting, being woken and signalling one waiter change who
 * waits (writes); a broadcast wakes all of them, which two broadcasts do
 * in either order (a read, of one another). */
static void touch_cond(const xthread *me, const rl_cond *c, bool broadcast) {
    touch_id(me, OBJ_COND, c->name, c, 0, broadcast ? RL_TOUCH_READ : RL_TOUCH_WRITE);
}
static void touch_thread(const xthread *me, const xthread *t, bool write) {
    touch_id(me, OBJ_THREAD, "", &X.threads[0], t->c.index,
             write ? RL_TOUCH_WRITE : RL_TOUCH_READ);
}
static void touch_access(const xthread *me, const rl_access *a) {
    if (touch_target()) /* its name is looked up by its owner: only when due */
        touch_id(me, OBJ_ACCESS, rl_access_name(a), a->object, a->key,
                 a->kind == RL_ACCESS_READ ? RL_TOUCH_READ : RL_TOUCH_WRITE);
}

/* The running thread's mutexes, for the locks held at each touch. */
static void took(xthread *t, const rl_mutex *m) {
    if (X.footprints)
        rl__held_take(&t->held, (uintptr_t)m);
}
static void released(xthread *t, const rl_mutex *m) { rl__held_drop(&t->held, (uintptr_t)m); }

/* Room for the record of step X.core.step (about to be made by t). */
static bool begin_step(const xthread *t) {
    if (!X.footprints)
        return true;
    if (X.core.step == X.steps_cap) {
        rl__step *bigger = rl__grow(X.steps, &X.steps_cap, sizeof *bigger, 1024);
        if (!bigger)
            return false;
        X.steps = bigger;
    }
    X.steps[X.core.step] = (rl__step){.thread = (uint8_t)t->c.index, .spawned_at = t->spawned_at};
    X.run->steps = X.steps;
    return true;
}


/* ---- deciding ---- */

/* Deadlock: a trace line for what t is blocked on (no step number: it
 * never happened). */
static void record_blocked(xthread *t, const char *op, const char *object, const char *why) {
    if (!X.tracing)
        return;
    bool preempted = X.core.preempted;
    X.core.preempted = false;
    record(t, op);
    X.core.preempted = preempted;
    if (X.run->ntrace == 0 || t->last_step != X.run->ntrace)
        return; /* no room for it */
    rl_trace_step *s = &X.trace[X.run->ntrace - 1];
    s->index = 0;
    snprintf(s->object, sizeof s->object, "%s", object);
    s->marks = RL_MARK_BLOCKED;
    snprintf(s->note, sizeof s->note, "%s", why);
}

/* A schedule that ends with threads still live (a deadlock, a failure
 * mid-run): the steps they wait to make, for the races (another order may
 * let them go first). `running` (may be NULL) is in the middle of its step:
 * it has none pending. */
static void record_pending(const xthread *running) {
    if (!X.footprints || X.run->npending)
        return;
    size_t n = 0;
    for (unsigned i = 0; i < X.core.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->c.state != RL_CORE_LIVE || t == running || t->starting)
            continue;
        X.pending[n] = (rl__step){.thread = (uint8_t)t->c.index, .spawned_at = t->spawned_at};
        X.pending_into = &X.pending[n];
        switch (t->c.op) {
        case RL_POP_LOCK:
        case RL_POP_LOCK_WHEN: touch_mutex(t, t->obj, RL_TOUCH_ACQUIRE); break;
        case RL_POP_WAKE:
            touch_mutex(t, mutex_of(t->c.wait_mutex), RL_TOUCH_ACQUIRE);
            touch_cond(t, t->obj, false);
            break;
        case RL_POP_JOIN: touch_thread(t, &X.threads[t->c.join_target], false); break;
        case RL_POP_TRYLOCK: touch_mutex(t, t->obj, RL_TOUCH_TRY); break;
        case RL_POP_UNLOCK: touch_mutex(t, t->obj, RL_TOUCH_RELEASE); break;
        case RL_POP_WAIT:
            touch_cond(t, t->obj, false);
            touch_mutex(t, mutex_of(t->c.wait_mutex), RL_TOUCH_RELEASE);
            break;
        case RL_POP_ACCESS: touch_access(t, t->obj); break;
        default: X.pending[n].global = true; break;
        }
        X.pending_into = NULL;
        n++;
    }
    X.run->pending = X.pending;
    X.run->npending = n;
}

static void describe_deadlock(void) {
    record_pending(NULL);
    char msg[512] = "deadlock:";
    bool first = true;
    for (unsigned i = 0; i < X.core.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->c.state != RL_CORE_LIVE)
            continue;
        rl__blocked b = rl__core_blocked(&X.core, &t->c);
        const char *other = b.holder >= 0 ? X.threads[b.holder].name : "nobody";
        const char *object, *op;
        switch (b.why) {
        case RL_BLOCKED_HELD: object = ((rl_mutex *)t->obj)->name, op = "lock"; break;
        case RL_BLOCKED_RELOCK: object = mutex_of(t->c.wait_mutex)->name, op = "relock"; break;
        case RL_BLOCKED_UNSIGNALLED: object = ((rl_cond *)t->obj)->name, op = "wait"; break;
        case RL_BLOCKED_UNREADY: object = t->ready_cond->name, op = "wait"; break;
        case RL_BLOCKED_JOIN: object = other, op = "join"; break;
        default: object = object_name(t), op = rl__pop_name(t->c.op); break;
        }
        char part[160], note[96];
        rl__core_blocked_text(&t->c, &b, t->name, object, other, part, sizeof part);
        rl__core_blocked_note(&b, other, note, sizeof note);
        record_blocked(t, op, object, note);
        if (strlen(msg) + strlen(part) + 2 < sizeof msg)
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "%s %s", first ? "" : ";",
                     part);
        first = false;
    }
    fail(RL_FAIL_DEADLOCK, "%s", msg);
}

/* A thread's name for the core's messages (core/fair.h). */
static const char *thread_name(void *ctx, unsigned i) {
    (void)ctx;
    return X.threads[i].name;
}

/* ---- the core's hooks (core/core.h) ---- */

/* The chooser's choice; with footprints, who would compete for a signal. */
static unsigned choose(void *ctx, uint64_t step, uint64_t enabled, uint64_t lazy, int current) {
    (void)ctx;
    if (X.footprints)
        X.run->contested = rl__core_contested(&X.core, enabled);
    return X.chooser->choose(X.chooser, step, enabled, lazy, current);
}

static void no_fit(void *ctx, uint64_t step, unsigned asked, uint64_t enabled) {
    (void)ctx;
    X.run->no_fit = true;
    rl__choice_no_fit_text(X.run->message, sizeof X.run->message, "target", step, asked,
                           enabled);
}

static bool record_decision(void *ctx, const rl__choice *ch) {
    (void)ctx;
    if (X.core.step == X.decisions_cap) {
        rl__decision *bigger = rl__grow(X.decisions, &X.decisions_cap, sizeof *bigger, 1024);
        if (!bigger)
            return false;
        X.decisions = bigger;
    }
    if (!begin_step(&X.threads[ch->chosen]))
        return false;
    X.decisions[X.core.step] = ch->decision;
    X.run->preemptions += ch->preempted;
    return true;
}

/* The core's apply, with the step's footprints and trace line. */
static bool apply(void *ctx, rl__core_thread *c, bool timed_out) {
    (void)ctx;
    xthread *t = (xthread *)c;
    t->spawned_at = 0;
    rl__step *st = current_step();
    if (st && (t->c.op == RL_POP_YIELD || t->after_yield))
        st->global = true; /* a yield lets the others go first: it depends on all of them */
    t->after_yield = false;
    uint8_t op = t->c.op;
    if (op == RL_POP_WAIT) {
        rl_mutex *m = mutex_of(t->c.wait_mutex);
        record(t, NULL); /* before it becomes a wake */
        touch_cond(t, t->obj, false);
        touch_mutex(t, m, RL_TOUCH_RELEASE);
        released(t, m);
    }
    if (!rl__core_apply(&X.core, c, timed_out))
        return false;
    if (op == RL_POP_YIELD && X.core.fair.below[t->c.index])
        X.run->fair_yield = true; /* others that could go move before it goes again */
    switch (op) {
    case RL_POP_LOCK:
    case RL_POP_LOCK_WHEN:
        touch_mutex(t, t->obj, RL_TOUCH_ACQUIRE);
        took(t, t->obj);
        break;
    case RL_POP_TRYLOCK:
        touch_mutex(t, t->obj, RL_TOUCH_TRY);
        if (t->c.result_ok)
            took(t, t->obj);
        break;
    case RL_POP_WAKE:
        touch_mutex(t, mutex_of(t->c.wait_mutex), RL_TOUCH_ACQUIRE);
        took(t, mutex_of(t->c.wait_mutex));
        touch_cond(t, t->obj, false);
        break;
    case RL_POP_YIELD: t->after_yield = true; break;
    case RL_POP_JOIN: touch_thread(t, &X.threads[t->c.join_target], false); break;
    case RL_POP_ACCESS: touch_access(t, t->obj); break;
    default: break;
    }
    record(t, NULL);
    return true;
}

/* The schedule is over: back to the main context. */
RL_FIBER_PLUMBING static void end(void *ctx, rl__core_end why, rl__core_thread *caller, bool exiting) {
    (void)ctx;
    (void)caller;
    if (why == RL_CORE_DEADLOCK)
        describe_deadlock();
    if (why == RL_CORE_LIVELOCK) {
        /* fair to every thread and still not done: a livelock, naming the
         * threads that kept yielding */
        char text[256];
        rl__fair_livelock_text(&X.core.fair, rl__core_live(&X.core), X.core.max_steps,
                               thread_name, NULL, text, sizeof text);
        fail(RL_FAIL_LIVELOCK, "%s", text);
    }
    if (why == RL_CORE_NO_ROOM)
        fail(RL_FAIL_ERROR, "out of memory recording the schedule");
    end_schedule(exiting); /* `exiting`: from here no instrumented frame is left */
}

RL_FIBER_PLUMBING static void switch_to(void *ctx, rl__core_thread *from, rl__core_thread *to,
                                        bool exiting) {
    (void)ctx;
    X.cur = (xthread *)to;
    rl__fiber_switch(&((xthread *)from)->fiber, &((xthread *)to)->fiber, exiting);
}

static const rl__core_hooks hooks = {
    .choose = choose,
    .no_fit = no_fit,
    .record = record_decision,
    .apply = apply,
    .end = end,
    .switch_to = switch_to,
};

/* A visible operation of the running thread, on `obj` (its model: `o`). */
static void point(uint8_t op, void *obj, rl__core_obj *o) {
    xthread *t = X.cur;
    t->c.op = op;
    t->c.o = o;
    t->obj = obj;
    if (t->starting) {
        /* end of the prologue: hand control back to the spawner; t goes on
         * when the scheduler chooses it */
        t->starting = false;
        X.cur = t->spawner;
        rl__fiber_switch(&t->fiber, &t->spawner->fiber, false);
        return;
    }
    rl__core_schedule_from(&X.core, &t->c);
}

/* An operation that takes effect within the current step (see the top). */
static void immediate(uint8_t op, void *obj) {
    xthread *t = X.cur;
    uint8_t pending = t->c.op;
    void *pending_obj = t->obj;
    t->c.op = op;
    t->obj = obj;
    bool preempted = X.core.preempted;
    X.core.preempted = false;
    record(t, NULL);
    X.core.preempted = preempted;
    t->c.op = pending;
    t->obj = pending_obj;
}

/* ---- threads ---- */

/* The exploration cannot go on (not a failure of the target): the run ends
 * with an error that stops the search. */
static _Noreturn void unsupported(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void unsupported(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char text[256];
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!X.cur) { /* the first thread: nothing runs yet to end */
        fprintf(stderr, "racelab: %s\n", text);
        abort();
    }
    if (X.run->target_error == RL_OK) {
        X.run->target_error = RL_ENOTSUP;
        snprintf(X.run->message, sizeof X.run->message, "%s", text);
    }
    end_schedule(false);
    abort(); /* never resumed */
}

RL_FIBER_PLUMBING static void thread_entry(void *arg) {
    xthread *t = arg;
    t->fn(t->arg);
    t->c.state = RL_CORE_DONE;
    touch_thread(t, t, true);
    t->c.op = RL_POP_NONE;
    if (t->starting) {
        /* ended within its prologue */
        t->starting = false;
        X.cur = t->spawner;
        rl__fiber_switch(&t->fiber, &t->spawner->fiber, true);
    }
    rl__core_hand_on(&X.core, &t->c);
    abort(); /* an ended thread is never resumed */
}

static xthread *new_thread(const char *name, rl_thread_fn fn, void *arg) {
    if (X.core.nthreads == RL_EX_MAX_THREADS)
        unsupported("the explorer supports at most %d threads; the target started a %dth (%s)",
                    RL_EX_MAX_THREADS, RL_EX_MAX_THREADS + 1, name);
    xthread *t = &X.threads[X.core.nthreads];
    if (!t->has_fiber) {
        if (rl__fiber_alloc(&t->fiber, X.stack_size) != RL_OK)
            unsupported("the explorer could not allocate a thread stack of %zu KiB",
                        X.stack_size / 1024);
        t->has_fiber = true;
    }
    rl__fiber saved = t->fiber;
    memset(t, 0, sizeof *t);
    t->fiber = saved;
    t->has_fiber = true;
    rl__core_new_thread(&X.core, &t->c, X.core.nthreads, RL_POP_NONE);
    t->name = name;
    t->fn = fn;
    t->arg = arg;
    rl__fiber_prepare(&t->fiber, thread_entry, t);
    return t;
}

static rl_err ex_thread_create(rl_thread *h, rl_thread_fn fn, void *arg) {
    immediate(RL_POP_SPAWN, h);
    xthread *me = X.cur;
    touch_id(X.cur, OBJ_SPAWN, "", &X.core.nthreads, 0, RL_TOUCH_WRITE);
    xthread *child = new_thread(h->name, fn, arg);
    child->spawned_at = (uint32_t)X.core.step;
    h->id = child->c.index + 1;
    memcpy(h->impl, &child, sizeof child);
    child->starting = true;
    child->spawner = me;
    X.cur = child;
    rl__fiber_switch(&me->fiber, &child->fiber, false);
    return RL_OK;
}

static void ex_thread_join(rl_thread *h) {
    xthread *target;
    memcpy(&target, h->impl, sizeof target);
    X.cur->c.join_target = target->c.index;
    point(RL_POP_JOIN, h, NULL);
}

static unsigned ex_thread_self(void) { return X.cur ? X.cur->c.index + 1 : 0; }

/* ---- mutexes and conditions ---- */

static rl_err ex_mutex_init(rl_mutex *m) {
    *XO(m) = (rl__core_obj){.kind = RL_OBJ_MUTEX};
    return RL_OK;
}
static void ex_mutex_destroy(rl_mutex *m) { (void)m; }
static void ex_mutex_lock(rl_mutex *m) { point(RL_POP_LOCK, m, XO(m)); }
static void ex_mutex_lock_when(rl_mutex *m, rl_cond *c, bool (*ready)(void *), void *ctx) {
    X.cur->c.ready = ready;
    X.cur->c.ready_ctx = ctx;
    X.cur->ready_cond = c;
    point(RL_POP_LOCK_WHEN, m, XO(m));
}
static bool ex_mutex_trylock(rl_mutex *m) {
    point(RL_POP_TRYLOCK, m, XO(m));
    return X.cur->c.result_ok;
}
/* An unlock enables, so it belongs to the step before it (see the top),
 * except where that step took the mutex (rl__core_took): another thread's try-lock may
 * find it held between the two, however little the section does, so the
 * unlock is then a step of its own, made while still held. A guarded
 * mutex is never try-locked (racelab/platform.h): its sections stay
 * whole. */
static void ex_mutex_unlock(rl_mutex *m) {
    bool own_step = !m->guarded && rl__core_took(&X.cur->c, XO(m));
    if (own_step)
        point(RL_POP_UNLOCK, m, XO(m));
    XO(m)->owner = 0;
    XO(m)->count = 0;
    touch_mutex(X.cur, m, RL_TOUCH_RELEASE);
    released(X.cur, m);
    if (!own_step)
        immediate(RL_POP_UNLOCK, m);
}

static rl_err ex_cond_init(rl_cond *c) {
    *XO(c) = (rl__core_obj){.kind = RL_OBJ_COND};
    return RL_OK;
}
static void ex_cond_destroy(rl_cond *c) { (void)c; }
static void ex_cond_wait(rl_cond *c, rl_mutex *m) {
    X.cur->c.wait_mutex = XO(m);
    point(RL_POP_WAIT, c, XO(c)); /* returns once signalled and holding m again */
}
static void ex_cond_signal(rl_cond *c) {
    /* a signal wakes one of the threads waiting now, the schedule chooses
     * which: it leaves a token that any of them may take (none waiting, or
     * all of them already sure to wake: it is lost, as with pthreads) */
    if (!rl__core_signal(&X.core, XO(c)))
        rl_fatal("internal: more signals pending than threads waiting");
    touch_cond(X.cur, c, false);
    immediate(RL_POP_SIGNAL, c);
}

static void ex_cond_broadcast(rl_cond *c) {
    rl__core_broadcast(&X.core, XO(c)); /* every waiter on it will wake */
    touch_cond(X.cur, c, true);
    immediate(RL_POP_BROADCAST, c);
}

/* ---- time, accesses, notes, errors ---- */

static void ex_sleep(uint64_t ns) {
    X.clock += ns;
    rl_trace_step *s = current_trace_step();
    if (s) {
        char text[48];
        if (ns >= 1000000)
            snprintf(text, sizeof text, "sleeps %.3g ms", (double)ns / 1e6);
        else
            snprintf(text, sizeof text, "sleeps %llu ns", (unsigned long long)ns);
        append_note(s, text);
    }
}

static void ex_yield(void) { point(RL_POP_YIELD, NULL, NULL); }
static uint64_t ex_now(void) { return X.clock; }

static void ex_access_begin(rl_access *a) { point(RL_POP_ACCESS, a, NULL); }

static void ex_guarded_touch(const rl_mutex *m, uint64_t part, rl_touch_kind kind) {
    touch_id(X.cur, OBJ_GUARDED, m->name, m, part,
             kind == RL_TOUCH_WRITES  ? RL_TOUCH_WRITE
             : kind == RL_TOUCH_NEEDS ? RL_TOUCH_NEEDED
                                      : RL_TOUCH_READ);
}

static void ex_access_end(rl_access *a) {
    rl_trace_step *s = current_trace_step();
    if (!s)
        return;
    s->has_value = !a->opaque;
    s->value = a->value;
    bool wrote = a->result == RL_OK && a->kind != RL_ACCESS_READ &&
                 a->version_after != a->version_before;
    if (a->stale) {
        s->marks |= RL_MARK_LOST;
        s->overwrote = (unsigned)last_write_step(a);
    }
    if (a->result != RL_OK) {
        s->marks |= RL_MARK_REFUSED;
        char text[64];
        snprintf(text, sizeof text, "%s", rl_strerror(a->result));
        append_note(s, text);
    }
    if (wrote)
        note_write(a, s->index);
}

static void ex_note(rl_note_kind kind, const char *text) {
    rl_trace_step *s = current_trace_step();
    if (s) {
        append_note(s, text);
        if (kind == RL_NOTE_ERROR)
            s->marks |= RL_MARK_ERROR;
    }
    if (kind == RL_NOTE_ERROR)
        fail(RL_FAIL_ERROR, "%s reported: %s", X.cur ? X.cur->name : "?", text);
}

static void ex_fatal(const char *message) {
    if (!X.run || !X.cur) {
        fprintf(stderr, "racelab: fatal: %s\n", message);
        abort();
    }
    rl_trace_step *s = current_trace_step();
    if (s) {
        append_note(s, message);
        s->marks |= RL_MARK_ERROR;
    }
    fail(RL_FAIL_ERROR, "%s: %s", X.cur->name, message);
    end_schedule(false); /* abandons every thread of this schedule */
}

/* rl_check failed in the running thread: the invariant is broken here. */
static void ex_broken(const char *message) {
    if (!X.run || !X.cur) {
        fprintf(stderr, "racelab: invariant broken: %s\n", message);
        abort();
    }
    rl_trace_step *s = current_trace_step();
    if (s) {
        append_note(s, message);
        s->marks |= RL_MARK_ERROR;
    }
    fail(RL_FAIL_INVARIANT, "%s at step %zu: %s", X.cur->name, X.core.step, message);
    end_schedule(false); /* abandons every thread of this schedule */
}

/* ---- stack overflows ----
 * A thread that runs past its stack faults in the guard page below it.
 * The fault is caught on a stack of its own (sigaltstack) and ends the
 * schedule as a failure naming the thread, like a deadlock: the other
 * threads are abandoned where they stand. Any other fault goes to the
 * handler that was there before (a crash stays a crash). */

/* Where an overflowed thread goes on: at the top of its own stack (its
 * frames are abandoned anyway), outside the signal handler, so that the
 * handler returns normally (sanitizers keep their bookkeeping). */
static _Noreturn void overflowed(void) {
    fail(RL_FAIL_ERROR,
         "%s overflowed its stack of %zu KiB (racelab explore --stack-size gives more)",
         X.cur->name, X.stack_size / 1024);
    end_schedule(false);
    abort(); /* never resumed */
}

static void overflow_handler(int sig, siginfo_t *info, void *uctx) {
    xthread *t = X.cur;
    uintptr_t at = (uintptr_t)info->si_addr;
#if defined(__x86_64__) && defined(REG_RIP)
    if (X.run && t && t->has_fiber && at >= (uintptr_t)t->fiber.map &&
        at < (uintptr_t)t->fiber.stack) {
        ucontext_t *uc = uctx;
        uintptr_t top = (uintptr_t)rl__fiber_restart_top(&t->fiber);
        *(uint64_t *)(top - 8) = 0; /* a return address nobody uses */
        uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(top - 8);
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)overflowed;
        return;
    }
#else
    (void)uctx;
    (void)at;
    (void)t;
#endif
    /* not ours: let the previous handler have it when the fault repeats */
    sigaction(sig, sig == SIGSEGV ? &X.old_segv : &X.old_bus, NULL);
}

static void catch_overflows(void) {
    size_t size = 256 * 1024;
    X.altstack = malloc(size);
    if (!X.altstack)
        return; /* an overflow stays a crash */
    stack_t ss = {.ss_sp = X.altstack, .ss_size = size};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = overflow_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaltstack(&ss, &X.old_altstack) != 0) {
        free(X.altstack);
        X.altstack = NULL;
        return;
    }
    sigaction(SIGSEGV, &sa, &X.old_segv);
    sigaction(SIGBUS, &sa, &X.old_bus);
    X.catching = true;
}

static void stop_catching(void) {
    if (!X.catching)
        return;
    sigaction(SIGSEGV, &X.old_segv, NULL);
    sigaction(SIGBUS, &X.old_bus, NULL);
    sigaltstack(&X.old_altstack, NULL);
    free(X.altstack);
    X.altstack = NULL;
    X.catching = false;
}

/* ---- schedules ---- */

static void root_entry(void *arg) {
    (void)arg;
    X.run->target_error = X.target->run(X.target, &X.run->outcome);
    X.run->returned = true;
}

/* Back to the main context. Threads still live are abandoned where they
 * stand (a deadlock, a fatal misuse, a livelock); their fibers will be
 * restarted from scratch. */
RL_FIBER_PLUMBING static void end_schedule(bool exiting) {
    if (X.run)
        record_pending(X.run->fail == RL_FAIL_DEADLOCK ? NULL : X.cur);
    for (unsigned i = 0; i < X.core.nthreads; i++)
        if (X.threads[i].c.state == RL_CORE_LIVE)
            rl__fiber_abandoned(&X.threads[i].fiber);
    xthread *from = X.cur;
    X.cur = NULL;
    rl__fiber_switch(&from->fiber, &X.main, exiting);
    abort(); /* the main context never resumes an ended schedule */
}

void rl__sched_run(const rl_target *t, rl__chooser *c, bool trace, rl__run *out) {
    memset(out, 0, sizeof *out);
    X.run = out;
    X.target = t;
    X.chooser = c;
    rl__core_reset(&X.core);
    X.core.hooks = &hooks;
    X.core.max_steps = X.max_steps;
    X.clock = 0;
    X.tracing = trace;
    X.nwrites = 0;
    X.footprints = c->footprints;
    c->live = out;
    xthread *root = new_thread("main", root_entry, NULL);
    X.cur = root;
    X.core.cur = (int)root->c.index;
    rl__fiber_switch(&X.main, &root->fiber, false);
    /* back here when the schedule ended, one way or another */
    out->decisions = X.decisions;
    out->nsteps = X.core.step;
    out->trace = X.trace;
    X.run = NULL;
}

rl_err rl__sched_open(uint64_t max_steps, size_t stack_size) {
    if (X.open)
        return RL_EBUSY;
    X.open = true;
    X.max_steps = max_steps;
    X.stack_size = stack_size;
    X.table = (rl_platform){
        .name = "explorer",
        .layout = NULL,
        .thread_create = ex_thread_create,
        .thread_join = ex_thread_join,
        .thread_self = ex_thread_self,
        .mutex_init = ex_mutex_init,
        .mutex_destroy = ex_mutex_destroy,
        .mutex_lock = ex_mutex_lock,
        .mutex_trylock = ex_mutex_trylock,
        .mutex_unlock = ex_mutex_unlock,
        .cond_init = ex_cond_init,
        .cond_destroy = ex_cond_destroy,
        .cond_wait = ex_cond_wait,
        .cond_signal = ex_cond_signal,
        .cond_broadcast = ex_cond_broadcast,
        .sleep_ns = ex_sleep,
        .yield = ex_yield,
        .now_ns = ex_now,
        .access_begin = ex_access_begin,
        .guarded_touch = ex_guarded_touch,
        .mutex_lock_when = ex_mutex_lock_when,
        .access_end = ex_access_end,
        .note = ex_note,
        .fatal = ex_fatal,
        .broken = ex_broken,
    };
    rl__fiber_main(&X.main);
    X.previous = rl_platform_install(&X.table);
    catch_overflows();
    return RL_OK;
}

void rl__sched_close(void) {
    if (!X.open)
        return;
    stop_catching();
    rl_platform_install(X.previous);
    for (unsigned i = 0; i < RL_EX_MAX_THREADS; i++)
        if (X.threads[i].has_fiber)
            rl__fiber_free(&X.threads[i].fiber);
    free(X.decisions);
    free(X.steps);
    free(X.trace);
    free(X.writes);
    memset(&X, 0, sizeof X);
}
