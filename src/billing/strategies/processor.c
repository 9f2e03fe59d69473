/* processor.c (strategy) - shared nothing: merchants do each bill's slow
 * step and send the bill to one processor thread over a buffered channel,
 * then collect the answers of their cycle from their own reply channel.
 * Only the processor touches the balances; there is no mutex anywhere
 * outside the channels.
 *
 * Pipelined, not a round trip per bill: a merchant never waits for an
 * answer before its next bill. Each reply channel holds all of its
 * merchant's answers, so the processor never blocks on a merchant that is
 * still sending (which could otherwise deadlock with a full input). */
#include <stdlib.h>

#include "../strategy_impl.h"
#include "racelab/processor.h"

typedef struct {
    rl_processor *proc;
    size_t nreplies;
    rl_chan *replies[]; /* one per merchant */
} shared;

static void teardown(rl_billing *b) {
    shared *s = b->shared;
    if (!s)
        return;
    rl_processor_destroy(s->proc); /* stops it first: it drains and ends */
    for (size_t i = 0; i < s->nreplies; i++)
        rl_chan_destroy(s->replies[i]);
    free(s);
    b->shared = NULL;
}

static rl_err setup(rl_billing *b) {
    const rl_dataset *d = b->data;
    shared *s = calloc(1, sizeof *s + d->nmerchants * sizeof s->replies[0]);
    rl_customer *now = calloc(d->ncustomers, sizeof *now);
    if (!s || !now) {
        free(s);
        free(now);
        return RL_ENOMEM;
    }
    b->shared = s;
    /* the processor's copy starts from the bank as it is now */
    rl_err e = RL_OK;
    for (size_t c = 0; e == RL_OK && c < d->ncustomers; c++) {
        now[c].name = d->customers[c].name;
        e = rl_bank_get(b->bank, b->accts[c], &now[c].start, NULL);
    }
    size_t inflight = 0;
    for (size_t m = 0; m < d->nmerchants; m++)
        inflight += d->merchants[m].nbills;
    if (inflight > 4096)
        inflight = 4096; /* a bounded queue: merchants wait when the processor lags */
    if (e == RL_OK)
        e = rl_processor_start(now, d->ncustomers, inflight, b->bank, b->accts, &s->proc);
    free(now);
    for (size_t m = 0; e == RL_OK && m < d->nmerchants; m++) {
        e = rl_chan_create(sizeof(rl_answer), d->merchants[m].nbills, d->merchants[m].name,
                           &s->replies[m]);
        if (e == RL_OK)
            s->nreplies++;
    }
    if (e != RL_OK)
        teardown(b);
    return e;
}

static rl_err processor_cycle(rl_merchant *m) {
    shared *s = m->billing->shared;
    rl_chan *reply = s->replies[m->index];
    size_t sent = 0;
    for (size_t i = 0; i < m->spec->nbills; i++) {
        rl__slow_step(m, i);
        rl_request r = {.kind = RL_REQ_BILL, .customer = m->customers[i],
                        .amount = rl__amount(m, i), .tag = i, .reply = reply};
        rl_err e = rl_chan_send(rl_processor_input(s->proc), &r);
        if (e == RL_OK)
            sent++;
        else
            rl__bill_outcome(m, i, e);
    }
    /* one answer per bill sent, in whatever order they come */
    for (size_t k = 0; k < sent; k++) {
        rl_answer a;
        rl_err e = rl_chan_recv(reply, &a);
        if (e != RL_OK)
            break; /* cannot happen: the reply channel is never closed before teardown */
        rl__bill_outcome(m, (size_t)a.tag, a.result);
    }
    return m->stats.first_error;
}

static const rl_merchant_ops processor_ops = {.bill_cycle = processor_cycle};

const rl_strategy rl__strategy_processor = {
    .name = "processor",
    .summary = "shared nothing: merchants send bills to a processor thread over a channel",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &processor_ops,
    .setup = setup,
    .teardown = teardown,
};
