/* racelab/lockstep.h - layer 2: force the worst interleaving on real
 * threads.
 *
 * The lockstep gate holds each participant (a merchant, a buyer, a closer)
 * at its slow step until no participant can move on its own: every other
 * one is at its own slow step, finished, waiting on a condition, yielding
 * in a spin, or blocked on a mutex whose holder is itself held up. Then it
 * releases all of them at once. For a strategy without locks this means
 * every merchant reads a customer before any merchant writes it, every
 * time, with no timing involved. For a strategy with locks the gate never
 * deadlocks: a merchant blocked on the lock counts as not running, so the
 * holder is released. A correct strategy therefore passes under lockstep
 * and the same strategy with its lock or atomic removed fails, always.
 *
 * The gate learns who is blocked by wrapping the platform table: begin
 * installs a table that forwards to the installed one (pthreads, or a
 * wrapper of it) and marks the
 * caller blocked around mutex_lock, cond_wait and yield (a spinning waiter
 * yields between attempts).
 *
 * A participant can also block inside a database server (a row lock, a
 * table lock, an advisory lock, SQLite's write lock), where no platform
 * call sees it. The database bank tells the gate which server session each
 * participant uses (rl_session_bind) and, while a statement waits, calls
 * rl_outside_wait every few milliseconds with a probe that asks the server
 * whether that session waits on a lock and which sessions hold it
 * (PostgreSQL's pg_blocking_pids; for SQLite, the connection holding the
 * write lock). Such a participant counts as stuck only while every holder
 * is a participant that is itself stuck; a holder that is nobody's (say
 * the processor's connection) counts as running. So `racy` on PostgreSQL
 * loses exactly 20 updates under the gate, every run, and `mutex` never
 * deadlocks on it.
 *
 * Concurrency contract: one gate at a time per process (RL_EBUSY
 * otherwise); begin and end under the same conditions as
 * rl_platform_install; enter, leave and park only from participant
 * threads, each with its own index. The gate's table shares the pthreads
 * object layout, so objects may be made before begin and used after end.
 *
 * Arguments (the policy of every layer-2 header): a call that returns
 * rl_err reports a NULL or out-of-range argument as RL_EINVAL; destroy
 * (and rl_locked_list_free, rl_lockstep_end) accepts NULL and does
 * nothing; every other call given NULL, or an argument out of range, is a
 * programming error: fatal, naming the call, as in the platform.
 */
#ifndef RACELAB_LOCKSTEP_H
#define RACELAB_LOCKSTEP_H

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_lockstep rl_lockstep;

/* Whether a gate can be installed now: the installed table runs real
 * threads (the pthreads object layout: pthreads, or a wrapper of it such as
 * the timeline recorder), and no gate is installed. Forcing options ask
 * this, so they mean the same thing everywhere. */
bool rl_lockstep_available(void);

/* Install a gate for `participants` threads over the installed table.
 * RL_EINVAL if that table does not use the pthreads object layout (the
 * explorer's, say) or participants is 0; RL_EBUSY if a gate is installed. */
rl_err rl_lockstep_begin(size_t participants, rl_lockstep **out);
/* Uninstall (restoring the previous table) and free. */
void rl_lockstep_end(rl_lockstep *ls);

/* The calling thread is participant i from now on. */
void rl_lockstep_enter(rl_lockstep *ls, size_t i);
/* Participant i is finished. */
void rl_lockstep_leave(rl_lockstep *ls, size_t i);
/* Hold participant i until no participant is running. */
void rl_lockstep_park(rl_lockstep *ls, size_t i);

#ifdef __cplusplus
}
#endif
#endif
