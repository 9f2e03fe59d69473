/* races.c - data races under the schedule: see races.h. */
#include "races.h"

#include "present.h"

#include "../core/policy.h" /* RL_EX_MAX_THREADS */

#define NT RL_EX_MAX_THREADS
#define NSYNC 4096    /* synchronization objects: a power of two */
#define NSHADOW 65536 /* addresses accessed: a power of two */
#define NREADS 4
#define PROBES 64 /* a longer probe: the table counts as full (a lookup stays cheap) */

typedef struct {
    uint32_t c[NT];
} vclock;

typedef struct {
    uintptr_t key; /* 0: free */
    vclock vc;
} sync_obj;

typedef struct {
    uint32_t thread, clock, step;
    uint64_t where;
} epoch;

typedef struct {
    uintptr_t addr; /* 0: free */
    bool written;
    epoch write;
    uint32_t nreads;
    epoch reads[NREADS];
} shadow;

/* Each table is a hash index of slot numbers (+ 1; 0: free) into records
 * kept in the order they were made: a schedule touches few pages of it
 * (every page touched costs a page fault in each schedule's copy). */
static struct {
    vclock threads[NT];
    uint32_t sync_index[NSYNC];
    sync_obj syncs[NSYNC];
    uint32_t nsyncs;
    uint32_t cell_index[NSHADOW];
    shadow cells[NSHADOW];
    uint32_t ncells;
    uint32_t *incomplete;
    rl__present syncs_present, cells_present; /* this copy's */
} R;

static size_t slot_of(uintptr_t key, size_t n) {
    return (size_t)((key >> 2) * 0x9e3779b97f4a7c15ull) & (n - 1);
}

static void join_into(vclock *into, const vclock *from) {
    for (uint32_t i = 0; i < NT; i++)
        if (from->c[i] > into->c[i])
            into->c[i] = from->c[i];
}

#define BUSY 64 /* addresses: from here the index is made present at once */

void rl__races_reset(uint32_t *incomplete) {
    /* the tables are as the fork server left them, never touched: zero
     * (clearing 6 MB would fault in every page, in every schedule) */
    R.syncs_present = R.cells_present = (rl__present){0};
    R.threads[0].c[0] = 1;
    R.incomplete = incomplete;
}

void rl__races_spawn(uint32_t parent, uint32_t child) {
    /* a reused slot goes on from its old occupant's clock, so the two are
     * apart; but their accesses share the slot's number, so unless the old
     * occupant's end happens before the creator (it was joined), races
     * between them would be missed: said */
    uint32_t old = R.threads[child].c[child];
    if (R.threads[parent].c[child] < old)
        *R.incomplete = 1;
    R.threads[child] = R.threads[parent];
    R.threads[child].c[child] = old + 1;
    R.threads[parent].c[parent]++;
}

void rl__races_join(uint32_t joiner, uint32_t joined) {
    join_into(&R.threads[joiner], &R.threads[joined]);
}

static sync_obj *sync_of(uintptr_t key) {
    size_t h = slot_of(key, NSYNC);
    for (size_t i = 0; i < PROBES; i++) {
        uint32_t *x = &R.sync_index[(h + i) & (NSYNC - 1)];
        if (*x && R.syncs[*x - 1].key == key)
            return &R.syncs[*x - 1];
        if (*x == 0) {
            if (R.nsyncs == NSYNC)
                break;
            rl__present_entry(&R.syncs_present, R.syncs, sizeof R.syncs[0], sizeof R.syncs,
                              R.nsyncs);
            *x = ++R.nsyncs;
            R.syncs[*x - 1].key = key;
            return &R.syncs[*x - 1];
        }
    }
    *R.incomplete = 1;
    return NULL;
}

void rl__races_release(uint32_t t, uintptr_t key) {
    sync_obj *s = sync_of(key);
    if (s)
        join_into(&s->vc, &R.threads[t]);
    R.threads[t].c[t]++;
}

void rl__races_acquire(uint32_t t, uintptr_t key) {
    sync_obj *s = sync_of(key);
    if (s)
        join_into(&R.threads[t], &s->vc);
}

/* Whether e happened before what thread t does now. */
static bool before(const epoch *e, uint32_t t) { return e->clock <= R.threads[t].c[e->thread]; }

bool rl__races_access(uint32_t t, uintptr_t addr, bool write, uint32_t step, uint64_t where,
                      rl__race_side *other) {
    size_t h = slot_of(addr, NSHADOW);
    shadow *c = NULL;
    for (size_t i = 0; i < PROBES && !c; i++) {
        uint32_t *x = &R.cell_index[(h + i) & (NSHADOW - 1)];
        if (*x && R.cells[*x - 1].addr == addr) {
            c = &R.cells[*x - 1];
        } else if (*x == 0) {
            if (R.ncells == NSHADOW)
                break;
            rl__present_entry(&R.cells_present, R.cells, sizeof R.cells[0], sizeof R.cells,
                              R.ncells);
            if (R.ncells == BUSY) /* its index, written anywhere: all of it at once */
                rl__present_range(R.cell_index, sizeof R.cell_index);
            *x = ++R.ncells;
            c = &R.cells[*x - 1];
            c->addr = addr;
        }
    }
    if (!c) {
        *R.incomplete = 1;
        return false;
    }
    epoch now = {t, R.threads[t].c[t], step, where};
    /* a race is said once (the first access it is with), and the access
     * is kept all the same: a search that lists races goes on */
    bool raced = c->written && c->write.thread != t && !before(&c->write, t);
    if (raced)
        *other = (rl__race_side){c->write.thread, c->write.step, true, c->write.where};
    if (write) {
        for (uint32_t i = 0; i < c->nreads && !raced; i++)
            if (c->reads[i].thread != t && !before(&c->reads[i], t)) {
                *other = (rl__race_side){c->reads[i].thread, c->reads[i].step, false,
                                         c->reads[i].where};
                raced = true;
            }
        c->written = true;
        c->write = now;
        c->nreads = 0; /* reads before this write are ordered before it, or raced */
        return raced;
    }
    /* a read: keep the thread's latest, and the others not yet ordered; a
     * read in the same epoch as one kept (no synchronization between) is
     * kept as that one, whose races are its races (FastTrack's same-epoch
     * case: nothing to write) */
    for (uint32_t i = 0; i < c->nreads; i++)
        if (c->reads[i].thread == t && c->reads[i].clock == now.clock)
            return raced;
    for (uint32_t i = 0; i < c->nreads; i++)
        if (c->reads[i].thread == t || before(&c->reads[i], t)) {
            c->reads[i] = now;
            return raced;
        }
    if (c->nreads < NREADS)
        c->reads[c->nreads++] = now;
    else
        c->reads[step % NREADS] = now; /* no room: one is forgotten (a race may be missed) */
    return raced;
}

