/* processor.c (strategy) - shared nothing: merchants do each bill's slow
 * step and hand the bill to one processor, which alone applies bills to
 * balances; then they collect the answers of their cycle from their own
 * reply channel. There is no lock anywhere outside the channels (and, in
 * a database, the queue's own row locks).
 *
 * Two shapes of the same pattern, chosen by the bank:
 * - in memory, the bill travels over a buffered channel to a processor
 *   thread that owns a copy of the balances (racelab/processor.h);
 * - in a database, the bill is a row pushed into the bank's job queue
 *   (racelab_jobs), and a processor thread with its own connection takes
 *   one job at a time (FOR UPDATE SKIP LOCKED) and applies it in the same
 *   transaction that deletes it, so a job is applied exactly once or stays
 *   queued. A doorbell channel tells the processor a job is waiting.
 *
 * Pipelined, not a round trip per bill: a merchant never waits for an
 * answer before its next bill. Each reply channel holds all of its
 * merchant's answers, so the processor never blocks on a merchant that is
 * still sending (which could otherwise deadlock with a full input). */
#include <stdlib.h>

#include "../strategy_impl.h"
#include "racelab/processor.h"

typedef struct {
    /* memory: the processor of racelab/processor.h */
    rl_processor *proc;
    /* database: the queue's processor thread */
    bool queue;
    rl_bank *conn;      /* the processor's own connection */
    rl_chan *doorbell;  /* one token per job pushed; closed at teardown */
    rl_thread thread;
    bool started;
    size_t nreplies;
    rl_chan *replies[]; /* one per merchant */
} shared;

#define TAG(merchant, bill) (((uint64_t)(merchant) << 32) | (uint64_t)(bill))

static void answer(shared *s, const rl_job *j, rl_err result) {
    rl_answer a = {.tag = j->tag & 0xffffffffu, .result = result};
    size_t m = (size_t)(j->tag >> 32);
    if (m < s->nreplies)
        (void)rl_chan_send(s->replies[m], &a);
}

static bool fatal(rl_err e) { return e == RL_ECONN || e == RL_EUNKNOWN || e == RL_EDB; }

/* Apply one queued job: take it and add its amount in one transaction. A
 * refused bill (an overflow) still consumes its job, in a second
 * transaction, so it is answered once and never retried. Returns an error
 * only when the processor cannot go on (its connection is gone). */
static rl_err apply_one(shared *s) {
    rl_job j;
    rl_err e = rl_bank_queue_take(s->conn, &j);
    if (e == RL_EEMPTY) {
        rl_bank_rollback(s->conn);
        return RL_OK; /* cannot happen: a token is rung only after its job committed */
    }
    if (e != RL_OK)
        return e;
    e = rl_bank_add(s->conn, j.acct, j.amount, NULL);
    if (e == RL_OK) {
        e = rl_bank_commit(s->conn);
        answer(s, &j, e);
        return fatal(e) ? e : RL_OK;
    }
    if (fatal(e)) {
        answer(s, &j, e);
        return e;
    }
    /* the add rolled the transaction back: the job is queued again */
    rl_err dropped = rl_bank_queue_drop(s->conn, j.id);
    if (dropped == RL_OK)
        dropped = rl_bank_commit(s->conn);
    answer(s, &j, dropped == RL_OK ? e : dropped);
    return fatal(dropped) ? dropped : RL_OK;
}

/* When the processor cannot go on, it closes every reply channel: each
 * merchant then counts its unanswered bills as not applied (they are
 * still queued) instead of waiting for answers that will never come. */
static void processor_thread(void *arg) {
    shared *s = arg;
    char token;
    while (rl_chan_recv(s->doorbell, &token) == RL_OK)
        if (apply_one(s) != RL_OK) {
            for (size_t i = 0; i < s->nreplies; i++)
                rl_chan_close(s->replies[i]);
            return;
        }
}

static void teardown(rl_billing *b) {
    shared *s = b->shared;
    if (!s)
        return;
    if (s->proc)
        rl_processor_destroy(s->proc); /* stops it first: it drains and ends */
    if (s->started) {
        rl_chan_close(s->doorbell); /* the thread serves what was rung, then ends */
        rl_thread_join(&s->thread);
    }
    rl_chan_destroy(s->doorbell);
    rl_bank_destroy(s->conn);
    for (size_t i = 0; i < s->nreplies; i++)
        rl_chan_destroy(s->replies[i]);
    free(s);
    b->shared = NULL;
}

static rl_err start_memory(rl_billing *b, shared *s, size_t inflight) {
    const rl_dataset *d = b->data;
    rl_customer *now = calloc(d->ncustomers, sizeof *now);
    if (!now)
        return RL_ENOMEM;
    /* the processor's copy starts from the bank as it is now */
    rl_err e = RL_OK;
    for (size_t c = 0; e == RL_OK && c < d->ncustomers; c++) {
        now[c].name = d->customers[c].name;
        e = rl_bank_get(b->bank, b->accts[c], &now[c].start, NULL);
    }
    if (e == RL_OK)
        e = rl_processor_start(now, d->ncustomers, inflight, b->bank, b->accts, &s->proc);
    free(now);
    return e;
}

static rl_err start_queue(rl_billing *b, shared *s, size_t bills) {
    s->queue = true;
    rl_err e = rl_bank_connect(b->bank, "processor", &s->conn);
    if (e == RL_OK)
        e = rl_chan_create(1, bills, "doorbell", &s->doorbell);
    if (e == RL_OK && (e = rl_thread_create(&s->thread, "processor", processor_thread, s)) == RL_OK)
        s->started = true;
    return e;
}

static rl_err setup(rl_billing *b) {
    const rl_dataset *d = b->data;
    shared *s = calloc(1, sizeof *s + d->nmerchants * sizeof s->replies[0]);
    if (!s)
        return RL_ENOMEM;
    b->shared = s;
    size_t bills = 0;
    for (size_t m = 0; m < d->nmerchants; m++)
        bills += d->merchants[m].nbills;
    rl_err e = RL_OK;
    for (size_t m = 0; e == RL_OK && m < d->nmerchants; m++) {
        e = rl_chan_create(sizeof(rl_answer), d->merchants[m].nbills, d->merchants[m].name,
                           &s->replies[m]);
        if (e == RL_OK)
            s->nreplies++;
    }
    if (e == RL_OK) {
        if (rl_bank_has_queue(b->bank))
            e = start_queue(b, s, bills);
        else /* a bounded queue: merchants wait when the processor lags */
            e = start_memory(b, s, bills > 4096 ? 4096 : bills);
    }
    if (e != RL_OK)
        teardown(b);
    return e;
}

/* Hand bill i to the processor; false if it could not be handed over. */
static rl_err hand_over(rl_merchant *m, shared *s, size_t i) {
    if (!s->queue) {
        rl_request r = {.kind = RL_REQ_BILL, .customer = m->customers[i],
                        .amount = rl_bill_amount(m, i), .tag = i, .reply = s->replies[m->index]};
        return rl_chan_send(rl_processor_input(s->proc), &r);
    }
    rl_err e = rl_bank_queue_push(m->bank, TAG(m->index, i), m->accts[i], rl_bill_amount(m, i));
    if (e == RL_OK) {
        char token = 1;
        e = rl_chan_send(s->doorbell, &token);
    }
    return e;
}

static rl_err processor_cycle(rl_merchant *m) {
    shared *s = m->billing->shared;
    rl_chan *reply = s->replies[m->index];
    size_t n = m->spec->nbills, sent = 0;
    /* per bill: 0 not handed over, 1 waiting for its answer, 2 answered */
    unsigned char *state = calloc(n, 1);
    if (!state) {
        for (size_t i = 0; i < n; i++)
            rl_bill_outcome(m, i, RL_ENOMEM);
        return RL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        rl_bill_slow_step(m, i);
        rl_err e = hand_over(m, s, i);
        if (e == RL_OK) {
            sent++;
            state[i] = 1;
        } else {
            rl_bill_outcome(m, i, e);
        }
    }
    /* one answer per bill sent, in whatever order they come */
    for (size_t k = 0; k < sent; k++) {
        rl_answer a;
        if (rl_chan_recv(reply, &a) != RL_OK) {
            /* the processor stopped: what it did not answer is still queued */
            for (size_t i = 0; i < n; i++)
                if (state[i] == 1)
                    rl_bill_outcome(m, i, RL_ECONN);
            break;
        }
        if (a.tag < n && state[a.tag] == 1) {
            state[a.tag] = 2;
            rl_bill_outcome(m, (size_t)a.tag, a.result);
        }
    }
    free(state);
    return m->stats.first_error;
}

static const rl_merchant_ops processor_ops = {.bill_cycle = processor_cycle};

const rl_strategy rl__strategy_processor = {
    .name = "processor",
    .summary = "shared nothing: one processor applies every bill (a channel in memory, a job "
               "queue in a database)",
    .correct = true,
    .holds_lock_in_slow_step = false,
    .ops = &processor_ops,
    .setup = setup,
    .teardown = teardown,
};
