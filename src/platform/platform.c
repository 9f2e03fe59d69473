/* platform.c - dispatch through the installed table, plus the checks that
 * hold whatever the table: owner tracking, table mismatch, fatal errors. */
#include "annotate.h"
#include "platform_impl.h"
#include "racelab/platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Written only while no platform thread runs (see rl_platform_install), so
 * a plain pointer is enough: thread creation orders it before every read. */
static const rl_platform *current;

const rl_platform *rl_platform_current(void) {
    return current ? current : rl_platform_pthreads();
}

const rl_platform *rl_platform_install(const rl_platform *p) {
    unsigned running = rl__pthreads_running();
    if (running)
        rl_fatal("rl_platform_install: %u platform thread%s still running; install a table "
                 "only while none runs (join them first)",
                 running, running == 1 ? " is" : "s are");
    const rl_platform *prev = rl_platform_current();
    current = p;
    return prev;
}

_Noreturn void rl_fatal(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rl_platform_current()->fatal(msg);
    abort(); /* a fatal hook must not return; make sure of it */
}

static const rl_platform *layout_of(const rl_platform *p) {
    while (p && p->layout)
        p = p->layout;
    return p;
}

const rl_platform *rl_platform_layout(const rl_platform *p) { return layout_of(p); }

/* owner is the layout an object was made with (see rl_mutex_init); a
 * wrapper table may be gone by the time the object is used again, its
 * layout's table is not. */
static const rl_platform *checked(const rl_platform *owner, const char *what, const char *name) {
    const rl_platform *p = rl_platform_current();
    if (owner != layout_of(p))
        rl_fatal("%s '%s' was initialised under platform '%s' but is used under '%s'", what,
                 name ? name : "?", owner ? owner->name : "(none: not initialised)", p->name);
    return p;
}

/* ---- threads ---- */

rl_err rl_thread_create(rl_thread *t, const char *name, rl_thread_fn fn, void *arg) {
    if (!t || !fn)
        return RL_EINVAL;
    const rl_platform *p = rl_platform_current();
    t->plat = layout_of(p);
    t->name = name ? name : "thread";
    t->id = 0;
    rl_err e = p->thread_create(t, fn, arg);
    if (e != RL_OK)
        t->plat = NULL;
    return e;
}

void rl_thread_join(rl_thread *t) {
    if (!t)
        rl_fatal("rl_thread_join: NULL thread");
    const rl_platform *p = checked(t->plat, "thread", t->name);
    p->thread_join(t);
    t->plat = NULL; /* a second join is caught by checked() */
}

unsigned rl_thread_self(void) {
    return rl_platform_current()->thread_self();
}

/* ---- mutexes ----
 * `owner` is bookkeeping for the misuse checks, not the lock: the table's
 * mutex orders the data it guards, and every access to owner is relaxed.
 * Each site below says which case of this applies:
 *  - "is it me": a thread compares owner with its own id. It reads its own
 *    latest store to owner or a later one (coherence), and only the
 *    holder stores, so it reads its id exactly when it holds the mutex,
 *    with no ordering needed.
 *  - "ordered by the mutex": the holder stores its id after the table's
 *    lock returns and 0 before the table's unlock, so the table's own
 *    release/acquire orders either store before the next holder's.
 *  - "no use left": destroy reads another thread's value; the contract
 *    (no other call runs) means the last unlock's 0 happens before it. */

rl_err rl_mutex_init(rl_mutex *m, const char *name) {
    if (!m)
        return RL_EINVAL;
    const rl_platform *p = rl_platform_current();
    m->plat = layout_of(p);
    m->name = name ? name : "mutex";
    m->guarded = false;
    atomic_init(&m->owner, 0);
    /* bookkeeping read without the lock, atomic: not for valgrind to check */
    RL__VG_ATOMIC(&m->owner, sizeof m->owner);
    rl_err e = p->mutex_init(m);
    if (e != RL_OK) {
        RL__VG_PLAIN(&m->owner, sizeof m->owner);
        m->plat = NULL;
    }
    return e;
}

rl_err rl_mutex_init_guarded(rl_mutex *m, const char *name) {
    rl_err e = rl_mutex_init(m, name);
    if (e == RL_OK)
        m->guarded = true;
    return e;
}

void rl_guarded_touch(const rl_mutex *m, uint64_t part, rl_touch_kind kind) {
    if (!m || !m->guarded)
        rl_fatal("rl_guarded_touch: mutex '%s' is not guarded", m ? m->name : "(NULL)");
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    /* is it me */
    if (atomic_load_explicit(&m->owner, memory_order_relaxed) != p->thread_self())
        rl_fatal("rl_guarded_touch: mutex '%s' is not held by the caller", m->name);
    if (kind != RL_TOUCH_READS && kind != RL_TOUCH_WRITES && kind != RL_TOUCH_NEEDS)
        rl_fatal("rl_guarded_touch: mutex '%s': no touch kind %d", m->name, (int)kind);
    if (p->guarded_touch)
        p->guarded_touch(m, part, kind);
}

void rl_mutex_destroy(rl_mutex *m) {
    if (!m)
        rl_fatal("rl_mutex_destroy: NULL mutex");
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    unsigned owner = atomic_load_explicit(&m->owner, memory_order_relaxed); /* no use left */
    if (owner != 0)
        rl_fatal("mutex '%s' destroyed while thread %u holds it", m->name, owner);
    p->mutex_destroy(m);
    RL__VG_PLAIN(&m->owner, sizeof m->owner);
    m->plat = NULL;
}

void rl_mutex_lock(rl_mutex *m) {
    if (!m)
        rl_fatal("rl_mutex_lock: NULL mutex");
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    unsigned self = p->thread_self();
    if (atomic_load_explicit(&m->owner, memory_order_relaxed) == self) /* is it me */
        rl_fatal("thread %u locks mutex '%s' that it already holds (self-deadlock)", self, m->name);
    p->mutex_lock(m);
    atomic_store_explicit(&m->owner, self, memory_order_relaxed); /* ordered by the mutex */
}

void rl_mutex_lock_when(rl_mutex *m, rl_cond *c, bool (*ready)(void *ctx), void *ctx) {
    if (!m || !c || !ready)
        rl_fatal("rl_mutex_lock_when: NULL %s", !m ? "mutex" : !c ? "condition" : "ready");
    if (!rl_platform_current()->mutex_lock_when) { /* rl_mutex_lock checks the table */
        rl_mutex_lock(m);
        while (!ready(ctx))
            rl_cond_wait(c, m);
        return;
    }
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    (void)checked(c->plat, "condition", c->name);
    unsigned self = p->thread_self();
    if (atomic_load_explicit(&m->owner, memory_order_relaxed) == self) /* is it me */
        rl_fatal("thread %u locks mutex '%s' that it already holds (self-deadlock)", self, m->name);
    p->mutex_lock_when(m, c, ready, ctx);
    atomic_store_explicit(&m->owner, self, memory_order_relaxed); /* ordered by the mutex */
}

bool rl_mutex_trylock(rl_mutex *m) {
    if (!m)
        rl_fatal("rl_mutex_trylock: NULL mutex");
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    if (m->guarded) /* its sections are taken whole: a try could tell */
        rl_fatal("rl_mutex_trylock: mutex '%s' is guarded: lock it, never try it", m->name);
    unsigned self = p->thread_self();
    if (!p->mutex_trylock(m))
        return false;
    atomic_store_explicit(&m->owner, self, memory_order_relaxed); /* ordered by the mutex */
    return true;
}

void rl_mutex_unlock(rl_mutex *m) {
    if (!m)
        rl_fatal("rl_mutex_unlock: NULL mutex");
    const rl_platform *p = checked(m->plat, "mutex", m->name);
    unsigned self = p->thread_self();
    /* is it me; another thread's id, when not, is for the message only */
    unsigned owner = atomic_load_explicit(&m->owner, memory_order_relaxed);
    if (owner != self) {
        if (owner == 0)
            rl_fatal("thread %u unlocks mutex '%s' that nobody holds", self, m->name);
        rl_fatal("thread %u unlocks mutex '%s' held by thread %u", self, m->name, owner);
    }
    atomic_store_explicit(&m->owner, 0, memory_order_relaxed); /* ordered by the mutex */
    p->mutex_unlock(m);
}

bool rl_mutex_held(const rl_mutex *m) {
    return m && m->plat &&
           /* is it me */
           atomic_load_explicit(&((rl_mutex *)m)->owner, memory_order_relaxed) == rl_thread_self();
}

/* ---- condition variables ---- */

rl_err rl_cond_init(rl_cond *c, const char *name) {
    if (!c)
        return RL_EINVAL;
    const rl_platform *p = rl_platform_current();
    c->plat = layout_of(p);
    c->name = name ? name : "cond";
    rl_err e = p->cond_init(c);
    if (e != RL_OK)
        c->plat = NULL;
    return e;
}

void rl_cond_destroy(rl_cond *c) {
    if (!c)
        rl_fatal("rl_cond_destroy: NULL condition");
    checked(c->plat, "condition", c->name)->cond_destroy(c);
    c->plat = NULL;
}

void rl_cond_wait(rl_cond *c, rl_mutex *m) {
    if (!c || !m)
        rl_fatal("rl_cond_wait: NULL argument");
    const rl_platform *p = checked(c->plat, "condition", c->name);
    checked(m->plat, "mutex", m->name);
    unsigned self = p->thread_self();
    if (atomic_load_explicit(&m->owner, memory_order_relaxed) != self) /* is it me */
        rl_fatal("thread %u waits on '%s' without holding mutex '%s'", self, c->name, m->name);
    /* both ordered by the mutex: the wait releases it after the 0 and
     * takes it again before the id */
    atomic_store_explicit(&m->owner, 0, memory_order_relaxed);
    p->cond_wait(c, m);
    atomic_store_explicit(&m->owner, self, memory_order_relaxed);
}

void rl_cond_signal(rl_cond *c) {
    if (!c)
        rl_fatal("rl_cond_signal: NULL condition");
    checked(c->plat, "condition", c->name)->cond_signal(c);
}

void rl_cond_broadcast(rl_cond *c) {
    if (!c)
        rl_fatal("rl_cond_broadcast: NULL condition");
    checked(c->plat, "condition", c->name)->cond_broadcast(c);
}

/* ---- time, yield, accesses ---- */

void rl_sleep_ns(uint64_t ns) { rl_platform_current()->sleep_ns(ns); }
void rl_yield(void) { rl_platform_current()->yield(); }
uint64_t rl_now_ns(void) { return rl_platform_current()->now_ns(); }

void rl_access_begin(rl_access *a) {
    const rl_platform *p = rl_platform_current();
    if (p->access_begin)
        p->access_begin(a);
}

void rl_access_end(rl_access *a) {
    const rl_platform *p = rl_platform_current();
    if (p->access_end)
        p->access_end(a);
}

void rl_check(bool cond, const char *fmt, ...) {
    if (cond)
        return;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    const rl_platform *p = rl_platform_current();
    if (p->broken)
        p->broken(text); /* does not return */
    fprintf(stderr, "racelab: invariant broken: %s\n", text);
    abort();
}

void rl_session_bind(uint64_t session) {
    const rl_platform *p = rl_platform_current();
    if (p->session_bind)
        p->session_bind(session);
}

void rl_outside_wait(const rl_outside *w) {
    const rl_platform *p = rl_platform_current();
    if (p->outside_wait && w)
        p->outside_wait(w);
}

void rl_outside_done(void) {
    const rl_platform *p = rl_platform_current();
    if (p->outside_done)
        p->outside_done();
}

bool rl_outside_watched(void) { return rl_platform_current()->outside_wait != NULL; }

const char *rl_access_name(const rl_access *a) {
    const char *n = (a && a->name_of) ? a->name_of(a->object, a->key) : NULL;
    return n ? n : "?";
}

void rl_note(rl_note_kind kind, const char *fmt, ...) {
    const rl_platform *p = rl_platform_current();
    if (!p->note)
        return;
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    p->note(kind, text);
}
