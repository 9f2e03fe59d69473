/* dbcommon.c - see dbcommon.h. */
#include "dbcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    while (nanosleep(&ts, &ts) != 0)
        ;
}

#define STORE(b) (((rl__dbconn *)(b))->store)

rl_err rl__db_lookup(rl_bank *b, const char *name, rl_acct *out) {
    return rl__dbnames_lookup(&STORE(b)->names, name, out);
}

const char *rl__db_name(rl_bank *b, rl_acct a) { return rl__dbnames_name(&STORE(b)->names, a); }

size_t rl__db_count(rl_bank *b) { return STORE(b)->names.count; }

uint64_t rl__db_lost(rl_bank *b) { return atomic_load(&STORE(b)->lost); }

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
