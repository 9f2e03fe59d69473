/* racelab/platform.h - layer 1: the one seam every interleaving goes through.
 *
 * Threads, mutexes, condition variables, sleeping, the clock and visible
 * shared accesses are all reached through one table of functions, the
 * platform. The default table uses pthreads and nanosleep. A run may install
 * another table (the explorer installs a controlled scheduler; the lockstep
 * gate wraps the default one), in the spirit of SQLite's swappable mutex
 * methods. Nothing above this layer calls pthreads directly.
 *
 * Objects (rl_thread, rl_mutex, rl_cond) carry inline storage large enough
 * for any implementation and remember the object layout they were made
 * with (the table itself, or for a wrapper the table it wraps).
 * They may be used under any table with the same object layout (a wrapper
 * such as the lockstep gate shares its inner table's layout); using one
 * under a table with another layout is a programming error and is fatal.
 *
 * Error policy: creation functions return rl_err (RL_ESYS when the system
 * refuses, RL_EINVAL for NULL arguments). Misuse that no correct program
 * does (unlocking a mutex the caller does not hold, joining twice) is fatal.
 */
#ifndef RACELAB_PLATFORM_H
#define RACELAB_PLATFORM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of implementation storage in each object. */
#define RL_PLATFORM_STORAGE 64

typedef struct rl_platform rl_platform;

/* A thread started through the platform. Its id is unique within the
 * process for the table's lifetime; 0 never names a thread. */
typedef struct rl_thread {
    const rl_platform *plat;
    const char *name;
    unsigned id;
    _Alignas(16) unsigned char impl[RL_PLATFORM_STORAGE];
} rl_thread;

typedef void (*rl_thread_fn)(void *arg);

/* A mutual exclusion lock. Not recursive. `owner` is the id of the holding
 * thread, 0 when free; it is kept by this layer, whatever the table. */
typedef struct rl_mutex {
    const rl_platform *plat;
    const char *name;
    _Atomic unsigned owner;
    bool guarded; /* made by rl_mutex_init_guarded: its state is declared */
    _Alignas(16) unsigned char impl[RL_PLATFORM_STORAGE];
} rl_mutex;

/* A condition variable. Waiters may wake spuriously: always wait in a loop
 * that re-checks the predicate under the mutex. */
typedef struct rl_cond {
    const rl_platform *plat;
    const char *name;
    _Alignas(16) unsigned char impl[RL_PLATFORM_STORAGE];
} rl_cond;

/* ---- visible shared accesses ---------------------------------------- */

typedef enum rl_access_kind {
    RL_ACCESS_READ,  /* a plain read (bank get) */
    RL_ACCESS_WRITE, /* a plain write (bank set) */
    RL_ACCESS_RMW    /* an atomic read-modify-write (bank add, compare-and-set) */
} rl_access_kind;

/* One access to shared state that another thread could interleave with.
 * The owner of the state fills the first block, calls rl_access_begin(),
 * performs the access, fills the outcome and calls rl_access_end(). */
typedef struct rl_access {
    rl_access_kind kind;
    const char *op;      /* "get", "set", "add", "cas", ... */
    const void *object;  /* identity of the container (the bank) */
    uint64_t key;        /* which item of it (the account) */
    const char *(*name_of)(const void *object, uint64_t key); /* may be NULL */
    /* outcome, filled before rl_access_end() */
    int64_t value;          /* value read, or value written */
    uint64_t version_before; /* version seen when the access took effect */
    uint64_t version_after;  /* version it left (equal to before for a read) */
    uint64_t version_read;   /* for a write: the version its writer had read,
                                RL_ACCESS_NO_VERSION when versions do not apply */
    bool stale;              /* a write over a value its writer never read */
    bool opaque;             /* no one value to show (racelab/shared.h) */
    rl_err result;           /* RL_OK, or why the access changed nothing */
} rl_access;

#define RL_ACCESS_NO_VERSION UINT64_MAX

/* The name of what an access touched ("Dave"), or "?" without a name. */
const char *rl_access_name(const rl_access *a);

/* What a scenario tells the platform about itself (see rl_note). */
typedef enum rl_note_kind {
    RL_NOTE_INFO, /* something worth a line in a trace ("Alice bought the castle") */
    RL_NOTE_ERROR /* an error the scenario detected ("resource released twice") */
} rl_note_kind;

/* ---- waits outside the platform --------------------------------------
 * A thread can block where no platform call sees it: on a lock inside a
 * database server. The code that waits there (a database bank) tells the
 * platform who it is (rl_session_bind: the server's id for its session)
 * and, while it waits, calls rl_outside_wait again and again with a probe
 * that asks the server whether the wait is really on a lock, and which
 * sessions hold it. The default table ignores all of it; the lockstep
 * gate uses it to count a thread blocked in the database as stuck while
 * the lock's holder is itself held up. */

#define RL_HOLDERS_MAX 16

typedef struct rl_outside {
    const char *what; /* "row lock", for messages */
    /* True when the waiter is blocked on a lock right now; then up to
     * RL_HOLDERS_MAX session ids of its holders go to holders[], their
     * number to *n. Called from any thread, possibly while the waiter
     * waits. */
    bool (*probe)(void *ctx, uint64_t *holders, size_t *n);
    void *ctx;
} rl_outside;

/* How a critical section of a guarded mutex touched a part of its state
 * (see rl_guarded_touch). */
typedef enum rl_touch_kind {
    RL_TOUCH_READS,  /* its outcome depended on the part */
    RL_TOUCH_WRITES, /* it changed the part */
    /* A section entered by rl_mutex_lock_when read the part its ready
     * condition waited for: before the write it read, the section could
     * not have started at all (ready was false), so that write and this
     * section are ordered, never two orders to explore. Use it only where
     * that holds; when in doubt, RL_TOUCH_READS. */
    RL_TOUCH_NEEDS
} rl_touch_kind;

/* ---- the table ---------------------------------------------------- */

struct rl_platform {
    const char *name;
    /* The table whose object layout this one uses (a wrapper names its
     * inner table), or NULL when it has its own. */
    const rl_platform *layout;
    rl_err (*thread_create)(rl_thread *t, rl_thread_fn fn, void *arg);
    void (*thread_join)(rl_thread *t);
    unsigned (*thread_self)(void);
    rl_err (*mutex_init)(rl_mutex *m);
    void (*mutex_destroy)(rl_mutex *m);
    void (*mutex_lock)(rl_mutex *m);
    bool (*mutex_trylock)(rl_mutex *m);
    void (*mutex_unlock)(rl_mutex *m);
    rl_err (*cond_init)(rl_cond *c);
    void (*cond_destroy)(rl_cond *c);
    void (*cond_wait)(rl_cond *c, rl_mutex *m);
    void (*cond_signal)(rl_cond *c);
    void (*cond_broadcast)(rl_cond *c);
    void (*sleep_ns)(uint64_t ns);
    void (*yield)(void);
    uint64_t (*now_ns)(void);
    void (*access_begin)(rl_access *a); /* may be NULL: nothing to do */
    void (*access_end)(rl_access *a);   /* may be NULL */
    void (*note)(rl_note_kind kind, const char *text); /* may be NULL */
    void (*fatal)(const char *message); /* must not return */
    /* An invariant broken in some thread (rl_check): must not return. May be
     * NULL: the default prints the message and aborts. */
    void (*broken)(const char *message);
    /* Waits outside the platform (see above); each may be NULL. */
    void (*session_bind)(uint64_t session);
    void (*outside_wait)(const rl_outside *w);
    void (*outside_done)(void);
    /* A declared touch of a guarded mutex's state (see rl_guarded_touch);
     * may be NULL: nothing to do. */
    void (*guarded_touch)(const rl_mutex *m, uint64_t part, rl_touch_kind kind);
    /* Take m once it is free and ready(ctx) holds (see rl_mutex_lock_when);
     * may be NULL: lock m, then wait on c while ready(ctx) is false. */
    void (*mutex_lock_when)(rl_mutex *m, rl_cond *c, bool (*ready)(void *ctx), void *ctx);
};

/* The default table: pthreads, nanosleep, CLOCK_MONOTONIC. */
const rl_platform *rl_platform_pthreads(void);

/* The table whose object layout p uses: p itself, or what it wraps. */
const rl_platform *rl_platform_layout(const rl_platform *p);

/* The installed table (the default until another is installed). */
const rl_platform *rl_platform_current(void);

/* Install p (NULL restores the default) and return the previous table.
 * Contract: call only while no thread started through the platform is
 * running and no object initialised under the old table is still in use.
 * It checks the first half itself, as SQLite refuses configuration after
 * start-up: installing while a thread started through the pthreads table
 * has not returned from its function is fatal (join them first). */
const rl_platform *rl_platform_install(const rl_platform *p);

/* ---- calls through the installed table -------------------------------
 * Each documents when it blocks. A NULL object is a programming error. */

/* Start fn(arg) on a new thread called name (kept, not copied; NULL gives
 * "thread"). RL_ESYS if the system refuses; t is then unusable. */
rl_err rl_thread_create(rl_thread *t, const char *name, rl_thread_fn fn, void *arg);
/* Block until t has finished; joining a thread twice is fatal. */
void rl_thread_join(rl_thread *t);
/* Id of the calling thread (the first caller that was not started through
 * the platform, normally main, gets an id too). */
unsigned rl_thread_self(void);

/* name is kept, not copied; NULL gives "mutex". */
rl_err rl_mutex_init(rl_mutex *m, const char *name);
/* Destroying a held mutex is fatal. */
void rl_mutex_destroy(rl_mutex *m);
/* Blocks until the caller holds m. Locking a mutex the caller already
 * holds is fatal (it would deadlock). */
void rl_mutex_lock(rl_mutex *m);
/* Blocks until m is free and ready(ctx) is true, then holds m: the
 * pattern "lock m; while (!ready(ctx)) wait on c" as one operation, which
 * it is under pthreads. ready is called with m held (under the explorer:
 * with nobody holding it, by the scheduler, between steps), so it must
 * only read state that m guards, call nothing of the platform and have no
 * effect; whoever changes what it reads must broadcast c before releasing
 * m. Under the explorer a thread whose ready is false is not runnable:
 * finding that out is not a step, so waiting is not an interleaving of its
 * own (fewer schedules). Locking a mutex the caller holds is fatal. */
void rl_mutex_lock_when(rl_mutex *m, rl_cond *c, bool (*ready)(void *ctx), void *ctx);
/* Takes m if it is free and returns true; never blocks. */
bool rl_mutex_trylock(rl_mutex *m);
/* Releases m; fatal unless the caller holds it. */
void rl_mutex_unlock(rl_mutex *m);
/* Whether the calling thread holds m (for assertions). */
bool rl_mutex_held(const rl_mutex *m);

/* ---- state a mutex guards, declared ----------------------------------
 * A mutex made with rl_mutex_init_guarded promises that each of its
 * critical sections declares, with rl_guarded_touch, every part of the
 * state the mutex guards that the section reads or writes (parts are
 * numbers the owner of the state chooses; a part is the same part in
 * every section). A tool that reorders whole critical sections may then
 * take two sections that each run without pausing (no wait, no other
 * lock or visible access inside) and declare no conflicting touch (two
 * writes, or a write and a read, of one part) to give the same result in
 * either order. The explorer's partial-order reduction does: a send and a
 * receive on a channel that is neither empty nor full are one order to
 * explore, not two. A section that leaves a part undeclared makes such a
 * tool miss schedules, so declare generously: a part declared and not
 * touched only costs schedules. Under pthreads a declaration only checks
 * its arguments. A guarded mutex is never try-locked (rl_mutex_trylock
 * on it is fatal): a try-lock could find it held between a section's lock
 * and unlock, which a tool that takes sections whole does not show; it is
 * otherwise an ordinary mutex. */
rl_err rl_mutex_init_guarded(rl_mutex *m, const char *name);
/* Declare, inside a critical section of the guarded mutex m (held by the
 * caller), that the section touches `part` of the state m guards as kind
 * says. Not a scheduling point; never blocks. Fatal when m is not guarded
 * or the caller does not hold it. */
void rl_guarded_touch(const rl_mutex *m, uint64_t part, rl_touch_kind kind);

rl_err rl_cond_init(rl_cond *c, const char *name);
void rl_cond_destroy(rl_cond *c);
/* Atomically releases m (which the caller must hold) and blocks until
 * signalled or woken spuriously; holds m again on return. */
void rl_cond_wait(rl_cond *c, rl_mutex *m);
void rl_cond_signal(rl_cond *c);
void rl_cond_broadcast(rl_cond *c);

/* Sleep for ns nanoseconds (no real time passes under the explorer). */
void rl_sleep_ns(uint64_t ns);
/* Offer the processor to another thread. */
void rl_yield(void);
/* Monotonic nanoseconds (virtual under the explorer). */
uint64_t rl_now_ns(void);

/* Bracket one visible shared access (see rl_access). Under the explorer,
 * begin is a scheduling point; under pthreads both cost a branch. */
void rl_access_begin(rl_access *a);
void rl_access_end(rl_access *a);

/* The calling thread acts through the outside session `session` (a
 * database backend's id) from now on. Cheap; call it before each wait. */
void rl_session_bind(uint64_t session);
/* The calling thread is waiting outside the platform; call again each
 * time the wait goes on (every few milliseconds), then rl_outside_done. */
void rl_outside_wait(const rl_outside *w);
void rl_outside_done(void);
/* Whether the installed table listens to outside waits (if not, the
 * waiter may simply block). */
bool rl_outside_watched(void);

/* An assertion for code under test, usable in any thread: when cond is
 * false the invariant is broken. Under the explorer the schedule fails at
 * once as "invariant broken", with the thread, the step and the message;
 * on real threads the message goes to stderr and the process aborts, as a
 * failed assert does. Not a scheduling point. */
void rl_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Tell the platform what just happened, printf-style. Not a scheduling
 * point. The explorer attaches it to the caller's current step in its
 * trace, and an RL_NOTE_ERROR there fails the schedule; the default table
 * ignores it (scenarios also keep their own record). */
void rl_note(rl_note_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
