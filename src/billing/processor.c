/* processor.c - shared nothing: one thread owns the balances and serves
 * requests from a channel (see racelab/processor.h). The processor's copy
 * of the balances is touched by its own thread only, so it needs no lock;
 * the channels carry every interaction. */
#include "racelab/processor.h"

#include <stdlib.h>
#include <string.h>

struct rl_processor {
    rl_chan *in, *out;
    rl_thread thread;
    size_t n;
    rl_money *balances; /* the processor's own copy */
    rl_bank *mirror;
    rl_acct *mirror_accts;
    uint64_t served;
};

static rl_answer serve(rl_processor *p, const rl_request *r) {
    rl_answer a = {.tag = r->tag, .result = RL_OK};
    if (r->customer >= p->n) {
        a.result = RL_EINVAL;
        return a;
    }
    rl_money *bal = &p->balances[r->customer], next = *bal;
    if (r->kind == RL_REQ_PURCHASE) {
        if (*bal < r->amount)
            a.result = RL_EFUNDS;
        else
            a.result = rl_money_add(*bal, -r->amount, &next);
    } else if (r->kind == RL_REQ_BILL) {
        a.result = rl_money_add(*bal, r->amount, &next);
    } else {
        a.result = RL_EINVAL;
    }
    if (a.result == RL_OK) {
        *bal = next;
        if (p->mirror) /* the only writer of these accounts: a blind write */
            (void)rl_bank_set(p->mirror, p->mirror_accts[r->customer], next, RL_VERSION_BLIND,
                              NULL);
    }
    a.balance = *bal;
    return a;
}

static void processor_main(void *arg) {
    rl_processor *p = arg;
    rl_request r;
    /* recv delivers what was queued before close, then RL_ECLOSED */
    while (rl_chan_recv(p->in, &r) == RL_OK) {
        rl_answer a = serve(p, &r);
        p->served++;
        /* an answer nobody can receive any more (its channel closed) is
         * dropped: the requester gave up on it */
        (void)rl_chan_send(r.reply ? r.reply : p->out, &a);
    }
    rl_chan_close(p->out);
}

rl_err rl_processor_start(const rl_customer *accounts, size_t n, size_t capacity, rl_bank *mirror,
                          const rl_acct *mirror_accts, rl_processor **out) {
    if (!out || (n && !accounts) || (mirror && !mirror_accts))
        return RL_EINVAL;
    rl_processor *p = calloc(1, sizeof *p);
    if (!p)
        return RL_ENOMEM;
    p->n = n;
    p->balances = calloc(n ? n : 1, sizeof *p->balances);
    p->mirror = mirror;
    p->mirror_accts = mirror ? calloc(n ? n : 1, sizeof *p->mirror_accts) : NULL;
    rl_err e = (!p->balances || (mirror && !p->mirror_accts)) ? RL_ENOMEM : RL_OK;
    if (e == RL_OK) {
        for (size_t i = 0; i < n; i++) {
            p->balances[i] = accounts[i].start;
            if (mirror)
                p->mirror_accts[i] = mirror_accts[i];
        }
        e = rl_chan_create(sizeof(rl_request), capacity, "requests", &p->in);
    }
    if (e == RL_OK)
        e = rl_chan_create(sizeof(rl_answer), capacity, "answers", &p->out);
    if (e == RL_OK)
        e = rl_thread_create(&p->thread, "processor", processor_main, p);
    if (e != RL_OK) {
        rl_chan_destroy(p->in);
        rl_chan_destroy(p->out);
        free(p->balances);
        free(p->mirror_accts);
        free(p);
        return e;
    }
    *out = p;
    return RL_OK;
}

rl_chan *rl_processor_input(rl_processor *p) {
    if (!p)
        rl_fatal("rl_processor_input: NULL processor");
    return p->in;
}

rl_chan *rl_processor_output(rl_processor *p) {
    if (!p)
        rl_fatal("rl_processor_output: NULL processor");
    return p->out;
}

void rl_processor_stop(rl_processor *p) {
    if (!p || !p->in)
        return;
    (void)rl_chan_close(p->in); /* a second stop finds it closed: harmless */
    if (p->thread.plat)
        rl_thread_join(&p->thread);
}

rl_money rl_processor_balance(const rl_processor *p, size_t i) {
    if (!p)
        rl_fatal("rl_processor_balance: NULL processor");
    if (i >= p->n)
        rl_fatal("rl_processor_balance: account %zu of %zu", i, p->n);
    return p->balances[i];
}

uint64_t rl_processor_served(const rl_processor *p) {
    if (!p)
        rl_fatal("rl_processor_served: NULL processor");
    return p->served;
}

void rl_processor_destroy(rl_processor *p) {
    if (!p)
        return;
    rl_processor_stop(p);
    rl_chan_destroy(p->in);
    rl_chan_destroy(p->out);
    free(p->balances);
    free(p->mirror_accts);
    free(p);
}
