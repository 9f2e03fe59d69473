/* races.h - data races under the schedule: happens-before over one
 * schedule of a program built by racelab cc, with vector clocks (the
 * classic detector; FastTrack, Flanagan and Freund, PLDI 2009, is its fast
 * form). Internal to the interposer; plain C, no allocation (fixed tables
 * in the copy's memory, which a fork gives fresh to every schedule).
 *
 * Threads are the scheduler's slots. Synchronization objects (a mutex, a
 * condition, a semaphore, an atomic's address used with release or
 * acquire order, ...) are keyed by address. Edges: a thread's creation
 * orders the creator's past before the child, a join the joined thread's
 * whole life before the joiner, a release (unlock, post, signal, an
 * atomic store or read-modify-write with release order) before every
 * later acquire of the same object (lock, wait, a load with acquire
 * order). Two plain accesses of the same address by different threads,
 * one of them a write, not ordered so: a data race.
 *
 * Memory is checked by 8-byte granules, each access by the bytes it
 * touched: two accesses race when they share a byte, whatever their starts
 * and sizes (a 4-byte store into an 8-byte one's second half; two bytes of
 * one word written by two threads do not). A granule keeps its last two
 * writes and four reads that nothing since covers; an access wider than
 * 4096 bytes is checked on its first 4096 (said incomplete). */
#ifndef RACELAB_EXPLORE_PROGRAM_RACES_H
#define RACELAB_EXPLORE_PROGRAM_RACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t thread; /* slot */
    uint32_t step;   /* the schedule's step it was made in (1-based) */
    bool write;
    uint64_t where;  /* the access's place in the program (a return address) */
} rl__race_side;

/* A new schedule, thread 0 alone. *incomplete is set to 1 when some
 * accesses can no longer be checked: the tables are full, or a thread slot
 * was reused by a thread its old occupant does not happen before (their
 * accesses are no longer told apart). */
void rl__races_reset(uint32_t *incomplete);
/* parent made child (a slot, new or reused). */
void rl__races_spawn(uint32_t parent, uint32_t child);
/* joiner saw joined end. */
void rl__races_join(uint32_t joiner, uint32_t joined);
/* t releases, or acquires, the synchronization object at key. */
void rl__races_release(uint32_t t, uintptr_t key);
void rl__races_acquire(uint32_t t, uintptr_t key);
/* t accesses the size bytes at addr plainly in step `step`, at `where`:
 * true when an earlier access of another thread races with it (*other
 * says which: the first found). */
bool rl__races_access(uint32_t t, uintptr_t addr, size_t size, bool write, uint32_t step,
                      uint64_t where, rl__race_side *other);

#endif
