/* racelab/locker.h - layer 2: anything that can be locked and unlocked,
 * behind one interface (Go's sync.Locker), and the locks that implement it.
 *
 *   mutex     the platform mutex
 *   rwlock    a read-write lock (many readers or one writer; writers are
 *             preferred so they cannot starve); as a locker, lock/unlock
 *             take it for writing
 *   spinlock  a test-and-set flag in an rl_var; a waiter yields the
 *             processor between attempts instead of burning it
 *
 * Every lock is built on the platform (mutex, condition, rl_var, yield), so
 * the explorer sees every step.
 *
 * Concurrency contract: lock blocks until the caller holds the lock;
 * unlock must be called by the holder; a locker is not recursive. Unlocking
 * a locker the caller does not hold is fatal for the mutex and the
 * rwlock's writer side, and for the spinlock (it tracks its holder).
 * destroy only when nobody holds or waits for the lock.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_LOCKER_H
#define RACELAB_LOCKER_H

#include "racelab/platform.h"
#include "racelab/var.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_locker rl_locker;

typedef struct rl_locker_ops {
    const char *kind; /* "mutex", "rwlock", "spinlock" */
    void (*lock)(rl_locker *l);
    void (*unlock)(rl_locker *l);
    void (*destroy)(rl_locker *l);
} rl_locker_ops;

/* Implementations embed this first. */
struct rl_locker {
    const rl_locker_ops *ops;
    const char *name;
};

/* Block until the caller holds l; release it (the holder only). */
void rl_locker_lock(rl_locker *l);
void rl_locker_unlock(rl_locker *l);
/* NULL is allowed and does nothing. */
void rl_locker_destroy(rl_locker *l);

/* Heap-allocated lockers. name is kept, not copied. RL_ENOMEM, RL_ESYS. */
rl_err rl_locker_new_mutex(const char *name, rl_locker **out);
rl_err rl_locker_new_rwlock(const char *name, rl_locker **out);
rl_err rl_locker_new_spinlock(const char *name, rl_locker **out);
/* By kind name ("mutex", "rwlock", "spinlock"); RL_ENOENT otherwise. */
rl_err rl_locker_new(const char *kind, const char *name, rl_locker **out);

/* The read-write lock, also usable directly with its reader side. */
typedef struct rl_rwlock {
    rl_mutex mu;
    rl_cond readers_ok, writer_ok;
    unsigned readers;         /* holding for reading */
    unsigned writers_waiting; /* blocked in wrlock */
    unsigned writer;          /* id of the thread holding for writing, or 0 */
} rl_rwlock;

/* name is kept, not copied. RL_EINVAL for a NULL rw, RL_ESYS when the
 * platform refuses its mutex or conditions (nothing is left to destroy). */
rl_err rl_rwlock_init(rl_rwlock *rw, const char *name);
/* Only when nobody holds or waits for it; NULL does nothing. */
void rl_rwlock_destroy(rl_rwlock *rw);
/* Blocks while a writer holds it or waits for it (writers are preferred),
 * then holds it for reading alongside any other readers. A thread that
 * read-locks twice while a writer waits deadlocks (as with pthreads). */
void rl_rwlock_rdlock(rl_rwlock *rw);
/* Releases one read hold; never blocks beyond the internal mutex. Fatal
 * when no reader holds it. */
void rl_rwlock_rdunlock(rl_rwlock *rw);
/* Blocks until no reader and no writer holds it, then holds it alone.
 * Fatal when the caller already holds it for writing. */
void rl_rwlock_wrlock(rl_rwlock *rw);
/* Releases the write hold and wakes every waiter. Fatal unless the caller
 * holds it for writing. */
void rl_rwlock_wrunlock(rl_rwlock *rw);

/* ---- a list behind any locker: the chapter's "locker" pattern ----
 * A growable list of integers whose every call takes the locker it was
 * made with, so that any number of threads may append and count at once
 * under whichever lock the caller chose. */
typedef struct rl_locked_list {
    rl_locker *lock; /* not owned */
    int64_t *vals;   /* the values in order: read them once no thread appends */
    size_t len, cap;
} rl_locked_list;

/* RL_EINVAL without a list or without a lock (the list is only safe with
 * one). Allocates nothing. */
rl_err rl_locked_list_init(rl_locked_list *l, rl_locker *lock);
/* Appends v; blocks while another thread holds the lock. RL_ENOMEM leaves
 * the list as it was. */
rl_err rl_locked_list_append(rl_locked_list *l, int64_t v);
/* The number of values; blocks while another thread holds the lock. */
size_t rl_locked_list_len(rl_locked_list *l);
/* Frees the values (not the lock), once no thread uses the list; NULL
 * does nothing. The list may be initialised again. */
void rl_locked_list_free(rl_locked_list *l);

#ifdef __cplusplus
}
#endif
#endif
