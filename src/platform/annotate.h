/* annotate.h - racelab's own synchronization, told to valgrind's race
 * detectors. Internal.
 *
 * helgrind and drd understand pthreads, not C11 atomics: a relaxed atomic
 * is a plain load or store to them, and memory published through an atomic
 * pointer looks unordered. So the few atomics racelab synchronizes with
 * are named here, through valgrind's client requests: their own bytes are
 * not checked (RL__VG_ATOMIC, once when they are made; RL__VG_PLAIN when
 * the memory goes back to plain use), and a publication through one is a
 * happens-before edge (RL__VG_PUBLISH by the writer, RL__VG_RECEIVE by the
 * reader). Outside valgrind a request costs a few instructions that do
 * nothing; without valgrind's headers (Debian's valgrind package), or
 * with RACELAB_NO_VALGRIND defined, they are empty. Both tools' requests
 * are sent: each ignores the other's. */
#ifndef RACELAB_PLATFORM_ANNOTATE_H
#define RACELAB_PLATFORM_ANNOTATE_H

#if defined(__has_include) && !defined(RACELAB_NO_VALGRIND)
#if __has_include(<valgrind/drd.h>) && __has_include(<valgrind/helgrind.h>)
#define RL__VALGRIND 1
#endif
#endif

#ifdef RL__VALGRIND
/* drd.h for its request numbers; its ANNOTATE_ macros go, so that
 * helgrind.h can define its own of the same names */
#include <valgrind/drd.h>
#undef ANNOTATE_BARRIER_DESTROY
#undef ANNOTATE_BARRIER_INIT
#undef ANNOTATE_BARRIER_WAIT_AFTER
#undef ANNOTATE_BARRIER_WAIT_BEFORE
#undef ANNOTATE_BENIGN_RACE
#undef ANNOTATE_BENIGN_RACE_SIZED
#undef ANNOTATE_CONDVAR_LOCK_WAIT
#undef ANNOTATE_CONDVAR_SIGNAL
#undef ANNOTATE_CONDVAR_SIGNAL_ALL
#undef ANNOTATE_CONDVAR_WAIT
#undef ANNOTATE_HAPPENS_AFTER
#undef ANNOTATE_HAPPENS_BEFORE
#undef ANNOTATE_IGNORE_READS_AND_WRITES_BEGIN
#undef ANNOTATE_IGNORE_READS_AND_WRITES_END
#undef ANNOTATE_IGNORE_READS_BEGIN
#undef ANNOTATE_IGNORE_READS_END
#undef ANNOTATE_IGNORE_WRITES_BEGIN
#undef ANNOTATE_IGNORE_WRITES_END
#undef ANNOTATE_NEW_MEMORY
#undef ANNOTATE_PCQ_CREATE
#undef ANNOTATE_PCQ_DESTROY
#undef ANNOTATE_PCQ_GET
#undef ANNOTATE_PCQ_PUT
#undef ANNOTATE_PUBLISH_MEMORY_RANGE
#undef ANNOTATE_PURE_HAPPENS_BEFORE_MUTEX
#undef ANNOTATE_RWLOCK_ACQUIRED
#undef ANNOTATE_RWLOCK_CREATE
#undef ANNOTATE_RWLOCK_DESTROY
#undef ANNOTATE_RWLOCK_RELEASED
#undef ANNOTATE_THREAD_NAME
#undef ANNOTATE_TRACE_MEMORY
#include <valgrind/helgrind.h>

#define RL__VG_ATOMIC(addr, len)                                                                   \
    do {                                                                                           \
        VALGRIND_HG_DISABLE_CHECKING((addr), (len));                                               \
        VALGRIND_DO_CLIENT_REQUEST_STMT(VG_USERREQ__DRD_START_SUPPRESSION, (addr), (len), 0, 0,    \
                                        0);                                                        \
    } while (0)
#define RL__VG_PLAIN(addr, len)                                                                    \
    do {                                                                                           \
        VALGRIND_HG_ENABLE_CHECKING((addr), (len));                                                \
        VALGRIND_DO_CLIENT_REQUEST_STMT(VG_USERREQ__DRD_FINISH_SUPPRESSION, (addr), (len), 0, 0,   \
                                        0);                                                        \
    } while (0)
#define RL__VG_PUBLISH(addr)                                                                       \
    do {                                                                                           \
        ANNOTATE_HAPPENS_BEFORE(addr);                                                             \
        VALGRIND_DO_CLIENT_REQUEST_STMT(VG_USERREQ__DRD_ANNOTATE_HAPPENS_BEFORE, (addr), 0, 0, 0,  \
                                        0);                                                        \
    } while (0)
#define RL__VG_RECEIVE(addr)                                                                       \
    do {                                                                                           \
        ANNOTATE_HAPPENS_AFTER(addr);                                                              \
        VALGRIND_DO_CLIENT_REQUEST_STMT(VG_USERREQ__DRD_ANNOTATE_HAPPENS_AFTER, (addr), 0, 0, 0,   \
                                        0);                                                        \
    } while (0)
#else
#define RL__VG_ATOMIC(addr, len) ((void)(addr), (void)(len))
#define RL__VG_PLAIN(addr, len) ((void)(addr), (void)(len))
#define RL__VG_PUBLISH(addr) ((void)(addr))
#define RL__VG_RECEIVE(addr) ((void)(addr))
#endif

#endif
