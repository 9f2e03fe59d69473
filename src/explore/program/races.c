/* races.c - data races under the schedule: see races.h. */
#include "races.h"

#include "present.h"

#include <string.h>

#include "../core/policy.h" /* RL_EX_MAX_THREADS */

#define NT RL_EX_MAX_THREADS
#define NSYNC 4096    /* synchronization objects: a power of two */
#define NSHADOW 65536 /* addresses accessed */
#define NINDEX (1u << 18) /* the addresses' index: slots, a power of two */
#define INDEX_PAGES (NINDEX * sizeof(uint32_t) / 4096)
#define NREADS 4
#define NWRITES 2
#define WIDEST 4096 /* bytes of one access checked (a wider one: said incomplete) */
#define PROBES 64 /* a longer probe: the table counts as full (a lookup stays cheap) */

typedef struct {
    uint32_t c[NT];
} vclock;

typedef struct {
    uintptr_t key; /* 0: free */
    vclock vc;
} sync_obj;

/* An access's time (its thread's clock; 0: none, a thread's clock starts
 * at 1) and the bytes of its 8-byte granule it touched. */
typedef struct {
    uint32_t clock;
    uint16_t thread;
    uint8_t mask; /* bit i: byte i of the granule */
    uint8_t pad;
} epoch;

/* A granule's accesses as the checks need them: one cache line. */
typedef struct {
    uintptr_t addr; /* the granule (8-byte aligned); 0: free */
    epoch writes[NWRITES];
    epoch reads[NREADS];
    uint32_t nwrites, nreads;
} __attribute__((aligned(64))) shadow;

/* Where those accesses were (the writes, then the reads), for a report
 * only: apart, so a read in the same epoch as one kept touches one line. */
typedef struct {
    uint32_t step;
    uint64_t where;
} place;

/* Each table is a hash index of slot numbers (+ 1; 0: free) into records
 * kept in the order they were made: a schedule touches few pages of it
 * (every page touched costs a page fault in each schedule's copy, two
 * where it is read before it is written). The addresses' index keeps
 * neighbours together: an address's slot is its page's place (hashed) plus
 * its offset in the page, so a scan of an array touches one page of index
 * per kilobyte of it, each made present (written) once before its first
 * use. */
static struct {
    vclock threads[NT];
    uint32_t sync_index[NSYNC];
    sync_obj syncs[NSYNC];
    uint32_t nsyncs;
    uint32_t cell_index[NINDEX];
    uint64_t index_present[INDEX_PAGES / 64]; /* this copy's pages of it */
    shadow cells[NSHADOW];
    place places[NSHADOW][NWRITES + NREADS];
    uint32_t ncells;
    uint32_t *incomplete;
    rl__present syncs_present, cells_present, places_present; /* this copy's */
} R;

static size_t slot_of(uintptr_t key, size_t n) {
    return (size_t)((key >> 2) * 0x9e3779b97f4a7c15ull) & (n - 1);
}

/* The home slot of addr in the addresses' index: its page's place, hashed
 * (4096 slots each), plus its offset in the page. */
static size_t home_of(uintptr_t addr) {
    size_t page = (size_t)(((addr >> 12) * 0x9e3779b97f4a7c15ull) >> 40);
    return ((page << 12) | (addr & 4095)) & (NINDEX - 1);
}

/* Slot i of the addresses' index, its page made present first. */
static uint32_t *index_slot(size_t i) {
    size_t page = i / 1024;
    uint64_t bit = 1ull << (page % 64);
    if (!(R.index_present[page / 64] & bit)) {
        rl__present_range(&R.cell_index[page * 1024], 4096);
        R.index_present[page / 64] |= bit;
    }
    return &R.cell_index[i];
}

static void join_into(vclock *into, const vclock *from) {
    for (uint32_t i = 0; i < NT; i++)
        if (from->c[i] > into->c[i])
            into->c[i] = from->c[i];
}

void rl__races_reset(uint32_t *incomplete) {
    /* the tables are as the fork server left them, never touched: zero
     * (clearing 6 MB would fault in every page, in every schedule) */
    R.syncs_present = R.cells_present = R.places_present = (rl__present){0};
    memset(R.index_present, 0, sizeof R.index_present);
    rl__present_range(R.sync_index, sizeof R.sync_index); /* small, hashed */
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

/* The granule's record at addr (8-byte aligned): NULL when the tables are
 * full. */
static shadow *cell_of(uintptr_t addr) {
    size_t h = home_of(addr);
    for (size_t i = 0; i < PROBES; i++) {
        uint32_t *x = index_slot((h + i) & (NINDEX - 1));
        if (*x && R.cells[*x - 1].addr == addr)
            return &R.cells[*x - 1];
        if (*x == 0) {
            if (R.ncells == NSHADOW)
                return NULL;
            rl__present_entry(&R.cells_present, R.cells, sizeof R.cells[0], sizeof R.cells,
                              R.ncells);
            rl__present_entry(&R.places_present, R.places, sizeof R.places[0],
                              sizeof R.places, R.ncells);
            *x = ++R.ncells;
            R.cells[*x - 1].addr = addr;
            return &R.cells[*x - 1];
        }
    }
    return NULL;
}

/* Whether e, an earlier access of other bytes' mask, races with what
 * thread t does now to the bytes of mask. */
static bool races_with(const epoch *e, uint32_t t, uint8_t mask) {
    return e->clock && (e->mask & mask) && e->thread != t && !before(e, t);
}

/* Entry i of n (and its place) dropped, the later ones moved up. */
static void drop(epoch *list, place *at, uint32_t *n, uint32_t i) {
    for (uint32_t k = i; k + 1 < *n; k++) {
        list[k] = list[k + 1];
        at[k] = at[k + 1];
    }
    (*n)--;
}

/* t's access of the bytes `mask` of granule c. */
static bool granule_access(shadow *c, uint32_t t, uint8_t mask, bool write, uint32_t step,
                           uint64_t where, rl__race_side *other) {
    place *writes_at = R.places[c - R.cells], *reads_at = writes_at + NWRITES;
    epoch now = {.clock = R.threads[t].c[t], .thread = (uint16_t)t, .mask = mask};
    /* a race is said once (the first access it is with), and the access is
     * kept all the same: a search that lists races goes on */
    bool raced = false;
    for (uint32_t i = 0; i < c->nwrites && !raced; i++)
        if (races_with(&c->writes[i], t, mask)) {
            *other = (rl__race_side){c->writes[i].thread, writes_at[i].step, true,
                                     writes_at[i].where};
            raced = true;
        }
    if (write) {
        for (uint32_t i = 0; i < c->nreads && !raced; i++)
            if (races_with(&c->reads[i], t, mask)) {
                *other = (rl__race_side){c->reads[i].thread, reads_at[i].step, false,
                                         reads_at[i].where};
                raced = true;
            }
        /* accesses of no byte but these are ordered before this write, or
         * raced with it: a later access that would race with one of them
         * races with this write (or follows it), so they go; one of this
         * epoch is this write, wider */
        for (uint32_t i = c->nreads; i-- > 0;)
            if (!(c->reads[i].mask & ~mask))
                drop(c->reads, reads_at, &c->nreads, i);
        for (uint32_t i = c->nwrites; i-- > 0;) {
            epoch *w = &c->writes[i];
            if (w->thread == t && w->clock == now.clock)
                now.mask |= w->mask;
            if (!(w->mask & ~now.mask))
                drop(c->writes, writes_at, &c->nwrites, i);
        }
        if (c->nwrites == NWRITES) /* no room: the oldest is forgotten (a race may be missed) */
            drop(c->writes, writes_at, &c->nwrites, 0);
        c->writes[c->nwrites] = now;
        writes_at[c->nwrites++] = (place){step, where};
        return raced;
    }
    /* a read: in the same epoch as a read of t kept (no synchronization
     * between), it is that read, wider (FastTrack's same-epoch case); else
     * it takes the place of one it covers that is t's own or ordered
     * before it (whatever races with that one races with this one) */
    for (uint32_t i = 0; i < c->nreads; i++)
        if (c->reads[i].thread == t && c->reads[i].clock == now.clock) {
            c->reads[i].mask |= mask;
            return raced;
        }
    uint32_t i = 0;
    while (i < c->nreads && !((c->reads[i].thread == t || before(&c->reads[i], t)) &&
                              !(c->reads[i].mask & ~mask)))
        i++;
    if (i == c->nreads) {
        if (c->nreads < NREADS)
            c->nreads++;
        else
            i = step % NREADS; /* no room: one is forgotten (a race may be missed) */
    }
    c->reads[i] = now;
    reads_at[i] = (place){step, where};
    return raced;
}

bool rl__races_access(uint32_t t, uintptr_t addr, size_t size, bool write, uint32_t step,
                      uint64_t where, rl__race_side *other) {
    if (size == 0)
        size = 1;
    if (size > WIDEST) {
        size = WIDEST;
        *R.incomplete = 1;
    }
    bool raced = false;
    uintptr_t end = addr + size;
    for (uintptr_t g = addr & ~(uintptr_t)7; g < end; g += 8) {
        uintptr_t lo = addr > g ? addr : g, hi = end < g + 8 ? end : g + 8;
        uint8_t mask = (uint8_t)(((1u << (hi - lo)) - 1) << (lo - g));
        shadow *c = cell_of(g);
        if (!c) {
            *R.incomplete = 1;
            return raced;
        }
        rl__race_side side;
        if (granule_access(c, t, mask, write, step, where, &side) && !raced) {
            *other = side;
            raced = true;
        }
    }
    return raced;
}
