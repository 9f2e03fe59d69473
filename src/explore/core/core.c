/* core.c - the scheduling core: see core.h. */
#include "core.h"

#include <stdio.h>
#include <string.h>

#include "frames.h"

void rl__core_reset(rl__core *c) {
    c->nthreads = 0;
    c->cur = -1;
    c->step = 0;
    c->preempted = false;
    c->no_fit = false;
    c->awaiting = 0;
    rl__signals_reset(&c->signals);
    rl__fair_reset(&c->fair);
}

void rl__core_new_thread(rl__core *c, rl__core_thread *t, uint32_t slot, uint8_t op) {
    memset(t, 0, sizeof *t);
    t->index = slot;
    t->state = RL_CORE_LIVE;
    t->op = op;
    c->threads[slot] = t;
    rl__fair_new_thread(&c->fair, c->nthreads, slot); /* nobody waits for the slot's new thread */
    if (slot >= c->nthreads)
        c->nthreads = slot + 1;
}

uint64_t rl__core_live(const rl__core *c) {
    uint64_t live = 0;
    for (uint32_t i = 0; i < c->nthreads; i++)
        live |= (uint64_t)(c->threads[i]->state == RL_CORE_LIVE) << i;
    return live;
}

bool rl__core_woken(const rl__core *c, const rl__core_thread *t) {
    return t->signalled || rl__signals_token_for(&c->signals, t->o, t->wait_seq) >= 0;
}

/* Whether t could take mutex (or spin lock) o now. */
static bool lock_free(const rl__core_obj *o, const rl__core_thread *t) {
    return o->owner == 0 || (o->recursive && o->owner == t->index + 1);
}

bool rl__core_can_go(const rl__core *c, const rl__core_thread *t, bool timeouts) {
    if (t->state != RL_CORE_LIVE)
        return false;
    const rl__core_obj *o = t->o;
    switch (t->op) {
    case RL_POP_LOCK:
    case RL_POP_SPINLOCK: return lock_free(o, t);
    case RL_POP_TIMEDLOCK: return lock_free(o, t) || timeouts;
    case RL_POP_LOCK_WHEN: return o->owner == 0 && t->ready(t->ready_ctx);
    case RL_POP_RDLOCK: return o->owner == 0;
    case RL_POP_WRLOCK: return o->owner == 0 && o->count == 0;
    case RL_POP_TIMEDRDLOCK: return o->owner == 0 || timeouts;
    case RL_POP_TIMEDWRLOCK: return (o->owner == 0 && o->count == 0) || timeouts;
    case RL_POP_WAKE:
        return t->wait_mutex->owner == 0 && (rl__core_woken(c, t) || (t->timed && timeouts));
    case RL_POP_SEMWAIT: return o->count > 0;
    case RL_POP_SEMTIMED: return o->count > 0 || timeouts;
    case RL_POP_BARRIER: return o->generation > t->barrier_gen;
    case RL_POP_ONCE: return o->once != 1;
    case RL_POP_JOIN: return c->threads[t->join_target]->state == RL_CORE_DONE;
    case RL_POP_READ:
    case RL_POP_WRITE:
    case RL_POP_ACCEPT:
    case RL_POP_POLL:
    case RL_POP_SELECT:
    case RL_POP_EPOLL:
    case RL_POP_WAITPID:
        return !c->hooks->other_can_go || c->hooks->other_can_go(c->ctx, t, timeouts);
    default: return true; /* the others never wait (a wait starts waiting) */
    }
}

uint64_t rl__core_enabled(rl__core *c, uint64_t *lazy) {
    uint64_t all = 0;
    *lazy = 0;
    for (uint32_t i = 0; i < c->nthreads; i++)
        if (c->awaiting >> i & 1u)
            continue; /* until what it read changes, or nobody else can go */
        else if (rl__core_can_go(c, c->threads[i], false))
            all |= 1ull << i;
        else if (rl__core_can_go(c, c->threads[i], true))
            *lazy |= 1ull << i;
    if (!all && !*lazy && c->hooks->outside_ready)
        all = c->hooks->outside_ready(c->ctx);
    /* fairly: a thread that yielded (or slept) twice goes only after every
     * thread that could run all along since the first has moved (core/fair.h) */
    rl__fair_seen(&c->fair, c->nthreads, all);
    return rl__fair_eager(&c->fair, all) | *lazy;
}

bool rl__core_took(const rl__core_thread *t, const rl__core_obj *o) {
    switch (t->op) {
    case RL_POP_LOCK:
    case RL_POP_LOCK_WHEN:
    case RL_POP_TRYLOCK:
    case RL_POP_TIMEDLOCK:
    case RL_POP_SPINLOCK:
    case RL_POP_SPINTRY:
    case RL_POP_RDLOCK:
    case RL_POP_WRLOCK:
    case RL_POP_TRYRDLOCK:
    case RL_POP_TRYWRLOCK:
    case RL_POP_TIMEDRDLOCK:
    case RL_POP_TIMEDWRLOCK: return t->o == o;
    case RL_POP_WAKE: return t->wait_mutex == o;
    default: return false;
    }
}

bool rl__core_signal(rl__core *c, const rl__core_obj *o) {
    uint32_t waiting = 0; /* waiters on o not yet sure to wake */
    for (uint32_t i = 0; i < c->nthreads; i++) {
        const rl__core_thread *w = c->threads[i];
        waiting += w->state == RL_CORE_LIVE && w->op == RL_POP_WAKE && w->o == o && !w->signalled;
    }
    return rl__signals_send(&c->signals, o, waiting);
}

void rl__core_broadcast(rl__core *c, const rl__core_obj *o) {
    for (uint32_t i = 0; i < c->nthreads; i++) {
        rl__core_thread *w = c->threads[i];
        if (w->state == RL_CORE_LIVE && w->op == RL_POP_WAKE && w->o == o)
            w->signalled = true;
    }
    rl__signals_broadcast(&c->signals, o); /* every waiter is awake now */
}

/* Thread index + 1 takes the lock o (once more, if recursive). */
static void take(rl__core_obj *o, uint32_t me) {
    o->owner = me;
    o->count++;
}

/* t yields: it goes again only after those that could run all along since
 * its previous yield, and can now, have moved. */
static void yielded(rl__core *c, rl__core_thread *t) {
    uint64_t could_go = 0;
    for (uint32_t i = 0; i < c->nthreads; i++)
        could_go |= (uint64_t)rl__core_can_go(c, c->threads[i], false) << i;
    rl__fair_yielded(&c->fair, t->index, could_go, c->step); /* step: already counted */
}

bool rl__core_apply(rl__core *c, rl__core_thread *t, bool timed_out) {
    rl__fair_moved(&c->fair, c->nthreads, t->index);
    c->awaiting &= ~(1ull << t->index); /* it goes: whether woken or as the last one left */
    rl__core_obj *o = t->o;
    uint32_t me = t->index + 1;
    t->timed_out = false;
    switch (t->op) {
    case RL_POP_LOCK:
    case RL_POP_SPINLOCK:
    case RL_POP_LOCK_WHEN:
    case RL_POP_TIMEDLOCK:
        if (lock_free(o, t))
            take(o, me);
        else
            t->timed_out = true; /* only a timed lock gets here: it timed out */
        break;
    case RL_POP_TRYLOCK:
    case RL_POP_SPINTRY:
        t->result_ok = t->op == RL_POP_TRYLOCK ? lock_free(o, t) : o->owner == 0;
        if (t->result_ok)
            take(o, me);
        break;
    case RL_POP_RDLOCK:
    case RL_POP_TRYRDLOCK:
    case RL_POP_TIMEDRDLOCK:
        t->result_ok = o->owner == 0;
        t->timed_out = t->op == RL_POP_TIMEDRDLOCK && timed_out;
        if (t->result_ok && !t->timed_out)
            o->count++;
        break;
    case RL_POP_WRLOCK:
    case RL_POP_TRYWRLOCK:
    case RL_POP_TIMEDWRLOCK:
        t->result_ok = o->owner == 0 && o->count == 0;
        t->timed_out = t->op == RL_POP_TIMEDWRLOCK && timed_out;
        if (t->result_ok && !t->timed_out)
            o->owner = me;
        break;
    case RL_POP_WAIT:
    case RL_POP_TIMEDWAIT:
        /* release the mutex (all of its depth) and wait */
        t->wait_depth = t->wait_mutex->count;
        t->wait_mutex->owner = 0;
        t->wait_mutex->count = 0;
        t->timed = t->op == RL_POP_TIMEDWAIT;
        t->op = RL_POP_WAKE;
        t->signalled = false;
        t->wait_seq = rl__signals_wait(&c->signals);
        return false;
    case RL_POP_WAKE:
        t->wait_mutex->owner = me;
        t->wait_mutex->count = t->wait_depth;
        if (!t->signalled && rl__signals_take(&c->signals, t->o, t->wait_seq))
            t->signalled = true; /* it takes a signal: no time-out */
        t->timed_out = !t->signalled && timed_out;
        break;
    case RL_POP_SEMWAIT:
    case RL_POP_SEMTRY:
    case RL_POP_SEMTIMED:
        t->result_ok = o->count > 0;
        if (t->result_ok)
            o->count--;
        else
            t->timed_out = t->op == RL_POP_SEMTIMED;
        break;
    case RL_POP_ONCE:
        t->run_once = o->once == 0;
        if (t->run_once)
            o->once = 1;
        break;
    case RL_POP_LOAD:
    case RL_POP_ATOMIC:
        if (t->spinning) /* a spin not woken by a change: it makes way */
            yielded(c, t);
        break;
    case RL_POP_YIELD:
    case RL_POP_SLEEP: yielded(c, t); break;
    case RL_POP_POLL:
    case RL_POP_SELECT:
    case RL_POP_EPOLL: t->timed_out = timed_out; break;
    default: break;
    }
    return true;
}

/* Who goes next, counted as a step; does not return when the schedule is
 * over (on an ended thread's way out: see frames.h). */
RL_FIBER_PLUMBING static rl__core_thread *decide(rl__core *c, rl__core_thread *caller, bool exiting,
                                                 bool *timed_out) {
    const rl__core_hooks *h = c->hooks;
    if (h->refresh)
        h->refresh(c->ctx);
    uint64_t lazy;
    uint64_t enabled = rl__core_enabled(c, &lazy);
    while (enabled == 0 && h->await_outside && h->await_outside(c->ctx))
        enabled = rl__core_enabled(c, &lazy);
    if (enabled == 0) /* only spinners can go: their reads are all that is left */
        enabled = c->awaiting;
    rl__core_end why = RL_CORE_LIVELOCK;
    if (enabled == 0)
        why = rl__core_live(c) ? RL_CORE_DEADLOCK : RL_CORE_ALL_DONE;
    if (enabled == 0 || c->step >= c->max_steps) {
        /* past max_steps, fair to every thread and still not done: a livelock */
        h->end(c->ctx, why, caller, exiting);
        __builtin_trap(); /* the front end never comes back */
    }
    int current = rl__choice_current(enabled, lazy, c->cur);
    unsigned asked = h->choose(c->ctx, c->step, enabled, lazy, current);
    rl__choice ch = rl__choice_fit(enabled, lazy, current, asked);
    if (!ch.fits && !c->no_fit) {
        /* remember it and go on in the default order, so the run still
         * ends (and frees what it allocated) */
        c->no_fit = true;
        h->no_fit(c->ctx, c->step, asked, enabled);
    }
    if (!h->record(c->ctx, &ch)) {
        h->end(c->ctx, RL_CORE_NO_ROOM, caller, exiting);
        __builtin_trap();
    }
    c->preempted = ch.preempted;
    c->step++;
    *timed_out = ch.timed_out;
    return c->threads[ch.chosen];
}

void rl__core_schedule_from(rl__core *c, rl__core_thread *t) {
    for (;;) {
        bool timed_out;
        rl__core_thread *n = decide(c, t, false, &timed_out);
        if (n != t && c->hooks->passed_over)
            c->hooks->passed_over(c->ctx, t, n);
        if (!c->hooks->apply(c->ctx, n, timed_out))
            continue; /* it began to wait: choose again */
        if (n == t)
            return;
        c->cur = (int)n->index;
        c->hooks->switch_to(c->ctx, t, n, false);
        return; /* resumed: somebody chose t, and applied its operation */
    }
}

RL_FIBER_PLUMBING void rl__core_hand_on(rl__core *c, rl__core_thread *t) {
    rl__core_thread *n;
    bool timed_out;
    do
        n = decide(c, t, true, &timed_out);
    while (!c->hooks->apply(c->ctx, n, timed_out));
    c->cur = (int)n->index;
    c->hooks->switch_to(c->ctx, t, n, true);
}

rl__blocked rl__core_blocked(const rl__core *c, const rl__core_thread *t) {
    const rl__core_obj *o = t->o;
    if (t->op == RL_POP_JOIN)
        return (rl__blocked){RL_BLOCKED_JOIN, NULL, (int)t->join_target};
    if (t->op == RL_POP_WAKE && !rl__core_woken(c, t))
        return (rl__blocked){RL_BLOCKED_UNSIGNALLED, o, -1};
    if (t->op == RL_POP_WAKE)
        return (rl__blocked){RL_BLOCKED_RELOCK, t->wait_mutex, (int)t->wait_mutex->owner - 1};
    if (t->op == RL_POP_LOCK_WHEN && o->owner == 0)
        return (rl__blocked){RL_BLOCKED_UNREADY, o, -1};
    if (o && o->owner)
        return (rl__blocked){RL_BLOCKED_HELD, o, (int)o->owner - 1};
    return (rl__blocked){RL_BLOCKED_IN, o, -1};
}

void rl__core_blocked_text(const rl__core_thread *t, const rl__blocked *b, const char *who,
                           const char *object, const char *other, char *out, size_t cap) {
    const char *op = rl__pop_name(t->op);
    switch (b->why) {
    case RL_BLOCKED_HELD:
        snprintf(out, cap, "%s waits for %s %s held by %s", who, op, object, other);
        break;
    case RL_BLOCKED_RELOCK:
        snprintf(out, cap, "%s waits to take back mutex %s held by %s", who, object, other);
        break;
    case RL_BLOCKED_UNSIGNALLED:
        snprintf(out, cap, "%s waits on condition %s, never signalled", who, object);
        break;
    case RL_BLOCKED_UNREADY: snprintf(out, cap, "%s waits on %s, never ready", who, object); break;
    case RL_BLOCKED_JOIN: snprintf(out, cap, "%s waits to join %s", who, other); break;
    default: snprintf(out, cap, "%s waits in %s %s", who, op, object); break;
    }
}

void rl__core_blocked_note(const rl__blocked *b, const char *other, char *out, size_t cap) {
    switch (b->why) {
    case RL_BLOCKED_HELD:
    case RL_BLOCKED_RELOCK: snprintf(out, cap, "blocked: %s holds it", other); break;
    case RL_BLOCKED_UNSIGNALLED: snprintf(out, cap, "blocked: never signalled"); break;
    case RL_BLOCKED_UNREADY: snprintf(out, cap, "blocked: never ready"); break;
    case RL_BLOCKED_JOIN: snprintf(out, cap, "blocked: it has not ended"); break;
    default: snprintf(out, cap, "blocked"); break;
    }
}

uint64_t rl__core_contested(const rl__core *c, uint64_t enabled) {
    uint64_t out = 0;
    for (uint64_t e = enabled; e; e &= e - 1) {
        const rl__core_thread *a = c->threads[__builtin_ctzll(e)];
        if (a->op != RL_POP_WAKE || a->signalled)
            continue;
        for (uint64_t f = e & (e - 1); f; f &= f - 1) {
            const rl__core_thread *b = c->threads[__builtin_ctzll(f)];
            if (b->op == RL_POP_WAKE && !b->signalled && b->o == a->o)
                out |= 1ull << a->index | 1ull << b->index;
        }
    }
    return out;
}
