/* processor.c (scenario) - shared nothing: Alice (50 coins) buys the Castle
 * (40) and the Plants (20) at the same time, but neither purchase touches
 * her balance: both are requests to a processor thread that owns it and
 * serves them one at a time.
 *
 * Invariant: the balance never goes below zero and equals the start minus
 * the prices of the sets actually bought. */
#include <stdio.h>
#include <string.h>

#include "racelab/processor.h"
#include "scenario_impl.h"

static const rl_variant variants[] = {
    {"unbuffered", "requests over a rendezvous channel (capacity 0)", true},
    {"buffered", "requests over a buffered channel (capacity 2)", true},
};

#define START 50
static const struct {
    const char *name;
    rl_money price;
} sets[2] = {{"Castle", 40}, {"Plants", 20}};

typedef struct {
    rl_processor *proc;
    rl__stage stage;
    uint64_t delay_ns;
    struct buyer {
        void *shop;
        size_t set;
        rl_chan *reply;
        rl_thread thread;
        rl_answer answer;
        rl_err error;
    } buyers[2];
} shop;

static void buy(void *arg) {
    struct buyer *b = arg;
    shop *s = b->shop;
    rl__stage_enter(&s->stage, b->set);
    /* choosing takes a while; forced, both requests are in flight together */
    rl__stage_pause(&s->stage, b->set, s->delay_ns * (b->set + 1));
    rl_request r = {.kind = RL_REQ_PURCHASE, .customer = 0, .amount = sets[b->set].price,
                    .tag = b->set, .reply = b->reply};
    b->error = rl_chan_send(rl_processor_input(s->proc), &r);
    if (b->error == RL_OK)
        b->error = rl_chan_recv(b->reply, &b->answer);
    rl__stage_leave(&s->stage, b->set);
}

static rl__actor cast_buyer(void *ctx, size_t i) {
    shop *s = ctx;
    struct buyer *b = &s->buyers[i]; /* its reply channel is made already */
    b->shop = s;
    b->set = i;
    return (rl__actor){&b->thread, sets[i].name, buy, b};
}

static rl_err run_processor(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    shop s = {.delay_ns = o->delay_ns};
    rl_customer alice = {"alice", START};
    /* the gate first: it may only be installed while no thread runs */
    rl_err e = rl__stage_begin(&s.stage, o, 2);
    if (e != RL_OK)
        return e;
    if ((e = rl_processor_start(&alice, 1, v == 0 ? 0 : 2, NULL, NULL, &s.proc)) != RL_OK) {
        rl__stage_end(&s.stage);
        return e;
    }
    size_t made = 0;
    for (; e == RL_OK && made < 2; made++)
        e = rl_chan_create(sizeof(rl_answer), 1, sets[made].name, &s.buyers[made].reply);
    if (e != RL_OK)
        made--;
    if (e == RL_OK)
        e = rl__stage_play(&s.stage, 2, cast_buyer, &s);
    rl_processor_stop(s.proc); /* joins the processor: no thread left for the gate's removal */
    rl__stage_end(&s.stage);
    if (e == RL_OK) {
        rl_money balance = rl_processor_balance(s.proc, 0), spent = 0;
        char bought[32] = "";
        for (size_t i = 0; i < 2 && e == RL_OK; i++) {
            const struct buyer *b = &s.buyers[i];
            if (b->error != RL_OK) {
                e = b->error;
                break;
            }
            if (b->answer.result == RL_OK) {
                spent += sets[i].price;
                snprintf(bought + strlen(bought), sizeof bought - strlen(bought), "%s%s",
                         *bought ? "," : "", sets[i].name);
                rl_outcome_say(out, "Alice bought the %s (balance %lld)", sets[i].name,
                               (long long)b->answer.balance);
            } else {
                rl_outcome_say(out, "Alice could not afford the %s (balance %lld)", sets[i].name,
                               (long long)b->answer.balance);
            }
        }
        rl_outcome_say(out, "Alice's balance: %lld (%llu requests served)", (long long)balance,
                       (unsigned long long)rl_processor_served(s.proc));
        rl_outcome_state(out, "bought=%s balance=%lld", *bought ? bought : "none",
                         (long long)balance);
        if (balance >= 0 && balance == START - spent)
            rl_outcome_verdict(out, true, "the balance (%lld) is the start minus what was bought",
                               (long long)balance);
        else
            rl_outcome_verdict(out, false, "sets worth %lld bought from %d coins, balance %lld",
                               (long long)spent, START, (long long)balance);
    }
    rl_processor_destroy(s.proc);
    for (size_t i = 0; i < made; i++)
        rl_chan_destroy(s.buyers[i].reply);
    return e;
}

const rl_scenario rl__scenario_processor = {
    .name = "processor",
    .summary = "shared nothing: both purchases are requests to a processor that owns the balance",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 5000000},
    .knobs = RL_KNOB_DELAY,
    .run = run_processor,
};
