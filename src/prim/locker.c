/* locker.c - the locker interface and its three locks, all on the platform
 * (see racelab/locker.h). */
#include "racelab/locker.h"
#include "../util/grow.h"

#include <stdlib.h>
#include <string.h>

void rl_locker_destroy(rl_locker *l) {
    if (l)
        l->ops->destroy(l);
}

/* ---- mutex ---- */

typedef struct {
    rl_locker base;
    rl_mutex mu;
} mutex_locker;

static void mutex_lock(rl_locker *l) { rl_mutex_lock(&((mutex_locker *)l)->mu); }
static void mutex_unlock(rl_locker *l) { rl_mutex_unlock(&((mutex_locker *)l)->mu); }
static void mutex_destroy(rl_locker *l) {
    rl_mutex_destroy(&((mutex_locker *)l)->mu);
    free(l);
}

static const rl_locker_ops mutex_ops = {"mutex", mutex_lock, mutex_unlock, mutex_destroy};

rl_err rl_locker_new_mutex(const char *name, rl_locker **out) {
    if (!out)
        return RL_EINVAL;
    mutex_locker *l = malloc(sizeof *l);
    if (!l)
        return RL_ENOMEM;
    l->base = (rl_locker){&mutex_ops, name ? name : "mutex"};
    rl_err e = rl_mutex_init(&l->mu, l->base.name);
    if (e != RL_OK) {
        free(l);
        return e;
    }
    *out = &l->base;
    return RL_OK;
}

/* ---- read-write lock: writers preferred, so a stream of readers cannot
 * starve them: a waiting writer keeps new readers out ---- */

void rl_locker_lock(rl_locker *l) {
    if (!l)
        rl_fatal("rl_locker_lock: NULL locker");
    l->ops->lock(l);
}

void rl_locker_unlock(rl_locker *l) {
    if (!l)
        rl_fatal("rl_locker_unlock: NULL locker");
    l->ops->unlock(l);
}

rl_err rl_rwlock_init(rl_rwlock *rw, const char *name) {
    if (!rw)
        return RL_EINVAL;
    memset(rw, 0, sizeof *rw);
    name = name ? name : "rwlock";
    rl_err e = rl_mutex_init(&rw->mu, name);
    if (e != RL_OK)
        return e;
    if ((e = rl_cond_init(&rw->readers_ok, name)) != RL_OK) {
        rl_mutex_destroy(&rw->mu);
        return e;
    }
    if ((e = rl_cond_init(&rw->writer_ok, name)) != RL_OK) {
        rl_cond_destroy(&rw->readers_ok);
        rl_mutex_destroy(&rw->mu);
    }
    return e;
}

void rl_rwlock_destroy(rl_rwlock *rw) {
    if (!rw)
        return;
    rl_cond_destroy(&rw->writer_ok);
    rl_cond_destroy(&rw->readers_ok);
    rl_mutex_destroy(&rw->mu);
}

void rl_rwlock_rdlock(rl_rwlock *rw) {
    if (!rw)
        rl_fatal("rl_rwlock_rdlock: NULL lock");
    rl_mutex_lock(&rw->mu);
    while (rw->writer || rw->writers_waiting)
        rl_cond_wait(&rw->readers_ok, &rw->mu);
    rw->readers++;
    rl_mutex_unlock(&rw->mu);
}

void rl_rwlock_rdunlock(rl_rwlock *rw) {
    if (!rw)
        rl_fatal("rl_rwlock_rdunlock: NULL lock");
    rl_mutex_lock(&rw->mu);
    if (rw->readers == 0) {
        rl_mutex_unlock(&rw->mu);
        rl_fatal("read-unlock of rwlock '%s' that no reader holds", rw->mu.name);
    }
    if (--rw->readers == 0)
        rl_cond_broadcast(&rw->writer_ok);
    rl_mutex_unlock(&rw->mu);
}

void rl_rwlock_wrlock(rl_rwlock *rw) {
    if (!rw)
        rl_fatal("rl_rwlock_wrlock: NULL lock");
    unsigned self = rl_thread_self();
    rl_mutex_lock(&rw->mu);
    if (rw->writer == self) {
        rl_mutex_unlock(&rw->mu);
        rl_fatal("thread %u write-locks rwlock '%s' that it already holds", self, rw->mu.name);
    }
    rw->writers_waiting++;
    while (rw->writer || rw->readers)
        rl_cond_wait(&rw->writer_ok, &rw->mu);
    rw->writers_waiting--;
    rw->writer = self;
    rl_mutex_unlock(&rw->mu);
}

void rl_rwlock_wrunlock(rl_rwlock *rw) {
    if (!rw)
        rl_fatal("rl_rwlock_wrunlock: NULL lock");
    unsigned self = rl_thread_self();
    rl_mutex_lock(&rw->mu);
    if (rw->writer != self) {
        unsigned holder = rw->writer;
        rl_mutex_unlock(&rw->mu);
        rl_fatal("thread %u write-unlocks rwlock '%s' %s", self, rw->mu.name,
                 holder ? "held by another thread" : "that nobody holds");
    }
    rw->writer = 0;
    rl_cond_broadcast(&rw->writer_ok);
    rl_cond_broadcast(&rw->readers_ok);
    rl_mutex_unlock(&rw->mu);
}

typedef struct {
    rl_locker base;
    rl_rwlock rw;
} rwlock_locker;

static void rw_lock(rl_locker *l) { rl_rwlock_wrlock(&((rwlock_locker *)l)->rw); }
static void rw_unlock(rl_locker *l) { rl_rwlock_wrunlock(&((rwlock_locker *)l)->rw); }
static void rw_destroy(rl_locker *l) {
    rl_rwlock_destroy(&((rwlock_locker *)l)->rw);
    free(l);
}

static const rl_locker_ops rwlock_ops = {"rwlock", rw_lock, rw_unlock, rw_destroy};

rl_err rl_locker_new_rwlock(const char *name, rl_locker **out) {
    if (!out)
        return RL_EINVAL;
    rwlock_locker *l = malloc(sizeof *l);
    if (!l)
        return RL_ENOMEM;
    l->base = (rl_locker){&rwlock_ops, name ? name : "rwlock"};
    rl_err e = rl_rwlock_init(&l->rw, l->base.name);
    if (e != RL_OK) {
        free(l);
        return e;
    }
    *out = &l->base;
    return RL_OK;
}

/* ---- spinlock: test-and-set on a shared variable; a waiter yields
 * between attempts instead of burning the processor ---- */

typedef struct {
    rl_locker base;
    rl_var flag;
    /* bookkeeping for misuse checks, not the lock; relaxed everywhere, as
     * rl_mutex's owner (platform.c): a thread asks only whether it is the
     * holder, which it reads exactly without ordering, and the flag's
     * exchange and store order the holder's stores for the next holder */
    _Atomic unsigned holder;
} spin_locker;

static void spin_lock(rl_locker *l) {
    spin_locker *s = (spin_locker *)l;
    unsigned self = rl_thread_self();
    if (atomic_load_explicit(&s->holder, memory_order_relaxed) == self) /* is it me */
        rl_fatal("thread %u locks spinlock '%s' that it already holds", self, l->name);
    while (rl_var_exchange(&s->flag, 1) != 0)
        rl_yield();
    atomic_store_explicit(&s->holder, self, memory_order_relaxed); /* ordered by the flag */
}

static void spin_unlock(rl_locker *l) {
    spin_locker *s = (spin_locker *)l;
    unsigned self = rl_thread_self();
    if (atomic_load_explicit(&s->holder, memory_order_relaxed) != self) /* is it me */
        rl_fatal("thread %u unlocks spinlock '%s' that it does not hold", self, l->name);
    atomic_store_explicit(&s->holder, 0, memory_order_relaxed); /* ordered by the flag */
    rl_var_store(&s->flag, 0);
}

static void spin_destroy(rl_locker *l) { free(l); }

static const rl_locker_ops spin_ops = {"spinlock", spin_lock, spin_unlock, spin_destroy};

rl_err rl_locker_new_spinlock(const char *name, rl_locker **out) {
    if (!out)
        return RL_EINVAL;
    spin_locker *l = malloc(sizeof *l);
    if (!l)
        return RL_ENOMEM;
    l->base = (rl_locker){&spin_ops, name ? name : "spinlock"};
    rl_var_init(&l->flag, l->base.name, 0);
    atomic_init(&l->holder, 0);
    *out = &l->base;
    return RL_OK;
}

rl_err rl_locker_new(const char *kind, const char *name, rl_locker **out) {
    if (!kind || !out)
        return RL_EINVAL;
    if (strcmp(kind, "mutex") == 0)
        return rl_locker_new_mutex(name, out);
    if (strcmp(kind, "rwlock") == 0)
        return rl_locker_new_rwlock(name, out);
    if (strcmp(kind, "spinlock") == 0)
        return rl_locker_new_spinlock(name, out);
    return RL_ENOENT;
}

/* ---- the list behind a locker ---- */

rl_err rl_locked_list_init(rl_locked_list *l, rl_locker *lock) {
    if (!l || !lock)
        return RL_EINVAL; /* the list is only safe with a lock */
    *l = (rl_locked_list){.lock = lock};
    return RL_OK;
}

rl_err rl_locked_list_append(rl_locked_list *l, int64_t v) {
    if (!l || !l->lock)
        return RL_EINVAL;
    rl_err e = RL_OK;
    rl_locker_lock(l->lock);
    if (l->len == l->cap) {
        int64_t *bigger = rl__grow(l->vals, &l->cap, sizeof *bigger, 16);
        if (bigger) {
            l->vals = bigger;
        } else {
            e = RL_ENOMEM;
        }
    }
    if (e == RL_OK)
        l->vals[l->len++] = v;
    rl_locker_unlock(l->lock);
    return e;
}

size_t rl_locked_list_len(rl_locked_list *l) {
    if (!l || !l->lock)
        rl_fatal("rl_locked_list_len: NULL list, or a list without its lock");
    rl_locker_lock(l->lock);
    size_t n = l->len;
    rl_locker_unlock(l->lock);
    return n;
}

void rl_locked_list_free(rl_locked_list *l) {
    if (!l)
        return;
    free(l->vals);
    *l = (rl_locked_list){0};
}
