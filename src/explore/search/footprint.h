/* footprint.h - what one step of a schedule touched, and when two steps
 * are dependent: the input of partial-order reduction (dpor.c). Written
 * by the in-process scheduler (inproc/scheduler.c) and by the interposer
 * inside a user's program (program/preload.c, which is built without
 * racelab's other headers): plain data of fixed size, no allocation.
 * Internal. */
#ifndef RACELAB_EXPLORE_SEARCH_FOOTPRINT_H
#define RACELAB_EXPLORE_SEARCH_FOOTPRINT_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/policy.h"

/* What one step touched, for partial-order reduction. */
enum {
    RL_TOUCH_READ,    /* a read */
    RL_TOUCH_WRITE,   /* a write (a condition's signal and wait, a thread's end) */
    RL_TOUCH_ACQUIRE, /* a mutex taken by a blocking lock (or taken back after a wait) */
    RL_TOUCH_TRY,     /* a mutex tried (taken or not) */
    RL_TOUCH_RELEASE, /* a mutex released (unlock, or a wait's release) */
    RL_TOUCH_PASS,    /* a guarded mutex taken and released again within the step: what
                         its section did is in the step's declared touches */
    RL_TOUCH_NEEDED   /* a read the step could not have started without (it was not
                         runnable before the write it read: ordered, never a race) */
};
#define RL_EX_TOUCHES 12
#define RL_EX_LOCKSET 3
typedef struct rl__touch {
    uint64_t object;  /* stable from one run to the next: a hash of its kind and name */
    uintptr_t addr;   /* exact within one run: its address */
    uint64_t key;
    uint8_t kind;
    uint8_t nlocks;   /* mutexes its thread held then (up to RL_EX_LOCKSET of them) */
    uintptr_t locks[RL_EX_LOCKSET];
    uintptr_t pass;   /* made in a pass through this guarded mutex (not in locks), or 0 */
} rl__touch;
typedef struct rl__step {
    uint8_t thread;
    bool global;     /* dependent on every step (a yield, or too much touched) */
    uint8_t ntouch;
    uint32_t spawned_at; /* the first step of a thread: its spawner's step + 1 (0: none) */
    rl__touch touch[RL_EX_TOUCHES];
} rl__step;

/* Dependent: the order of the two touches can matter; within one run
 * (exact, by address) or across runs (by name: two objects of one name
 * count as one, which only adds dependence). Two passes through one
 * guarded mutex are not: each section took the mutex free and left it
 * free, and what each did to the guarded state is in its declared
 * touches (racelab/platform.h, rl_guarded_touch), which are compared on
 * their own. */
static inline bool rl__touch_reads(const rl__touch *t) {
    return t->kind == RL_TOUCH_READ || t->kind == RL_TOUCH_NEEDED;
}
static inline bool rl__touches_dependent(const rl__touch *a, const rl__touch *b, bool same_run) {
    return (same_run ? a->addr == b->addr : true) && a->object == b->object && a->key == b->key &&
           (!rl__touch_reads(a) || !rl__touch_reads(b)) &&
           (a->kind != RL_TOUCH_PASS || b->kind != RL_TOUCH_PASS);
}

/* In conflict (within one run): dependent, and the two could have gone the
 * other way round directly. Not a release and a blocking acquire of one
 * mutex (the acquire waits for the release), nor two releases, nor two
 * touches made under a common mutex: for those the race is between the
 * acquires of that mutex, as in DPOR for lock-based programs. Touches
 * made in passes through a guarded mutex are not under it: two passes
 * commute unless what they touched conflicts. */
static inline bool rl__touches_conflict(const rl__touch *a, const rl__touch *b) {
    if (!rl__touches_dependent(a, b, true))
        return false;
    bool ra = a->kind == RL_TOUCH_RELEASE, rb = b->kind == RL_TOUCH_RELEASE;
    if (ra && rb)
        return false;
    /* the acquire (or the pass) waits for the release */
    bool aa = a->kind == RL_TOUCH_ACQUIRE || a->kind == RL_TOUCH_PASS;
    bool ab = b->kind == RL_TOUCH_ACQUIRE || b->kind == RL_TOUCH_PASS;
    if ((ra && ab) || (rb && aa))
        return false;
    /* a step that needed a write comes after it */
    if (a->kind == RL_TOUCH_NEEDED || b->kind == RL_TOUCH_NEEDED)
        return false;
    for (unsigned i = 0; i < a->nlocks; i++)
        for (unsigned j = 0; j < b->nlocks; j++)
            if (a->locks[i] == b->locks[j])
                return false;
    /* made in a pass through a guarded mutex the other held across steps:
     * the race is between the pass and the other's acquire. Two passes
     * through one mutex race through what they touched. */
    for (unsigned i = 0; i < b->nlocks; i++)
        if (a->pass && a->pass == b->locks[i])
            return false;
    for (unsigned i = 0; i < a->nlocks; i++)
        if (b->pass && b->pass == a->locks[i])
            return false;
    return true;
}

/* mode 0: dependent across runs; 1: dependent within a run; 2: in conflict */
static inline bool rl__steps_relate(const rl__step *a, const rl__step *b, int mode) {
    if (a->global || b->global)
        return true;
    for (unsigned i = 0; i < a->ntouch; i++)
        for (unsigned j = 0; j < b->ntouch; j++)
            if (mode == 2 ? rl__touches_conflict(&a->touch[i], &b->touch[j])
                          : rl__touches_dependent(&a->touch[i], &b->touch[j], mode == 1))
                return true;
    return false;
}

/* The mutexes a thread holds, by address, latest last, as both front ends
 * keep them for the lock sets of its touches (only while footprints are
 * recorded). More than fit are not kept: fewer locks in common only means
 * more races looked at. */
typedef struct rl__held {
    uintptr_t lock[8];
    unsigned n;
} rl__held;

static inline void rl__held_take(rl__held *h, uintptr_t lock) {
    if (h->n < sizeof h->lock / sizeof h->lock[0])
        h->lock[h->n++] = lock;
}

static inline void rl__held_drop(rl__held *h, uintptr_t lock) {
    for (unsigned i = h->n; i-- > 0;)
        if (h->lock[i] == lock) {
            for (unsigned k = i; k + 1 < h->n; k++)
                h->lock[k] = h->lock[k + 1];
            h->n--;
            return;
        }
}

/* Add to step st that it touched `object` (exact: addr; key: a part of
 * it) in the way `kind`, while its thread held the mutexes in `held` (may
 * be NULL; the latest RL_EX_LOCKSET of them are kept). A thing touched twice in
 * one step keeps the stronger touch: a write over a read over a needed
 * read; for a mutex both taken and released, its acquire (a release alone
 * races with nothing blocking). Too much to list makes the step global. */
static inline void rl__step_touch(rl__step *st, uint64_t object, uintptr_t addr, uint64_t key,
                                  uint8_t kind, const rl__held *held) {
    if (st->global)
        return;
    for (unsigned i = 0; i < st->ntouch; i++)
        if (st->touch[i].addr == addr && st->touch[i].object == object &&
            st->touch[i].key == key) {
            uint8_t was = st->touch[i].kind;
            if (was == RL_TOUCH_NEEDED || (was == RL_TOUCH_READ && kind != RL_TOUCH_NEEDED) ||
                (was == RL_TOUCH_RELEASE && kind != RL_TOUCH_RELEASE))
                st->touch[i].kind = kind;
            return;
        }
    if (st->ntouch == RL_EX_TOUCHES) {
        st->global = true;
        return;
    }
    rl__touch *t = &st->touch[st->ntouch++];
    *t = (rl__touch){.object = object, .addr = addr, .key = key, .kind = kind};
    for (unsigned i = held ? held->n : 0; i-- > 0 && t->nlocks < RL_EX_LOCKSET;)
        t->locks[t->nlocks++] = held->lock[i];
}

#endif
