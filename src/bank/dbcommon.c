/* dbcommon.c - see dbcommon.h. */
#include "dbcommon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "racelab/dbbank.h"

#define HASH_NONFATAL_OOM 1
static _Thread_local int names_oom;
#define uthash_nonfatal_oom(elt) (names_oom = 1)
#include <uthash.h>

struct rl__dbname {
    char *name;
    rl_acct id;
    UT_hash_handle hh;
};

rl_err rl__dbnames_add(rl__dbnames *n, const char *name, rl_acct *out) {
    rl__dbname *found;
    HASH_FIND_STR(n->index, name, found);
    if (found)
        return RL_EEXIST;
    if (n->count >= UINT32_MAX)
        return RL_ENOMEM;
    if (n->count == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        rl__dbname **byid = realloc(n->byid, cap * sizeof *byid);
        if (!byid)
            return RL_ENOMEM;
        n->byid = byid;
        n->cap = cap;
    }
    rl__dbname *e = calloc(1, sizeof *e);
    char *copy = e ? strdup(name) : NULL;
    if (!copy) {
        free(e);
        return RL_ENOMEM;
    }
    e->name = copy;
    e->id = (rl_acct)n->count;
    names_oom = 0;
    HASH_ADD_KEYPTR(hh, n->index, e->name, strlen(e->name), e);
    if (names_oom) {
        free(copy);
        free(e);
        return RL_ENOMEM;
    }
    n->byid[n->count++] = e;
    n->bytes += sizeof *e + strlen(name) + 1 + sizeof(rl__dbname *);
    if (out)
        *out = e->id;
    return RL_OK;
}

rl_err rl__dbnames_lookup(const rl__dbnames *n, const char *name, rl_acct *out) {
    rl__dbname *found;
    HASH_FIND_STR(n->index, name, found);
    if (!found)
        return RL_ENOENT;
    *out = found->id;
    return RL_OK;
}

const char *rl__dbnames_name(const rl__dbnames *n, rl_acct a) {
    return a < n->count ? n->byid[a]->name : NULL;
}

void rl__dbnames_truncate(rl__dbnames *n, size_t count) {
    while (n->count > count) {
        rl__dbname *e = n->byid[--n->count];
        HASH_DEL(n->index, e);
        n->bytes -= sizeof *e + strlen(e->name) + 1 + sizeof(rl__dbname *);
        free(e->name);
        free(e);
    }
}

void rl__dbnames_free(rl__dbnames *n) {
    rl__dbnames_truncate(n, 0);
    HASH_CLEAR(hh, n->index);
    free(n->byid);
    memset(n, 0, sizeof *n);
}

rl_err rl__rawlock_init(rl__rawlock *l, const char *name) {
    const rl_platform *pt = rl_platform_pthreads();
    l->m.plat = pt;
    l->m.name = name;
    atomic_init(&l->m.owner, 0);
    return pt->mutex_init(&l->m);
}

void rl__rawlock_destroy(rl__rawlock *l) { rl_platform_pthreads()->mutex_destroy(&l->m); }
void rl__rawlock_lock(rl__rawlock *l) { rl_platform_pthreads()->mutex_lock(&l->m); }
void rl__rawlock_unlock(rl__rawlock *l) { rl_platform_pthreads()->mutex_unlock(&l->m); }

void rl__errmsg(rl_bank *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->errmsg, sizeof b->errmsg, fmt, ap);
    va_end(ap);
}

/* One line: runs of spaces, tabs and newlines (libpq's messages have
 * several lines) become one space; none at the ends. */
void rl__errmsg_copy(rl_bank *b, const char *text) {
    size_t n = 0;
    bool space = false;
    for (const char *p = text ? text : ""; *p && n + 1 < sizeof b->errmsg; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < sizeof b->errmsg)
            b->errmsg[n++] = ' ';
        space = false;
        b->errmsg[n++] = *p;
    }
    b->errmsg[n] = '\0';
}

void rl__db_nap(unsigned us) {
    struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000};
    /* interrupted: sleep what is left; any other failure (none can come
     * of these values) ends the nap rather than spinning on it */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- replacing a bank ---- */

/* racelab's own tables: a bank is the first five; a scratch bank adds the
 * sixth. */
static const char *const own_tables[] = {"racelab_accounts", "racelab_jobs", "racelab_ledger",
                                         "racelab_cycles", "racelab_meet", RL__DB_SCRATCH_TABLE};
#define BANK_TABLES 5
#define OWN_TABLES (sizeof own_tables / sizeof own_tables[0])

/* SQLite's names are not case-sensitive: RACELAB_ACCOUNTS is the same table. */
static int own_index(const char *name) {
    for (size_t i = 0; i < OWN_TABLES; i++)
        if (!strcasecmp(name, own_tables[i]))
            return (int)i;
    return -1;
}

bool rl__dbfound_add(rl__dbfound *f, const char *name, const char *ref) {
    if (f->n == RL__DB_TABLES_MAX) {
        f->more = true;
        return false;
    }
    rl__dbtable *t = &f->t[f->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->ref, sizeof t->ref, "%s", ref);
    t->rows = -1;
    return true;
}

/* Which of racelab's tables f holds (a bit each), and whether it holds
 * any other racelab_* table. */
static unsigned own_mask(const rl__dbfound *f, bool *foreign) {
    unsigned mask = 0;
    *foreign = f->more;
    for (size_t i = 0; i < f->n; i++) {
        int k = own_index(f->t[i].name);
        if (k < 0)
            *foreign = true;
        else
            mask |= 1u << k;
    }
    return mask;
}

#define BANK_MASK ((1u << BANK_TABLES) - 1)
#define SCRATCH_BIT (1u << BANK_TABLES)

bool rl__db_is_scratch(const rl__dbfound *f) {
    bool foreign;
    unsigned mask = own_mask(f, &foreign);
    return !foreign && mask == (BANK_MASK | SCRATCH_BIT);
}

bool rl__db_may_replace(const rl__dbfound *f, unsigned flags) {
    if ((flags & RL_BANK_FORCE) || (f->n == 0 && !f->more))
        return true;
    /* a scratch bank, whole, and nothing else of the name */
    return (flags & RL_BANK_SCRATCH) && rl__db_is_scratch(f);
}

static int64_t rows_of(const rl__dbfound *f, const char *table) {
    for (size_t i = 0; i < f->n; i++)
        if (!strcasecmp(f->t[i].name, table))
            return f->t[i].rows;
    return -1;
}

/* "5 accounts", "1 ledger row", "? finished cycles" (not counted). */
static void counted(char *out, size_t len, int64_t n, const char *one, const char *many) {
    if (n < 0)
        snprintf(out, len, "? %s", many);
    else
        snprintf(out, len, "%lld %s", (long long)n, n == 1 ? one : many);
}

void rl__db_refusal(const rl__dbfound *f, char *why, size_t why_len) {
    if (!why || why_len == 0)
        return;
    bool foreign;
    unsigned mask = own_mask(f, &foreign);
    if (!foreign && (mask & BANK_MASK) == BANK_MASK) {
        char acc[48], led[48], cyc[48];
        counted(acc, sizeof acc, rows_of(f, "racelab_accounts"), "account", "accounts");
        counted(led, sizeof led, rows_of(f, "racelab_ledger"), "ledger row", "ledger rows");
        counted(cyc, sizeof cyc, rows_of(f, "racelab_cycles"), "finished cycle",
                "finished cycles");
        snprintf(why, why_len, "there is %s there already (%s, %s, %s)",
                 mask & SCRATCH_BIT ? "a scratch bank of an earlier run" : "a bank", acc, led,
                 cyc);
        return;
    }
    size_t at = (size_t)snprintf(why, why_len,
                                 "there %s named racelab_* there that %s no bank of racelab's:",
                                 f->n + f->more == 1 ? "is a table" : "are tables",
                                 f->n + f->more == 1 ? "is" : "are");
    for (size_t i = 0; i < f->n && at < why_len; i++) {
        char rows[48];
        counted(rows, sizeof rows, f->t[i].rows, "row", "rows");
        at += (size_t)snprintf(why + at, why_len - at, "%s %s (%s)", i ? "," : "", f->t[i].name,
                               rows);
    }
    if (f->more && at < why_len)
        snprintf(why + at, why_len - at, ", and more");
}

#define STORE(b) (((rl__dbconn *)(b))->store)

rl_err rl__db_lookup(rl_bank *b, const char *name, rl_acct *out) {
    return rl__dbnames_lookup(&STORE(b)->names, name, out);
}

const char *rl__db_name(rl_bank *b, rl_acct a) { return rl__dbnames_name(&STORE(b)->names, a); }

size_t rl__db_count(rl_bank *b) { return STORE(b)->names.count; }

uint64_t rl__db_lost(rl_bank *b) { return atomic_load(&STORE(b)->lost); }

rl__dbstore *rl__db_release(rl__dbconn *c) {
    rl__dbstore *st = c->store;
    bool owner = c->owner;
    free(c);
    if (!owner)
        return NULL;
    rl__dbnames_free(&st->names);
    return st;
}

rl_err rl__db_open(rl_bank *b, const char *name, rl_money start, rl_acct *out) {
    rl_customer one = {name, start};
    return b->ops->open_all(b, &one, 1, out);
}

void rl__db_wrote(rl_bank *b, rl_access *ev, uint64_t read_version, uint64_t new_version) {
    ev->version_before = new_version - 1;
    ev->version_after = new_version;
    ev->stale = read_version != RL_VERSION_BLIND && read_version != new_version - 1;
    if (ev->stale)
        atomic_fetch_add(&STORE(b)->lost, 1);
}
