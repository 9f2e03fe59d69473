/* strategy.c - the registry, the slow step and outcome counting. */
#include <stdlib.h>
#include <string.h>

#include "../util/rng.h"
#include "strategy_impl.h"

static const rl_strategy *const registry[] = {
    &rl__strategy_racy,   &rl__strategy_mutex, &rl__strategy_staggered, &rl__strategy_global,
    &rl__strategy_atomic, &rl__strategy_cas,   &rl__strategy_trylock,   &rl__strategy_processor,
};

#define NSTRATEGIES (sizeof registry / sizeof registry[0])

size_t rl_strategy_count(void) { return NSTRATEGIES; }

const rl_strategy *rl_strategy_at(size_t i) { return i < NSTRATEGIES ? registry[i] : NULL; }

const rl_strategy *rl_strategy_find(const char *name) {
    for (size_t i = 0; name && i < NSTRATEGIES; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

rl_billing_opts rl_billing_opts_default(void) {
    return (rl_billing_opts){.delay_ns = 5000000u, .jitter_pct = 0, .seed = 1, .max_retries = 100};
}

void rl__slow_step(rl_merchant *m, size_t bill) {
    const rl_billing_opts *o = &m->billing->opts;
    if (o->pause.fn) {
        o->pause.fn(o->pause.ctx, m, bill);
        return;
    }
    uint64_t ns = o->delay_ns;
    if (o->jitter_pct > 0 && ns > 0) {
        /* uniform in [delay - j, delay + j], j = delay * jitter / 100 */
        uint64_t j = ns / 100 * o->jitter_pct + ns % 100 * o->jitter_pct / 100;
        ns = ns - j + rl__rng_below(&m->rng, 2 * j + 1);
    }
    if (ns > 0)
        rl_sleep_ns(ns);
}

void rl__bill_outcome(rl_merchant *m, size_t bill, rl_err e) {
    if (e == RL_OK) {
        m->stats.billed++;
        return;
    }
    if (m->stats.failed++ == 0) {
        m->stats.first_error = e;
        m->stats.first_error_bill = bill;
    }
}

rl_err rl__read_wait_write(rl_merchant *m, size_t i) {
    rl_money balance, next;
    uint64_t version;
    rl_err e = rl_bank_get(m->bank, m->accts[i], &balance, &version);
    if (e != RL_OK)
        return e;
    rl__slow_step(m, i);
    if ((e = rl_money_add(balance, rl__amount(m, i), &next)) != RL_OK)
        return e;
    return rl_bank_set(m->bank, m->accts[i], next, version, NULL);
}

rl_err rl__locks_create(rl_billing *b, size_t n) {
    rl__locks *l = malloc(sizeof *l + n * sizeof l->locks[0]);
    if (!l)
        return RL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *name = n == 1 ? "billing" : b->data->customers[i].name;
        rl_err e = rl_mutex_init(&l->locks[i], name);
        if (e != RL_OK) {
            while (i-- > 0)
                rl_mutex_destroy(&l->locks[i]);
            free(l);
            return e;
        }
    }
    l->n = n;
    b->shared = l;
    return RL_OK;
}

void rl__locks_destroy(rl_billing *b) {
    rl__locks *l = b->shared;
    for (size_t i = 0; i < l->n; i++)
        rl_mutex_destroy(&l->locks[i]);
    free(l);
    b->shared = NULL;
}
