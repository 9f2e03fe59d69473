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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore_impl.h"
#include "fiber.h"

#define STACK_SIZE (256 * 1024)

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
    OP_ACCESS
} xop;

static const char *const op_names[] = {
    [OP_NONE] = "?",         [OP_LOCK] = "lock",   [OP_TRYLOCK] = "trylock",
    [OP_UNLOCK] = "unlock",  [OP_WAIT] = "wait",   [OP_WAKE] = "wake",
    [OP_SIGNAL] = "signal",  [OP_BROADCAST] = "broadcast", [OP_SPAWN] = "spawn",
    [OP_JOIN] = "join",      [OP_YIELD] = "yield", [OP_ACCESS] = "access",
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
    bool signalled;
    uint64_t wait_seq; /* order of waiting, for signal */
    bool try_result;
    bool yielded;
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
    uint64_t wait_seq;
    bool preempted; /* the step being applied was a preemption */
    rl__decision *decisions;
    size_t decisions_cap;
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
        size_t cap = X.trace_cap ? 2 * X.trace_cap : 256;
        rl_trace_step *bigger = realloc(X.trace, cap * sizeof *bigger);
        if (!bigger) {
            X.tracing = false; /* no memory for the trace: keep exploring without it */
            return;
        }
        X.trace = bigger;
        X.trace_cap = cap;
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
        size_t cap = X.writes_cap ? 2 * X.writes_cap : 16;
        last_write *bigger = realloc(X.writes, cap * sizeof *bigger);
        if (!bigger)
            return;
        X.writes = bigger;
        X.writes_cap = cap;
    }
    X.writes[X.nwrites++] = (last_write){a->object, a->key, step};
}

static size_t last_write_step(const rl_access *a) {
    for (size_t i = 0; i < X.nwrites; i++)
        if (X.writes[i].object == a->object && X.writes[i].key == a->key)
            return X.writes[i].step;
    return 0;
}

/* ---- deciding ---- */

static bool can_go(const xthread *t) {
    if (t->state != X_LIVE)
        return false;
    switch (t->op) {
    case OP_LOCK: return XM((rl_mutex *)t->obj)->owner == 0;
    case OP_WAKE: return t->signalled && XM(t->wait_mutex)->owner == 0;
    case OP_JOIN: return t->join_target->state == X_DONE;
    default: return true; /* the others never wait (OP_WAIT starts the waiting) */
    }
}

static uint64_t enabled_mask(void) {
    uint64_t all = 0, eager = 0;
    for (unsigned i = 0; i < X.nthreads; i++)
        if (can_go(&X.threads[i])) {
            all |= 1ull << i;
            if (!X.threads[i].yielded)
                eager |= 1ull << i;
        }
    /* a thread that yielded lets any other runnable thread go first */
    return eager ? eager : all;
}

static void describe_deadlock(void) {
    char msg[512] = "deadlock:";
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *t = &X.threads[i];
        if (t->state != X_LIVE)
            continue;
        char part[160];
        if (t->op == OP_LOCK || (t->op == OP_WAKE && t->signalled)) {
            rl_mutex *m = t->op == OP_LOCK ? t->obj : t->wait_mutex;
            unsigned owner = XM(m)->owner;
            snprintf(part, sizeof part, " %s waits for lock %s held by %s;", t->name, m->name,
                     owner ? X.threads[owner - 1].name : "nobody");
        } else if (t->op == OP_WAKE) {
            snprintf(part, sizeof part, " %s waits on %s, never signalled;", t->name,
                     ((rl_cond *)t->obj)->name);
        } else if (t->op == OP_JOIN) {
            snprintf(part, sizeof part, " %s waits to join %s;", t->name, t->join_target->name);
        } else {
            snprintf(part, sizeof part, " %s is stuck at %s;", t->name, op_names[t->op]);
        }
        if (strlen(msg) + strlen(part) < sizeof msg)
            strcat(msg, part);
        if (X.tracing && t->last_step)
            X.trace[t->last_step - 1].marks |= RL_MARK_BLOCKED;
    }
    size_t len = strlen(msg);
    if (msg[len - 1] == ';')
        msg[len - 1] = '\0';
    fail(RL_FAIL_DEADLOCK, "%s", msg);
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
        fail(RL_FAIL_LIVELOCK, "the schedule did not end within %llu steps",
             (unsigned long long)X.max_steps);
        return NULL;
    }
    int current = (X.cur && can_go(X.cur) && (enabled >> X.cur->index & 1u)) ? (int)X.cur->index
                                                                             : -1;
    unsigned n = X.chooser->choose(X.chooser, X.step, enabled, current);
    if (n >= RL_EX_MAX_THREADS || !(enabled >> n & 1u)) {
        /* the chooser asked for a thread that cannot go: remember it and go
         * on in the default order, so the run still ends and frees what
         * it allocated */
        if (!X.run->no_fit) {
            X.run->no_fit = true;
            char runnable[128] = "";
            for (unsigned i = 0; i < X.nthreads; i++)
                if (enabled >> i & 1u)
                    snprintf(runnable + strlen(runnable), sizeof runnable - strlen(runnable),
                             "%s%u", *runnable ? ", " : "", i);
            snprintf(X.run->message, sizeof X.run->message,
                     "the schedule does not fit this target: at step %zu thread %u cannot go "
                     "(runnable: %s)",
                     X.step + 1, n, runnable);
        }
        n = rl__default_choice(enabled, current);
    }
    if (X.step == X.decisions_cap) {
        size_t cap = X.decisions_cap ? 2 * X.decisions_cap : 1024;
        rl__decision *bigger = realloc(X.decisions, cap * sizeof *bigger);
        if (!bigger) {
            fail(RL_FAIL_ERROR, "out of memory recording the schedule");
            return NULL;
        }
        X.decisions = bigger;
        X.decisions_cap = cap;
    }
    X.decisions[X.step] = (rl__decision){.enabled = enabled, .current = (int8_t)current,
                                         .chosen = (uint8_t)n};
    X.preempted = current >= 0 && (unsigned)current != n;
    X.run->preemptions += X.preempted;
    X.step++;
    return &X.threads[n];
}

/* Apply t's pending operation. Returns false when t completed it without
 * running (it started to wait), so another choice is due. */
static bool apply(xthread *t) {
    for (unsigned i = 0; i < X.nthreads; i++)
        if (&X.threads[i] != t)
            X.threads[i].yielded = false; /* somebody else moved */
    switch (t->op) {
    case OP_LOCK: XM((rl_mutex *)t->obj)->owner = t->index + 1; break;
    case OP_TRYLOCK: {
        xmutex *m = XM((rl_mutex *)t->obj);
        t->try_result = m->owner == 0;
        if (t->try_result)
            m->owner = t->index + 1;
        break;
    }
    case OP_WAIT:
        record(t, NULL);
        XM(t->wait_mutex)->owner = 0;
        t->op = OP_WAKE;
        t->signalled = false;
        t->wait_seq = ++X.wait_seq;
        return false;
    case OP_WAKE: XM(t->wait_mutex)->owner = t->index + 1; break;
    case OP_YIELD: t->yielded = true; break;
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

RL_FIBER_PLUMBING static void thread_entry(void *arg) {
    xthread *t = arg;
    t->fn(t->arg);
    t->state = X_DONE;
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
        rl_fatal("the explorer supports at most %d threads", RL_EX_MAX_THREADS);
    xthread *t = &X.threads[X.nthreads];
    if (!t->has_fiber) {
        if (rl__fiber_alloc(&t->fiber, STACK_SIZE) != RL_OK)
            rl_fatal("the explorer could not allocate a thread stack");
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
    xthread *child = new_thread(h->name, fn, arg);
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
static bool ex_mutex_trylock(rl_mutex *m) {
    point(OP_TRYLOCK, m);
    return X.cur->try_result;
}
static void ex_mutex_unlock(rl_mutex *m) {
    XM(m)->owner = 0;
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
    xthread *oldest = NULL;
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *w = &X.threads[i];
        if (w->state == X_LIVE && w->op == OP_WAKE && w->obj == c && !w->signalled &&
            (!oldest || w->wait_seq < oldest->wait_seq))
            oldest = w;
    }
    if (oldest)
        oldest->signalled = true;
    immediate(OP_SIGNAL, c);
}

static void ex_cond_broadcast(rl_cond *c) {
    for (unsigned i = 0; i < X.nthreads; i++) {
        xthread *w = &X.threads[i];
        if (w->state == X_LIVE && w->op == OP_WAKE && w->obj == c)
            w->signalled = true;
    }
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
    X.wait_seq = 0;
    X.nthreads = 0;
    X.tracing = trace;
    X.nwrites = 0;
    X.preempted = false;
    xthread *root = new_thread("main", root_entry, NULL);
    X.cur = root;
    rl__fiber_switch(&X.main, &root->fiber, false);
    /* back here when the schedule ended, one way or another */
    out->decisions = X.decisions;
    out->nsteps = X.step;
    out->trace = X.trace;
    X.run = NULL;
}

rl_err rl__sched_open(uint64_t max_steps) {
    if (X.open)
        return RL_EBUSY;
    X.open = true;
    X.max_steps = max_steps;
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
        .access_end = ex_access_end,
        .note = ex_note,
        .fatal = ex_fatal,
        .broken = ex_broken,
    };
    rl__fiber_main(&X.main);
    X.previous = rl_platform_install(&X.table);
    return RL_OK;
}

void rl__sched_close(void) {
    if (!X.open)
        return;
    rl_platform_install(X.previous);
    for (unsigned i = 0; i < RL_EX_MAX_THREADS; i++)
        if (X.threads[i].has_fiber)
            rl__fiber_free(&X.threads[i].fiber);
    free(X.decisions);
    free(X.trace);
    free(X.writes);
    memset(&X, 0, sizeof X);
}
