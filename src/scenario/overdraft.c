/* overdraft.c - check-then-act: Alice has 50 coins and buys the Castle
 * (40) and the Plants (20) at the same time. Each purchase reads the
 * balance, checks that it covers the price, waits, then writes.
 *
 * Invariant: the balance never goes below zero and equals the start minus
 * the prices of the sets actually bought. */
#include <stdio.h>
#include <string.h>

#include "racelab/bank.h"
#include "racelab/platform.h"
#include "scenario_impl.h"

enum { RACY, MUTEX, CAS, CAS_RETRY };

static const rl_variant variants[] = {
    [RACY] = {"racy", "read, check, wait, write: both sets bought, balance wrong", false},
    [MUTEX] = {"mutex", "the whole purchase under one lock", true},
    [CAS] = {"cas", "read, check, wait, compare-and-set; a conflict fails the purchase", true},
    [CAS_RETRY] = {"cas-retry", "as cas, but re-read and retry after a short wait, up to a bound",
                   true},
};

#define START 50
#define NSETS 2
static const struct {
    const char *name;
    rl_money price;
} sets[NSETS] = {{"Castle", 40}, {"Plants", 20}};

typedef enum { NOT_TRIED, BOUGHT, CANNOT_AFFORD, CONFLICT, GAVE_UP, ERROR } result;

typedef struct shop {
    size_t variant;
    const rl_scenario_opts *o;
    rl_bank *bank;
    rl_acct alice;
    rl_mutex lock;
    rl__stage stage;
    struct buyer {
        struct shop *shop;
        size_t set;
        rl_thread thread;
        result result;
        rl_money seen;      /* the balance the buyer last read */
        unsigned conflicts; /* compare-and-set failures */
        rl_err error;
    } buyers[NSETS];
} shop;

/* One attempt: read, check, wait, write. Returns the result; *retry asks
 * the caller to try again (cas-retry after a conflict). */
static result attempt(struct buyer *b, bool *retry) {
    shop *s = b->shop;
    rl_money price = sets[b->set].price, balance;
    uint64_t version;
    *retry = false;
    rl_err e = rl_bank_get(s->bank, s->alice, &balance, &version);
    if (e != RL_OK) {
        b->error = e;
        return ERROR;
    }
    b->seen = balance;
    if (balance < price)
        return CANNOT_AFFORD;
    /* the wait between check and act; longer for the second set, as in the
     * chapter, so that on real threads the Castle usually writes first */
    rl__stage_pause(&s->stage, b->set, s->o->delay_ns * (b->set + 1));
    if (s->variant == CAS || s->variant == CAS_RETRY) {
        e = rl_bank_compare_and_set(s->bank, s->alice, balance, balance - price, &b->seen);
        if (e == RL_ECONFLICT) {
            b->conflicts++;
            *retry = s->variant == CAS_RETRY;
            return CONFLICT;
        }
    } else {
        e = rl_bank_set(s->bank, s->alice, balance - price, version, NULL);
    }
    if (e != RL_OK) {
        b->error = e;
        return ERROR;
    }
    rl_note(RL_NOTE_INFO, "Alice bought the %s", sets[b->set].name);
    return BOUGHT;
}

static void buy(void *arg) {
    struct buyer *b = arg;
    shop *s = b->shop;
    rl__stage_enter(&s->stage, b->set);
    if (s->variant == MUTEX)
        rl_mutex_lock(&s->lock);
    bool retry;
    b->result = attempt(b, &retry);
    while (retry) {
        if (b->conflicts > s->o->retries) {
            b->result = GAVE_UP;
            break;
        }
        rl_sleep_ns(1000000); /* wait a little before trying again */
        b->result = attempt(b, &retry);
    }
    if (s->variant == MUTEX)
        rl_mutex_unlock(&s->lock);
    rl__stage_leave(&s->stage, b->set);
}

static void tell(const struct buyer *b, rl_outcome *out) {
    const char *set = sets[b->set].name;
    switch (b->result) {
    case BOUGHT: rl_outcome_say(out, "Alice bought the %s", set); break;
    case CANNOT_AFFORD:
        rl_outcome_say(out, "Alice could not afford the %s (balance %lld)", set, (long long)b->seen);
        break;
    case CONFLICT:
        rl_outcome_say(out, "the %s purchase failed: the balance changed to %lld under it", set,
                       (long long)b->seen);
        break;
    case GAVE_UP:
        rl_outcome_say(out, "the %s purchase gave up after %u conflicts", set, b->conflicts);
        break;
    case ERROR: rl_outcome_say(out, "the %s purchase failed: %s", set, rl_strerror(b->error)); break;
    case NOT_TRIED: rl_outcome_say(out, "the %s purchase never ran", set); break;
    }
}

static rl__actor cast_buyer(void *ctx, size_t i) {
    shop *s = ctx;
    struct buyer *b = &s->buyers[i];
    *b = (struct buyer){.shop = s, .set = i};
    return (rl__actor){&b->thread, sets[i].name, buy, b};
}

static rl_err run_overdraft(size_t v, const rl_scenario_opts *o, rl_outcome *out) {
    shop s = {.variant = v, .o = o};
    rl_err e = rl_membank_create(1, &s.bank);
    if (e != RL_OK)
        return e;
    if ((e = rl_bank_open(s.bank, "alice", START, &s.alice)) != RL_OK ||
        (e = rl_mutex_init(&s.lock, "purchase")) != RL_OK) {
        rl_bank_destroy(s.bank);
        return e;
    }
    if ((e = rl__stage_begin(&s.stage, o, NSETS)) != RL_OK)
        goto done;
    e = rl__stage_play(&s.stage, NSETS, cast_buyer, &s);
    rl__stage_end(&s.stage);
    if (e != RL_OK)
        goto done;

    rl_money balance, spent = 0;
    rl_bank_get(s.bank, s.alice, &balance, NULL);
    char bought[64] = "", failed[64] = "";
    for (size_t i = 0; i < NSETS; i++) {
        const struct buyer *b = &s.buyers[i];
        tell(b, out);
        char *list = b->result == BOUGHT ? bought
                     : (b->result == CONFLICT || b->result == GAVE_UP || b->result == ERROR)
                         ? failed
                         : NULL;
        if (list)
            snprintf(list + strlen(list), 64 - strlen(list), "%s%s", *list ? "," : "",
                     sets[i].name);
        if (b->result == BOUGHT)
            spent += sets[i].price;
    }
    rl_outcome_say(out, "Alice's balance: %lld", (long long)balance);
    /* the state names the purchases that failed (a conflict), not those
     * that were simply unaffordable: that is the outcome cas adds */
    rl_outcome_state(out, "bought=%s%s%s balance=%lld", *bought ? bought : "none",
                     *failed ? " failed=" : "", failed, (long long)balance);
    if (balance < 0)
        rl_outcome_verdict(out, false, "overdraft: the balance went below zero (%lld)",
                           (long long)balance);
    else if (balance != START - spent)
        rl_outcome_verdict(out, false,
                           "sets worth %lld were bought from %d coins but the balance is %lld, "
                           "not %lld",
                           (long long)spent, START, (long long)balance, (long long)(START - spent));
    else
        rl_outcome_verdict(out, true, "the balance (%lld) is the start minus what was bought",
                           (long long)balance);
done:
    rl_mutex_destroy(&s.lock);
    rl_bank_destroy(s.bank);
    return e;
}

const rl_scenario rl__scenario_overdraft = {
    .name = "overdraft",
    .summary = "check-then-act: Alice (50 coins) buys the Castle (40) and the Plants (20) at once",
    .variants = variants,
    .nvariants = sizeof variants / sizeof variants[0],
    .defaults = {.delay_ns = 5000000, .retries = 3},
    .knobs = RL_KNOB_DELAY | RL_KNOB_RETRIES,
    .run = run_overdraft,
};
