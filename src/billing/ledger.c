/* ledger.c - which (merchant, cycle) pairs have run. A small array under a
 * platform mutex: ledgers hold a handful of cycles, and every operation is
 * one visible critical section the explorer can schedule around. The mutex
 * is guarded (racelab/platform.h): each section declares whether it reads
 * or writes the array, and only this file takes it, never with a try. */
#include "racelab/ledger.h"
#include "../util/grow.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *merchant;
    uint64_t cycle;
} pair;

struct rl_ledger {
    rl_mutex mu;
    pair *pairs;
    size_t n, cap;
};

rl_err rl_ledger_create(rl_ledger **out) {
    if (!out)
        return RL_EINVAL;
    rl_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return RL_ENOMEM;
    rl_err e = rl_mutex_init_guarded(&l->mu, "ledger");
    if (e != RL_OK) {
        free(l);
        return e;
    }
    *out = l;
    return RL_OK;
}

void rl_ledger_destroy(rl_ledger *l) {
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->pairs[i].merchant);
    free(l->pairs);
    rl_mutex_destroy(&l->mu);
    free(l);
}

/* Under l->mu: what the section does to the array. */
static void touch(const rl_ledger *l, rl_touch_kind kind) { rl_guarded_touch(&l->mu, 1, kind); }

/* Under l->mu. */
static bool find(const rl_ledger *l, const char *merchant, uint64_t cycle) {
    for (size_t i = 0; i < l->n; i++)
        if (l->pairs[i].cycle == cycle && strcmp(l->pairs[i].merchant, merchant) == 0)
            return true;
    return false;
}

/* Under l->mu. */
static rl_err add(rl_ledger *l, const char *merchant, uint64_t cycle) {
    if (l->n == l->cap) {
        pair *p = rl__grow(l->pairs, &l->cap, sizeof *p, 8);
        if (!p)
            return RL_ENOMEM;
        l->pairs = p;
    }
    char *copy = strdup(merchant);
    if (!copy)
        return RL_ENOMEM;
    l->pairs[l->n++] = (pair){copy, cycle};
    return RL_OK;
}

rl_err rl_ledger_claim(rl_ledger *l, const char *merchant, uint64_t cycle) {
    if (!l || !merchant)
        return RL_EINVAL;
    rl_mutex_lock(&l->mu);
    touch(l, RL_TOUCH_WRITES);
    rl_err e = find(l, merchant, cycle) ? RL_EAGAIN : add(l, merchant, cycle);
    rl_mutex_unlock(&l->mu);
    return e;
}

bool rl_ledger_seen(rl_ledger *l, const char *merchant, uint64_t cycle) {
    if (!l || !merchant)
        return false;
    rl_mutex_lock(&l->mu);
    touch(l, RL_TOUCH_READS);
    bool seen = find(l, merchant, cycle);
    rl_mutex_unlock(&l->mu);
    return seen;
}

rl_err rl_ledger_record(rl_ledger *l, const char *merchant, uint64_t cycle) {
    if (!l || !merchant)
        return RL_EINVAL;
    rl_mutex_lock(&l->mu);
    touch(l, RL_TOUCH_WRITES);
    rl_err e = find(l, merchant, cycle) ? RL_OK : add(l, merchant, cycle);
    rl_mutex_unlock(&l->mu);
    return e;
}

rl_err rl_ledger_bill_once(rl_ledger *l, rl_merchant *m, uint64_t cycle) {
    if (!l || !m)
        return RL_EINVAL;
    rl_err e = rl_ledger_claim(l, m->spec->name, cycle);
    return e == RL_OK ? rl_merchant_bill_cycle(m) : e;
}
