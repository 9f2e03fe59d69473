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
 *
 * A thread spawned runs at once up to its first decision point (its
 * prologue cannot interact with anybody) and returns control to its
 * spawner: no step is spent on starting it. */
#define _GNU_SOURCE 1 /* REG_RIP */
#include <signal.h>
#include <ucontext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore_impl.h"
#include "core/choice.h"
#include "core/fair.h"
#include "core/signals.h"
#include "fiber.h"
#include "../util/grow.h"


typedef enum {
    OP_NONE,
    OP_LOCK,
    OP_TRYLOCK,
    OP_UNLOCK,
    OP_WAIT, /* releases the mutex and starts waiting: completes without running */
    OP_WAKE, /* signalled: takes the mutex back */
    OP_SIGNAL,
    OP_BROADCAST,
    OP_SPAWN,
    OP_JOIN,
    OP_YIELD,
    OP_ACCESS,
    OP_LOCK_WHEN /* a lock taken once the mutex is free and the caller's condition holds */
} xop;

static const char *const op_names[] = {
    [OP_NONE] = "?",         [OP_LOCK] = "lock",   [OP_TRYLOCK] = "trylock",
    [OP_UNLOCK] = "unlock",  [OP_WAIT] = "wait",   [OP_WAKE] = "wake",
    [OP_SIGNAL] = "signal",  [OP_BROADCAST] = "broadcast", [OP_SPAWN] = "spawn",
    [OP_JOIN] = "join",      [OP_YIELD] = "yield", [OP_ACCESS] = "access",
    [OP_LOCK_WHEN] = "lock",
};

typedef enum { X_FREE, X_LIVE, X_DONE } xstate;

typedef struct xthread {
    unsigned index;
    const char *name;
    xstate state;
    bool has_fiber;
    rl__fiber fiber;
    rl_thread_fn fn;
    void *arg;
    /* the pending operation */
    xop op;
    void *obj;
    rl_mutex *wait_mutex; /* OP_WAIT / OP_WAKE */
    bool (*ready)(void *ctx); /* OP_LOCK_WHEN: when it can take the mutex */
    void *ready_ctx;
    const rl_cond *ready_cond; /* OP_LOCK_WHEN: what those who make it ready broadcast */
    bool signalled;    /* woken by a broadcast */
    uint64_t wait_seq; /* order of waiting: a signal can wake those waiting before it */
    bool after_yield;  /* its previous step was a yield */
    const rl_mutex *held[8]; /* the mutexes it holds, latest last (footprints only) */
    unsigned nheld;
    uint32_t spawned_at; /* its spawner's step + 1, until its first step */
    bool try_result;
    bool starting; /* running its prologue for its spawner */
    struct xthread *spawner;
    struct xthread *join_target;
    size_t last_step; /* trace index of its latest step, +1 (0: none) */
} xthread;

/* What the explorer keeps in an rl_mutex's storage. */
typedef struct {
    unsigned owner; /* thread index + 1, 0 when free */
} xmutex;
_Static_assert(sizeof(xmutex) <= RL_PLATFORM_STORAGE, "mutex storage");
#define XM(m) ((xmutex *)(void *)(m)->impl)

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
    unsigned nthreads;
    xthread *cur;
    /* this schedule */
    const rl_target *target;
    rl__chooser *chooser;
    rl__run *run;
    size_t step;
    uint64_t clock;
    rl__signals signals; /* signals not yet taken (core/signals.h) */
    rl__fair fair;       /* who waits for whom after a yield (core/fair.h) */
    bool preempted; /* the step being applied was a preemption */
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
    switch (t->op) {
    case OP_LOCK:
    case OP_LOCK_WHEN:
    case OP_TRYLOCK:
    case OP_UNLOCK: return ((rl_mutex *)t->obj)->name;
    case OP_WAIT:
    case OP_WAKE:
    case OP_SIGNAL:
    case OP_BROADCAST: return ((rl_cond *)t->obj)->name;
    case OP_SPAWN: return ((rl_thread *)t->obj)->name;
    case OP_JOIN: return t->join_target ? t->join_target->name : "?";
    case OP_ACCESS: return rl_access_name(t->obj);
    default: return "";
    }
}

/* A trace line for t's pending operation, in step X.step (the step t is
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
    s->index = (unsigned)X.step;
    s->thread = t->index;
    snprintf(s->thread_name, sizeof s->thread_name, "%s", t->name);
    const char *op = op_override ? op_override
                     : t->op == OP_ACCESS ? ((rl_access *)t->obj)->op
                                          : op_names[t->op];
    snprintf(s->op, sizeof s->op, "%s", op);
    snprintf(s->object, sizeof s->object, "%s", object_name(t));
    if (X.preempted)
        s->marks |= RL_MARK_PREEMPT;
    if (t->op == OP_TRYLOCK) {
        s->has_value = true;
        s->value = t->try_result;
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

/* The step being made (X.step - 1), or NULL before the first choice:
 * what main does before it is ordered before every other thread. */
static rl__step *current_step(void) {
    if (!X.footprints || X.step == 0)
        return NULL;
    return &X.steps[X.step - 1];
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
    uint64_t object = object_id(okind, name);
    for (unsigned i = 0; i < st->ntouch; i++)
        if (st->touch[i].addr == (uintptr_t)addr && st->touch[i].object == object &&
            st->touch[i].key == key) {
            /* one step touching a thing twice: a write over a read over a
             * needed read; for a mutex both taken and released, its acquire
             * (a release alone races with nothing blocking) */
            uint8_t was = st->touch[i].kind;
            if (was == RL_TOUCH_NEEDED || (was == RL_TOUCH_READ && kind != RL_TOUCH_NEEDED) ||
                (was == RL_TOUCH_RELEASE && kind != RL_TOUCH_RELEASE))
                st->touch[i].kind = kind;
            return;
        }
    if (st->ntouch == RL_EX_TOUCHES) {
        st->global = true; /* too much to list: dependent on everything */
        return;
    }
    rl__touch *t = &st->touch[st->ntouch++];
    *t = (rl__touch){.object = object, .addr = (uintptr_t)addr, .key = key, .kind = kind};
    /* the mutexes the thread holds: the latest ones, if more than fit
     * (fewer locks in common only means more races looked at) */
    if (me)
        for (unsigned i = me->nheld; i-- > 0 && t->nlocks < RL_EX_LOCKSET;)
            t->locks[t->nlocks++] = (uintptr_t)me->held[i];
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
    touch_id(me, OBJ_THREAD, "", &X.threads[0], t->index,
             write ? RL_TOUCH_WRITE : RL_TOUCH_READ);
}
static void touch_access(const xthread *me, const rl_access *a) {
    if (touch_target()) /* its name is looked up by its owner: only when due */
        touch_id(me, OBJ_ACCESS, rl_access_name(a), a->object, a->key,
                 a->kind == RL_ACCESS_READ ? RL_TOUCH_READ : RL_TOUCH_WRITE);
}

/* The running thread's mutexes, for the locks held at each touch. */
static void took(xthread *t, const rl_mutex *m) {
    if (X.footprints && t->nheld < sizeof t->held / sizeof t->held[0])
        t->held[t->nheld++] = m;
}
static void released(xthread *t, const rl_mutex *m) {
    for (unsigned i = t->nheld; i-- > 0;)
        if (t->held[i] == m) {
            memmove(&t->held[i], &t->held[i + 1], (t->nheld - i - 1) * sizeof t->held[0]);
            t->nheld--;
            return;
        }
}

/* Room for the record of step X.step (about to be made by t). */
static bool begin_step(const xthread *t) {
    if (!X.footprints)
        return true;
    if (X.step == X.steps_cap) {
        rl__step *bigger = rl__grow(X.steps, &X.steps_cap, sizeof *bigger, 1024);
        if (!bigger)
            return false;
        X.steps = bigger;
    }
    X.steps[X.step] = (rl__step){.thread = (uint8_t)t->index, .spawned_at = t->spawned_at};
    X.run->steps = X.steps;
    return true;
}


/* ---- signals ---- */

static size_t waiting_on(const rl_cond *c) {
    size_t n = 0;
    for (unsigned i = 0; i < X.nthreads; i++) {
        const xthread *w = &X.threads[i];
        n += w->state == X_LIVE && w->op == OP_WAKE && w->obj == c && !w->signalled;
    }
    return n;
}

static bool woken(const xthread *w) {
    return w->signalled || rl__signals_token_for(&X.signals, w->obj, w->wait_seq) >= 0;
}

/* ---- deciding ---- */

static bool can_go(const xthread *t) {
    if (t->state != X_LIVE)
        return false;
    switch (t->op) {
    case OP_LOCK: return XM((rl_mutex *)t->obj)->owner == 0;
    case OP_LOCK_WHEN: return XM((rl_mutex *)t->obj)->owner == 0 && t->ready(t->ready_ctx);
    case OP_WAKE: return woken(t) && XM(t->wait_mutex)->owner == 0;
    case OP_JOIN: return t->join_target->state == X_DONE;
    default: return true; /* the others never wait (OP_WAIT starts the waiting) */
    }
}

/* Runnable threads, fairly: a thread that yielded goes only after every
 * thread that could run when it yielded has moved (or cannot run), so a
 * spinner never starves the thread it waits for (CHESS's fair scheduler,
 * Musuvathi and Qadeer, PLDI 2008). */
static uint64_t enabled_mask(void) {
    uint64_t all = 0;
    for (unsigned i = 0; i < X.nthreads; i++)
        if (can_go(&X.threads[i]))
            all |= 1ull << i;
    return rl__fair_eager(&X.fair, all);
}

/* Deadlock: a trace line for what t is blocked on (no step number: it
 * never happened). */
static void record_blocked(xthread *t, const char *op, const char *object, const char *why) {
    if (!X.tracing)
        return;
    bool preempted = X.preempted;
    X.preempted = false;
    record(t, op);
    X.preempted = preempted;
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
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->state != X_LIVE || t == running || t->starting)
            continue;
        X.pending[n] = (rl__step){.thread = (uint8_t)t->index, .spawned_at = t->spawned_at};
        X.pending_into = &X.pending[n];
        switch (t->op) {
        case OP_LOCK:
        case OP_LOCK_WHEN: touch_mutex(t, t->obj, RL_TOUCH_ACQUIRE); break;
        case OP_WAKE:
            touch_mutex(t, t->wait_mutex, RL_TOUCH_ACQUIRE);
            touch_cond(t, t->obj, false);
            break;
        case OP_JOIN: touch_thread(t, t->join_target, false); break;
        case OP_TRYLOCK: touch_mutex(t, t->obj, RL_TOUCH_TRY); break;
        case OP_WAIT:
            touch_cond(t, t->obj, false);
            touch_mutex(t, t->wait_mutex, RL_TOUCH_RELEASE);
            break;
        case OP_ACCESS: touch_access(t, t->obj); break;
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
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->state != X_LIVE)
            continue;
        char part[160], why[96];
        if (t->op == OP_LOCK || (t->op == OP_WAKE && woken(t))) {
            rl_mutex *m = t->op == OP_LOCK ? t->obj : t->wait_mutex;
            unsigned owner = XM(m)->owner;
            const char *holder = owner ? X.threads[owner - 1].name : "nobody";
            snprintf(part, sizeof part, " %s waits for lock %s held by %s;", t->name, m->name,
                     holder);
            snprintf(why, sizeof why, "blocked: %s holds it", holder);
            record_blocked(t, t->op == OP_LOCK ? "lock" : "relock", m->name, why);
        } else if (t->op == OP_LOCK_WHEN && XM((rl_mutex *)t->obj)->owner) {
            rl_mutex *m = t->obj;
            const char *holder = X.threads[XM(m)->owner - 1].name;
            snprintf(part, sizeof part, " %s waits for lock %s held by %s;", t->name, m->name,
                     holder);
            snprintf(why, sizeof why, "blocked: %s holds it", holder);
            record_blocked(t, "lock", m->name, why);
        } else if (t->op == OP_LOCK_WHEN) { /* what it waits for never came */
            snprintf(part, sizeof part, " %s waits on %s, never ready;", t->name,
                     t->ready_cond->name);
            record_blocked(t, "wait", t->ready_cond->name, "blocked: never ready");
        } else if (t->op == OP_WAKE) {
            snprintf(part, sizeof part, " %s waits on %s, never signalled;", t->name,
                     ((rl_cond *)t->obj)->name);
            record_blocked(t, "wait", ((rl_cond *)t->obj)->name, "blocked: never signalled");
        } else if (t->op == OP_JOIN) {
            snprintf(part, sizeof part, " %s waits to join %s;", t->name, t->join_target->name);
            record_blocked(t, "join", t->join_target->name, "blocked: it has not ended");
        } else {
            snprintf(part, sizeof part, " %s is stuck at %s;", t->name, op_names[t->op]);
            record_blocked(t, op_names[t->op], object_name(t), "blocked");
        }
        if (strlen(msg) + strlen(part) < sizeof msg)
            strcat(msg, part);
    }
    size_t len = strlen(msg);
    if (msg[len - 1] == ';')
        msg[len - 1] = '\0';
    fail(RL_FAIL_DEADLOCK, "%s", msg);
}

/* Runnable threads that would take a signal's token, where another
 * runnable thread would take one of the same condition. */
static uint64_t contested(uint64_t enabled) {
    uint64_t out = 0;
    for (uint64_t e = enabled; e; e &= e - 1) {
        const xthread *a = &X.threads[__builtin_ctzll(e)];
        if (a->op != OP_WAKE || a->signalled)
            continue;
        for (uint64_t f = e & (e - 1); f; f &= f - 1) {
            const xthread *b = &X.threads[__builtin_ctzll(f)];
            if (b->op == OP_WAKE && !b->signalled && b->obj == a->obj)
                out |= 1ull << a->index | 1ull << b->index;
        }
    }
    return out;
}

/* A thread's name for the core's messages (core/fair.h). */
static const char *thread_name(void *ctx, unsigned i) {
    (void)ctx;
    return X.threads[i].name;
}

/* Choose the next thread, or return NULL when the schedule is over: every
 * thread ended, or none can go (a deadlock), or it ran too long. */
static xthread *decide(void) {
    uint64_t enabled = enabled_mask();
    if (enabled == 0) {
        bool all_done = true;
        for (unsigned i = 0; i < X.nthreads; i++)
            all_done &= X.threads[i].state != X_LIVE;
        if (!all_done)
            describe_deadlock();
        return NULL;
    }
    if (X.step >= X.max_steps) {
        /* fair to every thread and still not done: a livelock, naming the
         * threads that kept yielding */
        uint64_t live = 0;
        for (unsigned i = 0; i < X.nthreads; i++)
            live |= (uint64_t)(X.threads[i].state == X_LIVE) << i;
        char text[256];
        rl__fair_livelock_text(&X.fair, live, X.max_steps, thread_name, NULL, text, sizeof text);
        fail(RL_FAIL_LIVELOCK, "%s", text);
        return NULL;
    }
    int current = rl__choice_current(enabled, 0, X.cur ? (int)X.cur->index : -1);
    if (X.footprints)
        X.run->contested = contested(enabled);
    /* no timed operations in-process: nothing is lazy */
    unsigned asked = X.chooser->choose(X.chooser, X.step, enabled, 0, current);
    rl__choice ch = rl__choice_fit(enabled, 0, current, asked);
    if (!ch.fits && !X.run->no_fit) {
        /* the chooser asked for a thread that cannot go: remember it and go
         * on in the default order, so the run still ends and frees what
         * it allocated */
        X.run->no_fit = true;
        rl__choice_no_fit_text(X.run->message, sizeof X.run->message, "target", X.step, asked,
                               enabled);
    }
    unsigned n = ch.chosen;
    if (X.step == X.decisions_cap) {
        rl__decision *bigger = rl__grow(X.decisions, &X.decisions_cap, sizeof *bigger, 1024);
        if (!bigger) {
            fail(RL_FAIL_ERROR, "out of memory recording the schedule");
            return NULL;
        }
        X.decisions = bigger;
    }
    if (!begin_step(&X.threads[n])) {
        fail(RL_FAIL_ERROR, "out of memory recording the schedule");
        return NULL;
    }
    X.decisions[X.step] = ch.decision;
    X.preempted = ch.preempted;
    X.run->preemptions += X.preempted;
    X.step++;
    return &X.threads[n];
}

/* Apply t's pending operation. Returns false when t completed it without
 * running (it started to wait), so another choice is due. */
static bool apply(xthread *t) {
    rl__fair_moved(&X.fair, X.nthreads, t->index);
    t->spawned_at = 0;
    rl__step *st = current_step();
    if (st && (t->op == OP_YIELD || t->after_yield))
        st->global = true; /* a yield lets the others go first: it depends on all of them */
    t->after_yield = false;
    switch (t->op) {
    case OP_LOCK:
    case OP_LOCK_WHEN:
        XM((rl_mutex *)t->obj)->owner = t->index + 1;
        touch_mutex(t, t->obj, RL_TOUCH_ACQUIRE);
        took(t, t->obj);
        break;
    case OP_TRYLOCK: {
        touch_mutex(t, t->obj, RL_TOUCH_TRY);
        xmutex *m = XM((rl_mutex *)t->obj);
        t->try_result = m->owner == 0;
        if (t->try_result) {
            m->owner = t->index + 1;
            took(t, t->obj);
        }
        break;
    }
    case OP_WAIT:
        record(t, NULL);
        touch_cond(t, t->obj, false);
        touch_mutex(t, t->wait_mutex, RL_TOUCH_RELEASE);
        released(t, t->wait_mutex);
        XM(t->wait_mutex)->owner = 0;
        t->op = OP_WAKE;
        t->signalled = false;
        t->wait_seq = rl__signals_wait(&X.signals);
        return false;
    case OP_WAKE:
        if (!t->signalled) /* it was chosen, so it has a token */
            (void)rl__signals_take(&X.signals, t->obj, t->wait_seq);
        XM(t->wait_mutex)->owner = t->index + 1;
        touch_mutex(t, t->wait_mutex, RL_TOUCH_ACQUIRE);
        took(t, t->wait_mutex);
        touch_cond(t, t->obj, false);
        break;
    case OP_YIELD: {
        /* it goes again only after those that can run now have moved */
        uint64_t could_go = 0;
        for (unsigned i = 0; i < X.nthreads; i++)
            could_go |= (uint64_t)can_go(&X.threads[i]) << i;
        rl__fair_yielded(&X.fair, t->index, could_go, X.step); /* step: already counted */
        t->after_yield = true;
        break;
    }
    case OP_JOIN: touch_thread(t, t->join_target, false); break;
    case OP_ACCESS: touch_access(t, t->obj); break;
    default: break;
    }
    record(t, NULL);
    return true;
}

/* On t's fiber, with t's operation pending: let the scheduler decide, and
 * return once t has been chosen and its operation applied. */
static void schedule_from(xthread *t) {
    for (;;) {
        xthread *n = decide();
        if (!n)
            end_schedule(false); /* t is stuck where it stands */
        if (!apply(n))
            continue;
        if (n == t)
            return;
        X.cur = n;
        rl__fiber_switch(&t->fiber, &n->fiber, false);
        return; /* resumed: somebody chose t */
    }
}

/* A visible operation of the running thread. */
static void point(xop op, void *obj) {
    xthread *t = X.cur;
    t->op = op;
    t->obj = obj;
    if (t->starting) {
        /* end of the prologue: hand control back to the spawner; t goes on
         * when the scheduler chooses it */
        t->starting = false;
        X.cur = t->spawner;
        rl__fiber_switch(&t->fiber, &t->spawner->fiber, false);
        return;
    }
    schedule_from(t);
}

/* An operation that takes effect within the current step (see the top). */
static void immediate(xop op, void *obj) {
    xthread *t = X.cur;
    xop pending = t->op;
    void *pending_obj = t->obj;
    t->op = op;
    t->obj = obj;
    bool preempted = X.preempted;
    X.preempted = false;
    record(t, NULL);
    X.preempted = preempted;
    t->op = pending;
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
    t->state = X_DONE;
    touch_thread(t, t, true);
    t->op = OP_NONE;
    if (t->starting) {
        /* ended within its prologue */
        t->starting = false;
        X.cur = t->spawner;
        rl__fiber_switch(&t->fiber, &t->spawner->fiber, true);
    }
    for (;;) {
        xthread *n = decide();
        if (!n)
            end_schedule(true); /* from here no instrumented frame is left */
        if (!apply(n))
            continue;
        X.cur = n;
        rl__fiber_switch(&t->fiber, &n->fiber, true);
    }
}

static xthread *new_thread(const char *name, rl_thread_fn fn, void *arg) {
    if (X.nthreads == RL_EX_MAX_THREADS)
        unsupported("the explorer supports at most %d threads; the target started a %dth (%s)",
                    RL_EX_MAX_THREADS, RL_EX_MAX_THREADS + 1, name);
    xthread *t = &X.threads[X.nthreads];
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
    t->index = X.nthreads++;
    t->name = name;
    t->state = X_LIVE;
    t->fn = fn;
    t->arg = arg;
    rl__fiber_prepare(&t->fiber, thread_entry, t);
    return t;
}

static rl_err ex_thread_create(rl_thread *h, rl_thread_fn fn, void *arg) {
    immediate(OP_SPAWN, h);
    xthread *me = X.cur;
    touch_id(X.cur, OBJ_SPAWN, "", &X.nthreads, 0, RL_TOUCH_WRITE);
    xthread *child = new_thread(h->name, fn, arg);
    child->spawned_at = (uint32_t)X.step;
    h->id = child->index + 1;
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
    X.cur->join_target = target;
    point(OP_JOIN, h);
}

static unsigned ex_thread_self(void) { return X.cur ? X.cur->index + 1 : 0; }

/* ---- mutexes and conditions ---- */

static rl_err ex_mutex_init(rl_mutex *m) {
    XM(m)->owner = 0;
    return RL_OK;
}
static void ex_mutex_destroy(rl_mutex *m) { (void)m; }
static void ex_mutex_lock(rl_mutex *m) { point(OP_LOCK, m); }
static void ex_mutex_lock_when(rl_mutex *m, rl_cond *c, bool (*ready)(void *), void *ctx) {
    X.cur->ready = ready;
    X.cur->ready_ctx = ctx;
    X.cur->ready_cond = c;
    point(OP_LOCK_WHEN, m);
}
static bool ex_mutex_trylock(rl_mutex *m) {
    point(OP_TRYLOCK, m);
    return X.cur->try_result;
}
static void ex_mutex_unlock(rl_mutex *m) {
    XM(m)->owner = 0;
    touch_mutex(X.cur, m, RL_TOUCH_RELEASE);
    released(X.cur, m);
    immediate(OP_UNLOCK, m);
}

static rl_err ex_cond_init(rl_cond *c) {
    (void)c;
    return RL_OK;
}
static void ex_cond_destroy(rl_cond *c) { (void)c; }
static void ex_cond_wait(rl_cond *c, rl_mutex *m) {
    X.cur->wait_mutex = m;
    point(OP_WAIT, c); /* returns once signalled and holding m again */
}
static void ex_cond_signal(rl_cond *c) {
    /* a signal wakes one of the threads waiting now, the schedule chooses
     * which: it leaves a token that any of them may take (none waiting, or
     * all of them already sure to wake: it is lost, as with pthreads) */
    if (!rl__signals_send(&X.signals, c, (uint32_t)waiting_on(c)))
        rl_fatal("internal: more signals pending than threads waiting");
    touch_cond(X.cur, c, false);
    immediate(OP_SIGNAL, c);
}

static void ex_cond_broadcast(rl_cond *c) {
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *w = &X.threads[i];
        if (w->state == X_LIVE && w->op == OP_WAKE && w->obj == c)
            w->signalled = true;
    }
    rl__signals_broadcast(&X.signals, c); /* every waiter is awake now */
    touch_cond(X.cur, c, true);
    immediate(OP_BROADCAST, c);
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

static void ex_yield(void) { point(OP_YIELD, NULL); }
static uint64_t ex_now(void) { return X.clock; }

static void ex_access_begin(rl_access *a) { point(OP_ACCESS, a); }

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
    fail(RL_FAIL_INVARIANT, "%s at step %zu: %s", X.cur->name, X.step, message);
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
    for (unsigned i = 0; i < X.nthreads; i++)
        if (X.threads[i].state == X_LIVE)
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
    X.step = 0;
    X.clock = 0;
    rl__signals_reset(&X.signals);
    rl__fair_reset(&X.fair);
    X.nthreads = 0;
    X.tracing = trace;
    X.nwrites = 0;
    X.preempted = false;
    X.footprints = c->footprints;
    c->live = out;
    xthread *root = new_thread("main", root_entry, NULL);
    X.cur = root;
    rl__fiber_switch(&X.main, &root->fiber, false);
    /* back here when the schedule ended, one way or another */
    out->decisions = X.decisions;
    out->nsteps = X.step;
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
