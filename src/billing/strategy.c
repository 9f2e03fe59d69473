/* strategy.c - the registry, the slow step and outcome counting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rng.h"
#include "strategy_impl.h"

static const rl_strategy *const registry[] = {
    &rl__strategy_racy,   &rl__strategy_mutex, &rl__strategy_staggered, &rl__strategy_global,
    &rl__strategy_atomic, &rl__strategy_cas,   &rl__strategy_trylock,   &rl__strategy_processor,
    &rl__strategy_advisory, &rl__strategy_repeatable_read, &rl__strategy_serializable,
    &rl__strategy_batch,
};

#define NSTRATEGIES (sizeof registry / sizeof registry[0])

size_t rl_strategy_count(void) { return NSTRATEGIES; }

const rl_strategy *rl_strategy_at(size_t i) { return i < NSTRATEGIES ? registry[i] : NULL; }

/* Found by name only, never listed: no default run, benchmark or test
 * loop meets their undefined behaviour. */
static const rl_strategy *const unlisted[] = {&rl__strategy_unsynchronized};

static const rl_strategy *find_in(const rl_strategy *const *list, size_t n, const char *name) {
    for (size_t i = 0; name && i < n; i++)
        if (strcmp(list[i]->name, name) == 0)
            return list[i];
    return NULL;
}

const rl_strategy *rl_strategy_find(const char *name) {
    const rl_strategy *s = find_in(registry, NSTRATEGIES, name);
    return s ? s : find_in(unlisted, sizeof unlisted / sizeof unlisted[0], name);
}

rl_merchant rl_merchant_make(rl_billing *b, const rl_merchant_spec *spec, size_t index,
                             rl_bank *bank, const rl_acct *accts, const size_t *customers) {
    if (!b || !b->strategy || !spec)
        rl_fatal("rl_merchant_make: NULL billing, strategy or merchant");
    return (rl_merchant){.ops = b->strategy->ops,
                         .spec = spec,
                         .index = index,
                         .bank = bank,
                         .accts = accts,
                         .customers = customers,
                         .billing = b,
                         .rng = b->opts.seed * 0x9e3779b97f4a7c15u + index};
}

rl_billing_opts rl_billing_opts_default(void) {
    return (rl_billing_opts){.delay_ns = 5000000u, .jitter_pct = 0, .seed = 1, .max_retries = 100};
}

void rl_bill_slow_step(rl_merchant *m, size_t bill) {
    if (!m || !m->billing)
        rl_fatal("rl_bill_slow_step: NULL merchant, or one without its billing");
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

void rl_bill_outcome(rl_merchant *m, size_t bill, rl_err e) {
    const rl_billing_opts *o = &m->billing->opts;
    if (m->outcomes)
        m->outcomes[bill] = e;
    if (o->billed)
        o->billed(o->billed_ctx, e);
    if (e == RL_OK) {
        m->stats.billed++;
    } else if (m->stats.failed++ == 0) {
        m->stats.first_error = e;
        m->stats.first_error_bill = bill;
        snprintf(m->stats.first_error_detail, sizeof m->stats.first_error_detail, "%s",
                 rl_bank_errmsg(m->bank));
    }
    if (o->settle.fn)
        o->settle.fn(o->settle.ctx, m, bill);
}

rl_err rl_bill_read_wait_write(rl_merchant *m, size_t i) {
    rl_money balance, next;
    uint64_t version;
    rl_err e = rl_bank_get(m->bank, m->accts[i], &balance, &version);
    if (e != RL_OK)
        return e;
    rl_bill_slow_step(m, i);
    if ((e = rl_money_add(balance, rl_bill_amount(m, i), &next)) != RL_OK)
        return e;
    return rl_bank_set(m->bank, m->accts[i], next, version, NULL);
}

rl_err rl_bill_locked(rl_merchant *m, size_t i, rl_lock_kind kind) {
    rl_err e = rl_bank_lock(m->bank, kind, m->accts[i], true);
    if (e == RL_OK)
        e = rl_bill_read_wait_write(m, i);
    return rl_bank_finish(m->bank, e);
}
