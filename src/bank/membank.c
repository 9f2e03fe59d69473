/* membank.c - the in-memory bank: a uthash map from name to handle, and a
 * dense array of accounts.
 *
 * Each account is a tiny sequence lock: `seq` is twice the version, odd
 * while a write is in progress. Writers take the odd value with one
 * compare-and-swap, write, and release with the next even value; readers
 * retry when they see an odd or a changed seq. A write section contains no
 * platform call, so under the explorer (one logical thread at a time) it
 * never waits, and every bank operation is exactly one visible step. All
 * fields are C11 atomics, so ThreadSanitizer sees no data race here.
 *
 * The orders, each written at its access: a writer's compare-and-swap to
 * odd is an acquire and its store back to even a release, so the write
 * section is a lock (each writer sees the last one's balance); the
 * balance store is a release and a reader's balance load an acquire, so a
 * reader that read a writer's balance sees that writer's odd seq (or a
 * later one) at its re-check and retries; and the reader's first seq
 * load is an acquire, so the balance it reads is never older than that
 * seq says. The balance load being acquire is what makes the seqlock
 * correct: with it relaxed, the re-check could be satisfied before the
 * balance is read, and a new balance would be returned with the old
 * version (Boehm, "Can seqlocks get along with programming language
 * memory models?", MSPC 2012, discusses the same choice).
 *
 * Handles are connections (memconn) to one store (membank). A connection's
 * transaction holds platform mutexes, one per account plus one for all,
 * made on the first lock; commit and rollback release them. */
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* uthash's default on a failed allocation is to exit the process; ask it
 * to report instead, so open can return RL_ENOMEM. Opening is single
 * threaded by contract, so a thread-local flag is enough. */
static _Thread_local int index_oom;
#define HASH_NONFATAL_OOM 1
/* FNV-1a: names are short, and on them it is cheaper than uthash's default
 * Jenkins hash for the same spread (measured: a million accounts open
 * about a third faster). */
#define HASH_FUNCTION HASH_FNV

#define uthash_nonfatal_oom(elt) (index_oom = 1)
#include <uthash.h>

#include "../platform/annotate.h"
#include "backend.h"
#include "membank_hooks.h"
#include "racelab/bank.h"

typedef struct {
    _Atomic uint64_t seq;
    _Atomic int64_t balance;
} cell;

typedef struct entry {
    const char *name;
    rl_acct id;
    UT_hash_handle hh;
} entry;

/* Entries and names live in blocks that never move, because uthash links
 * entries by address. */
#define ENTRY_BLOCK 1024
#define NAME_BLOCK (64 * 1024)

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} block;

/* The accounts' locks, made on the first rl_bank_lock (a bank of a
 * million accounts that is never locked does not pay for them): one mutex
 * per account, named after it, and one for all accounts. */
typedef struct lockset {
    size_t n;
    rl_mutex all;
    rl_mutex each[];
} lockset;

/* An account of the unsynchronized bank: plain memory, no atomics, no
 * lock (see rl_membank_create_unsynchronized). */
typedef struct {
    int64_t balance;
    uint64_t version;
} plain_cell;

typedef struct membank {
    cell *cells;
    plain_cell *plain; /* the unsynchronized bank's accounts */
    bool unsynchronized;
    const char **names;
    size_t count, cap;
    entry *index;
    block *entries, *strings;
    size_t block_bytes;
    size_t entry_block, name_block; /* sizes of the next blocks: from the capacity hint */
    _Atomic uint64_t lost;
    _Atomic(lockset *) locks;
} membank;

/* A handle: one connection to the store. The first one owns it. */
#define HELD_MAX 16
typedef struct memconn {
    rl_bank base;
    membank *mb;
    bool owner;
    size_t nheld;
    rl_mutex *held[HELD_MAX]; /* locks of the open transaction, in taking order */
} memconn;

#define MC(b) ((memconn *)(b))
#define MB(b) (MC(b)->mb)

/* Ask for huge pages on the 2 MB-aligned inside of a large allocation: a
 * million accounts touch some hundred megabytes, and with 4 KB pages a
 * quarter of the set-up time went to page faults. Only advice: ignored
 * where transparent huge pages are off. */
static void advise_huge(void *p, size_t size) {
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = 2u << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + size) & ~(huge - 1);
    if (end > start)
        (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

static void *block_alloc(membank *mb, block **head, size_t size, size_t align, size_t block_size) {
    block *b = *head;
    size_t at = b ? (b->used + align - 1) / align * align : 0;
    if (!b || at + size > b->cap) {
        size_t cap = size > block_size ? size : block_size;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = *head;
        b->used = 0;
        b->cap = cap;
        advise_huge(b, sizeof *b + cap);
        *head = b;
        mb->block_bytes += sizeof *b + cap;
        at = 0;
    }
    b->used = at + size;
    return b->data + at;
}

static void free_blocks(block *b) {
    while (b) {
        block *next = b->next;
        free(b);
        b = next;
    }
}

/* Back-off while another thread is inside its few-instruction write
 * section. This wait is not part of the program's logic, so it does not go
 * through the platform: there rl_yield means "waiting for another thread"
 * and the lockstep gate would take this spinner for a blocked one. Under
 * the explorer a write section is never contended, so this never runs. */
static void spin_pause(unsigned *spins) {
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        *spins = 0;
        sched_yield(); /* the writer was preempted by the OS; let it finish */
    }
}

void (*rl__membank_in_write)(void);
void (*rl__membank_contended)(void);

/* Begin a write: returns the even seq the account had. */
static uint64_t write_begin(cell *c) {
    unsigned spins = 0;
    for (;;) {
        /* relaxed: only a look before trying; the exchange re-reads seq */
        uint64_t s = atomic_load_explicit(&c->seq, memory_order_relaxed);
        /* acquire on success: pairs with the release in the last writer's
         * write_end, so its balance store happens before this writer's
         * balance load (rmw) and store; relaxed on failure: nothing read
         * then is used */
        if (!(s & 1) && atomic_compare_exchange_weak_explicit(
                            &c->seq, &s, s + 1, memory_order_acquire, memory_order_relaxed)) {
            if (rl__membank_in_write)
                rl__membank_in_write();
            return s;
        }
        if (rl__membank_contended)
            rl__membank_contended();
        spin_pause(&spins);
    }
}

static void write_end(cell *c, uint64_t even_seq) {
    /* release: pairs with the acquire of the next writer's exchange in
     * write_begin and of a reader's first seq load in read_cell: the
     * balance stored in this section happens before either sees even_seq */
    atomic_store_explicit(&c->seq, even_seq, memory_order_release);
}

static void read_cell(cell *c, int64_t *balance, uint64_t *version) {
    unsigned spins = 0;
    for (;;) {
        /* acquire: pairs with the release in write_end, so the balance
         * read below is the one of the write that made s1, or newer */
        uint64_t s1 = atomic_load_explicit(&c->seq, memory_order_acquire);
        if (!(s1 & 1)) {
            /* acquire: pairs with the release of the balance store in
             * mb_set or rmw, and orders the balance read before the
             * sequence re-check: if b is a later writer's, that writer's
             * exchange to odd happens before the re-check, which then
             * cannot read s1, and the read is retried */
            int64_t b = atomic_load_explicit(&c->balance, memory_order_acquire);
            /* relaxed: kept after the balance load by that load's acquire */
            if (atomic_load_explicit(&c->seq, memory_order_relaxed) == s1) {
                *balance = b;
                *version = s1 / 2;
                return;
            }
        }
        spin_pause(&spins);
    }
}

static cell *find(membank *mb, rl_acct a) { return a < mb->count ? &mb->cells[a] : NULL; }


static rl_err mb_open(rl_bank *b, const char *name, rl_money start, rl_acct *out) {
    membank *mb = MB(b);
    entry *found;
    size_t len = strlen(name) + 1;
    unsigned hash; /* hashed once, for the look-up and the insertion */
    HASH_VALUE(name, len - 1, hash);
    HASH_FIND_BYHASHVALUE(hh, mb->index, name, len - 1, hash, found);
    if (found)
        return RL_EEXIST;
    if (mb->count >= UINT32_MAX)
        return RL_ENOMEM;
    if (mb->count == mb->cap) {
        size_t cap = mb->cap ? mb->cap * 2 : 16;
        if (mb->cells)
            RL__VG_PLAIN(mb->cells, mb->cap * sizeof *mb->cells);
        cell *cells = realloc(mb->cells, cap * sizeof *cells);
        if (!cells) {
            if (mb->cells)
                RL__VG_ATOMIC(mb->cells, mb->cap * sizeof *mb->cells);
            return RL_ENOMEM;
        }
        mb->cells = cells;
        /* the accounts' sequence locks: atomics, not checked by valgrind's
         * race detectors (annotate.h) */
        RL__VG_ATOMIC(cells, cap * sizeof *cells);
        advise_huge(cells, cap * sizeof *cells);
        if (mb->unsynchronized) {
            plain_cell *plain = realloc(mb->plain, cap * sizeof *plain);
            if (!plain)
                return RL_ENOMEM;
            mb->plain = plain;
        }
        const char **names = realloc(mb->names, cap * sizeof *names);
        if (!names)
            return RL_ENOMEM;
        mb->names = names;
        mb->cap = cap;
    }
    char *copy = block_alloc(mb, &mb->strings, len, 1, mb->name_block);
    entry *e = block_alloc(mb, &mb->entries, sizeof *e, _Alignof(entry), mb->entry_block);
    if (!copy || !e)
        return RL_ENOMEM; /* at most a few unused bytes stay in a block */
    memcpy(copy, name, len);
    rl_acct id = (rl_acct)mb->count;
    e->name = copy;
    e->id = id;
    atomic_init(&mb->cells[id].seq, 0);
    atomic_init(&mb->cells[id].balance, start);
    if (mb->unsynchronized)
        mb->plain[id] = (plain_cell){.balance = start, .version = 0};
    mb->names[id] = copy;
    index_oom = 0;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, mb->index, copy, len - 1, hash, e);
    if (index_oom)
        return RL_ENOMEM; /* uthash left the entry out; the account does not exist */
    mb->count++;
    *out = id;
    return RL_OK;
}

static rl_err mb_lookup(rl_bank *b, const char *name, rl_acct *out) {
    entry *found;
    HASH_FIND_STR(MB(b)->index, name, found);
    if (!found)
        return RL_ENOENT;
    *out = found->id;
    return RL_OK;
}

static const char *mb_name(rl_bank *b, rl_acct a) {
    return a < MB(b)->count ? MB(b)->names[a] : NULL;
}

static size_t mb_count(rl_bank *b) { return MB(b)->count; }

static rl_err mb_get(rl_bank *b, rl_acct a, rl_access *ev) {
    cell *c = find(MB(b), a);
    if (!c)
        return rl__access_done(ev, RL_EINVAL);
    int64_t bal;
    uint64_t ver;
    read_cell(c, &bal, &ver);
    ev->value = bal;
    ev->version_before = ev->version_after = ver;
    return rl__access_done(ev, RL_OK);
}

/* A set wrote value over version ver: ev says so, and a write over a
 * version its writer did not read is a lost update, counted. */
static rl_err wrote(membank *mb, rl_access *ev, rl_money value, uint64_t read_version,
                    uint64_t ver) {
    ev->value = value;
    ev->version_after = ver + 1;
    ev->stale = read_version != RL_VERSION_BLIND && read_version != ver;
    if (ev->stale) /* relaxed: a count; an atomic add loses none in any order */
        atomic_fetch_add_explicit(&mb->lost, 1, memory_order_relaxed);
    return rl__access_done(ev, RL_OK);
}

static rl_err mb_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version, rl_access *ev) {
    membank *mb = MB(b);
    cell *c = find(mb, a);
    if (!c)
        return rl__access_done(ev, RL_EINVAL);
    uint64_t s = write_begin(c);
    uint64_t ver = s / 2;
    ev->version_before = ev->version_after = ver;
    if (read_version != RL_VERSION_BLIND && read_version > ver) {
        write_end(c, s);
        return rl__access_done(ev, RL_EINVAL);
    }
    /* repeatable read and serializable: first updater wins. The row moved
     * on since this transaction read it, so this write would lose that
     * update: refuse it, as PostgreSQL does with SQLSTATE 40001. */
    if (b->in_txn && b->iso != RL_ISO_READ_COMMITTED && read_version != RL_VERSION_BLIND &&
        read_version != ver) {
        write_end(c, s);
        snprintf(b->errmsg, sizeof b->errmsg,
                 "could not serialize access due to concurrent update (read version %" PRIu64
                 ", now %" PRIu64 ")",
                 read_version, ver);
        return rl__access_done(ev, RL_ESERIAL);
    }
    /* release: pairs with the acquire balance load in read_cell, so the
     * exchange to odd in write_begin happens before that reader's re-check */
    atomic_store_explicit(&c->balance, value, memory_order_release);
    write_end(c, s + 2);
    return wrote(mb, ev, value, read_version, ver);
}

/* ---- the unsynchronized bank: plain loads and stores ----
 * Kept for the lesson of the data race (make demo-tsan): two merchants
 * that read and write one account at once race on plain memory, which is
 * undefined behaviour in C and what ThreadSanitizer reports. Lost updates
 * are counted as in the real bank, from the versions (the counts are as
 * racy as the data). */

static rl_err plain_get(rl_bank *b, rl_acct a, rl_access *ev) {
    membank *mb = MB(b);
    if (a >= mb->count)
        return rl__access_done(ev, RL_EINVAL);
    ev->value = mb->plain[a].balance;
    ev->version_before = ev->version_after = mb->plain[a].version;
    return rl__access_done(ev, RL_OK);
}

static rl_err plain_set(rl_bank *b, rl_acct a, rl_money value, uint64_t read_version,
                        rl_access *ev) {
    membank *mb = MB(b);
    if (a >= mb->count)
        return rl__access_done(ev, RL_EINVAL);
    uint64_t ver = mb->plain[a].version;
    mb->plain[a].balance = value;
    mb->plain[a].version = ver + 1;
    ev->version_before = ver;
    return wrote(mb, ev, value, read_version, ver);
}

/* Nothing atomic exists in the unsynchronized bank. */
static rl_err plain_none(rl_bank *b, rl_acct a, rl_access *ev) {
    (void)b;
    (void)a;
    snprintf(b->errmsg, sizeof b->errmsg,
             "the unsynchronized bank has plain reads and writes only");
    return rl__access_done(ev, RL_ENOTSUP);
}

static rl_err plain_add(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev) {
    (void)delta;
    return plain_none(b, a, ev);
}

static rl_err plain_cas(rl_bank *b, rl_acct a, rl_money expected, rl_money desired, rl_access *ev) {
    (void)expected;
    (void)desired;
    return plain_none(b, a, ev);
}

static rl_err plain_set_if_version(rl_bank *b, rl_acct a, rl_money value, uint64_t version,
                                   rl_access *ev) {
    (void)value;
    (void)version;
    return plain_none(b, a, ev);
}

/* One read-modify-write inside the account's write section: decide sees
 * the balance and version and either gives the new balance or an error
 * (then nothing is written and ev->value is the balance seen). */
typedef rl_err (*decide_fn)(int64_t old, uint64_t version, int64_t x, int64_t y, int64_t *next);

static rl_err rmw(rl_bank *b, rl_acct a, rl_access *ev, decide_fn decide, int64_t x, int64_t y) {
    cell *c = find(MB(b), a);
    if (!c)
        return rl__access_done(ev, RL_EINVAL);
    uint64_t s = write_begin(c);
    /* relaxed: inside the write section, where write_begin's acquire
     * ordered the last writer's balance store before this load */
    int64_t old = atomic_load_explicit(&c->balance, memory_order_relaxed), next;
    ev->version_before = ev->version_after = s / 2;
    rl_err e = decide(old, s / 2, x, y, &next);
    if (e != RL_OK) {
        write_end(c, s);
        ev->value = old;
        return rl__access_done(ev, e);
    }
    /* release: pairs with the acquire balance load in read_cell (see mb_set) */
    atomic_store_explicit(&c->balance, next, memory_order_release);
    write_end(c, s + 2);
    ev->value = next;
    ev->version_after = s / 2 + 1;
    return rl__access_done(ev, RL_OK);
}

static rl_err add_delta(int64_t old, uint64_t version, int64_t delta, int64_t unused,
                        int64_t *next) {
    (void)version;
    (void)unused;
    return rl_money_add(old, delta, next);
}

static rl_err if_balance(int64_t old, uint64_t version, int64_t expected, int64_t desired,
                         int64_t *next) {
    (void)version;
    *next = desired;
    return old == expected ? RL_OK : RL_ECONFLICT;
}

static rl_err if_version(int64_t old, uint64_t version, int64_t expected, int64_t value,
                         int64_t *next) {
    (void)old;
    *next = value;
    return version == (uint64_t)expected ? RL_OK : RL_ECONFLICT;
}

static rl_err mb_add(rl_bank *b, rl_acct a, rl_money delta, rl_access *ev) {
    return rmw(b, a, ev, add_delta, delta, 0);
}

static rl_err mb_cas(rl_bank *b, rl_acct a, rl_money expected, rl_money desired, rl_access *ev) {
    return rmw(b, a, ev, if_balance, expected, desired);
}

static rl_err mb_set_if_version(rl_bank *b, rl_acct a, rl_money value, uint64_t version,
                                rl_access *ev) {
    return rmw(b, a, ev, if_version, (int64_t)version, value);
}

/* ---- connections, transactions and locks ---- */

static rl_err mb_connect(rl_bank *b, const char *who, rl_bank **out) {
    (void)who;
    memconn *c = calloc(1, sizeof *c);
    if (!c)
        return RL_ENOMEM;
    c->base.ops = b->ops; /* the unsynchronized bank's connections are too */
    c->base.root = b->root;
    c->mb = MB(b);
    *out = &c->base;
    return RL_OK;
}

static void lockset_free(lockset *l, size_t made) {
    for (size_t i = 0; i < made; i++)
        rl_mutex_destroy(&l->each[i]);
    rl_mutex_destroy(&l->all);
    free(l);
}

/* The lockset, made by the first caller that needs it. Two threads may
 * both make one; the first to publish wins and the other frees its own. */
static lockset *locks_of(membank *mb) {
    /* acquire: pairs with the release of the publishing exchange below, so
     * the mutexes another thread made are initialised before they are used */
    lockset *l = atomic_load_explicit(&mb->locks, memory_order_acquire);
    if (l) {
        RL__VG_RECEIVE(&mb->locks); /* the locks were made before they were published */
        return l;
    }
    size_t n = mb->count;
    l = malloc(sizeof *l + n * sizeof l->each[0]);
    if (!l)
        return NULL;
    l->n = n;
    if (rl_mutex_init(&l->all, "billing") != RL_OK) {
        free(l);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (rl_mutex_init(&l->each[i], mb->names[i]) != RL_OK) {
            lockset_free(l, i);
            return NULL;
        }
    lockset *none = NULL;
    RL__VG_PUBLISH(&mb->locks);
    /* on success a release, publishing l's initialised mutexes to the
     * acquire loads of locks (acq_rel only because C17 wants the failure
     * order no stronger than the success order: it read NULL, there is
     * nothing to acquire); on failure an acquire, pairing with the
     * winner's release, so the lockset returned is initialised */
    if (!atomic_compare_exchange_strong_explicit(&mb->locks, &none, l, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        lockset_free(l, n);
        RL__VG_RECEIVE(&mb->locks);
        return none;
    }
    return l;
}

static rl_err mb_begin(rl_bank *b, rl_isolation iso) {
    (void)b;
    (void)iso;
    return RL_OK; /* the isolation level is read from b->iso by set */
}

static rl_err mb_lock(rl_bank *b, rl_lock_kind kind, rl_acct a, bool wait) {
    memconn *c = MC(b);
    lockset *l = locks_of(c->mb);
    if (!l)
        return RL_ENOMEM;
    if (kind != RL_LOCK_ALL && a >= l->n)
        return RL_EINVAL; /* unknown, or opened after locking began (see the contract) */
    /* a row lock and an advisory lock are the same mutex here: in memory
     * the only lock a customer has is the one the application takes */
    rl_mutex *m = kind == RL_LOCK_ALL ? &l->all : &l->each[a];
    for (size_t i = 0; i < c->nheld; i++)
        if (c->held[i] == m)
            return RL_OK;
    if (c->nheld == HELD_MAX) {
        snprintf(b->errmsg, sizeof b->errmsg, "at most %d locks in one transaction", HELD_MAX);
        return RL_EINVAL;
    }
    if (wait)
        rl_mutex_lock(m);
    else if (!rl_mutex_trylock(m))
        return RL_EBUSY;
    c->held[c->nheld++] = m;
    return RL_OK;
}

static void release_all(memconn *c) {
    while (c->nheld > 0)
        rl_mutex_unlock(c->held[--c->nheld]);
}

static rl_err mb_commit(rl_bank *b) {
    release_all(MC(b));
    return RL_OK;
}

static void mb_rollback(rl_bank *b) { release_all(MC(b)); }

static uint64_t mb_lost(rl_bank *b) {
    /* relaxed: a count that publishes nothing; a caller wanting the total
     * waits for the writers first (a join) */
    return atomic_load_explicit(&MB(b)->lost, memory_order_relaxed);
}

static size_t mb_memory(rl_bank *b) {
    membank *mb = MB(b);
    size_t index = mb->index ? HASH_OVERHEAD(hh, mb->index) : 0;
    /* acquire: pairs with the publishing exchange in locks_of, so l->n,
     * written before it by another connection's thread, is read after it
     * (a relaxed load here was a data race: tests/test_bank.c) */
    lockset *l = atomic_load_explicit(&mb->locks, memory_order_acquire);
    size_t locks = l ? sizeof *l + l->n * sizeof l->each[0] : 0;
    return sizeof *mb + sizeof(memconn) + locks +
           mb->cap * (sizeof *mb->cells + sizeof *mb->names) + mb->block_bytes + index;
}

static void mb_destroy(rl_bank *b) {
    memconn *c = MC(b);
    membank *mb = c->mb;
    release_all(c);
    bool owner = c->owner;
    free(c);
    if (!owner)
        return;
    /* acquire: pairs with the publishing exchange in locks_of, for a
     * lockset another connection's thread made (the contract's "no other
     * call runs" orders that thread's end before this anyway) */
    lockset *l = atomic_load_explicit(&mb->locks, memory_order_acquire);
    if (l)
        lockset_free(l, l->n);
    HASH_CLEAR(hh, mb->index);
    free_blocks(mb->entries);
    free_blocks(mb->strings);
    if (mb->cells)
        RL__VG_PLAIN(mb->cells, mb->cap * sizeof *mb->cells);
    RL__VG_PLAIN(&mb->lost, sizeof mb->lost);
    RL__VG_PLAIN(&mb->locks, sizeof mb->locks);
    free(mb->cells);
    free(mb->plain);
    free(mb->names);
    free(mb);
}

/* What the two memory banks share: all but their accounts' accesses. */
#define MEMBANK_COMMON_OPS                                                                         \
    .open = mb_open, .lookup = mb_lookup, .name = mb_name, .count = mb_count,                      \
    .lost_updates = mb_lost, .memory_bytes = mb_memory, .connect = mb_connect,                     \
    .begin = mb_begin, .lock = mb_lock, .commit = mb_commit, .rollback = mb_rollback,              \
    .destroy = mb_destroy

static const rl_bank_ops membank_ops = {
    .kind = "memory",
    MEMBANK_COMMON_OPS,
    .get = mb_get,
    .set = mb_set,
    .add = mb_add,
    .compare_and_set = mb_cas,
    .set_if_version = mb_set_if_version,
};

/* The same bank with plain accounts: get and set are plain loads and
 * stores, the rest is refused. */
static const rl_bank_ops plain_ops = {
    .kind = "memory, unsynchronized",
    MEMBANK_COMMON_OPS,
    .get = plain_get,
    .set = plain_set,
    .add = plain_add,
    .compare_and_set = plain_cas,
    .set_if_version = plain_set_if_version,
};

static rl_err create(size_t capacity, bool plain, rl_bank **out) {
    if (!out)
        return RL_EINVAL;
    membank *mb = calloc(1, sizeof *mb);
    memconn *conn = calloc(1, sizeof *conn);
    if (!mb || !conn) {
        free(mb);
        free(conn);
        return RL_ENOMEM;
    }
    conn->base.ops = plain ? &plain_ops : &membank_ops;
    mb->unsynchronized = plain;
    conn->base.root = &conn->base;
    conn->mb = mb;
    conn->owner = true;
    atomic_init(&mb->lost, 0);
    atomic_init(&mb->locks, NULL);
    RL__VG_ATOMIC(&mb->lost, sizeof mb->lost);
    RL__VG_ATOMIC(&mb->locks, sizeof mb->locks);
    /* one block for the expected accounts (names guessed at 16 bytes) */
    mb->entry_block = (capacity > ENTRY_BLOCK ? capacity : ENTRY_BLOCK) * sizeof(entry);
    mb->name_block = capacity * 16 > NAME_BLOCK ? capacity * 16 : NAME_BLOCK;
    if (capacity > 0) {
        if (capacity > UINT32_MAX)
            capacity = UINT32_MAX;
        mb->cells = malloc(capacity * sizeof *mb->cells);
        mb->names = malloc(capacity * sizeof *mb->names);
        if (plain)
            mb->plain = malloc(capacity * sizeof *mb->plain);
        if (!mb->cells || !mb->names || (plain && !mb->plain)) {
            free(mb->cells);
            free(mb->plain);
            free(mb->names);
            free(mb);
            free(conn);
            return RL_ENOMEM;
        }
        mb->cap = capacity;
        RL__VG_ATOMIC(mb->cells, capacity * sizeof *mb->cells);
        advise_huge(mb->cells, capacity * sizeof *mb->cells);
        advise_huge(mb->names, capacity * sizeof *mb->names);
    }
    *out = &conn->base;
    return RL_OK;
}

rl_err rl_membank_create(size_t capacity, rl_bank **out) { return create(capacity, false, out); }

rl_err rl_membank_create_unsynchronized(size_t capacity, rl_bank **out) {
    return create(capacity, true, out);
}
