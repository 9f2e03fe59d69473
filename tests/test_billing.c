/* test_billing.c - layer 4: merchants, strategies and runs.
 *
 * Concurrent runs use the lockstep gate, so the interleaving is forced:
 * for a strategy without a lock, every merchant reads a customer before
 * any merchant writes it, every time. */
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>

#include "racelab/explore.h"
#include "racelab/ledger.h"
#include "racelab/run.h"
#include "testing.h"

/* The exercise's correct answer, hard-coded as it asks. */
static const rl_money EXPECTED[] = {275, 1700, -500, 525, -5032};
/* What the forced interleaving leaves with no protection: every merchant
 * read the start balance, so only one bill per customer survives. */
static const rl_money ONE_BILL_EACH[] = {400 - 25, 1200 + 100, 1000 - 300, 300 + 45, -32 - 1000};

static rl_run_result run(const char *strategy, rl_mode mode, bool lockstep) {
    const rl_strategy *s = rl_strategy_find(strategy);
    assert_non_null(s);
    rl_run_config cfg = rl_run_config_default(s);
    cfg.mode = mode;
    cfg.lockstep = lockstep;
    cfg.opts.delay_ns = 0;
    rl_run_result r;
    char why[256] = "";
    rl_err e = rl_run(&cfg, &r, why, sizeof why);
    if (e != RL_OK)
        fail_msg("%s run of %s failed: %s: %s", rl_mode_name(mode), strategy, rl_strerror(e), why);
    return r;
}

static void assert_finals(const rl_run_result *r, const rl_money *want) {
    assert_int_equal(r->ncustomers, 5);
    for (size_t c = 0; c < 5; c++) {
        if (r->rows[c].final != want[c])
            fail_msg("%s: final %lld, want %lld", r->rows[c].customer, (long long)r->rows[c].final,
                     (long long)want[c]);
        assert_int_equal(r->rows[c].expected, EXPECTED[c]);
    }
}

static void serial_runs_give_the_expected_table(void **state) {
    (void)state;
    assert_true(rl_strategy_count() >= 5);
    for (size_t i = 0; i < rl_strategy_count(); i++) {
        rl_run_result r = run(rl_strategy_at(i)->name, RL_MODE_SERIAL, false);
        assert_finals(&r, EXPECTED);
        assert_true(r.matches);
        assert_int_equal(r.lost_updates, 0);
        assert_int_equal(r.billed, 25);
        assert_int_equal(r.failed, 0);
        rl_run_result_free(&r);
    }
}

static void racy_concurrent_loses_updates(void **state) {
    (void)state;
    rl_run_result r = run("racy", RL_MODE_CONCURRENT, true);
    assert_false(r.matches);
    assert_finals(&r, ONE_BILL_EACH);
    /* five merchants read each customer's version; the first write is
     * fresh, the other four replace a value their writers never read */
    assert_int_equal(r.lost_updates, 4 * 5);
    assert_int_equal(r.billed, 25); /* every bill was "applied": the loss is silent */
    rl_run_result_free(&r);
}

/* The gate parks a merchant after its write too, so no merchant reads its
 * next customer before every merchant has written its last. Two merchants
 * bill two customers in opposite orders; a platform table under the gate
 * holds Target's write of Susan until Costco either reads Susan early (its
 * next bill) or waits in the gate. Without that second park, Costco reads
 * Susan before Target's write, and its own write of Susan loses Target's
 * bill; with it, Costco waits, and both bills of each customer count. */
static const rl_platform *below;
static rl_platform holding;
static atomic_uint costco;             /* Costco's thread, once it writes Dave */
static atomic_bool susan_read_early;   /* read before Target's write of Susan */
static atomic_bool susan_written, costco_waits, target_holding;

static void holding_access_begin(rl_access *a) {
    if (a->kind == RL_ACCESS_WRITE && a->key == 0 && atomic_load(&costco) == 0)
        atomic_store(&costco, rl_thread_self());
    if (a->kind == RL_ACCESS_READ && a->key == 1 && atomic_load(&target_holding) &&
        !atomic_load(&susan_written))
        atomic_store(&susan_read_early, true);
    if (a->kind == RL_ACCESS_WRITE && a->key == 1 && !atomic_exchange(&target_holding, true))
        while (!atomic_load(&susan_read_early) && !atomic_load(&costco_waits))
            sched_yield(); /* not the platform's yield: the gate must see it run */
    if (below->access_begin)
        below->access_begin(a);
}

static void holding_access_end(rl_access *a) {
    if (a->kind == RL_ACCESS_WRITE && a->key == 1)
        atomic_store(&susan_written, true);
    if (below->access_end)
        below->access_end(a);
}

static void holding_cond_wait(rl_cond *c, rl_mutex *m) {
    if (atomic_load(&costco) == rl_thread_self())
        atomic_store(&costco_waits, true);
    below->cond_wait(c, m);
}

static void lockstep_rounds_do_not_overlap(void **state) {
    (void)state;
    static const rl_customer customers[] = {{"Dave", 400}, {"Susan", 1200}};
    static const rl_bill forward[] = {{"Dave", -25}, {"Susan", 100}};
    static const rl_bill backward[] = {{"Susan", 100}, {"Dave", -25}};
    static const rl_merchant_spec merchants[] = {{"Costco", forward, 2}, {"Target", backward, 2}};
    const rl_dataset d = {customers, 2, merchants, 2};
    below = rl_platform_current();
    holding = *below;
    holding.name = "holding";
    holding.layout = rl_platform_layout(below);
    holding.access_begin = holding_access_begin;
    holding.access_end = holding_access_end;
    holding.cond_wait = holding_cond_wait;
    const rl_platform *previous = rl_platform_install(&holding);
    rl_run_config cfg = rl_run_config_default(rl_strategy_find("racy"));
    cfg.data = &d;
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.lockstep = true;
    cfg.opts.delay_ns = 0;
    rl_run_result r;
    char why[256] = "";
    rl_err e = rl_run(&cfg, &r, why, sizeof why);
    rl_platform_install(previous);
    if (e != RL_OK)
        fail_msg("racy run: %s: %s", rl_strerror(e), why);
    assert_true(atomic_load(&target_holding));
    assert_false(atomic_load(&susan_read_early));
    assert_int_equal(r.rows[0].final, 400 - 50);
    assert_int_equal(r.rows[1].final, 1200 + 200);
    assert_int_equal(r.lost_updates, 0);
    assert_true(r.matches);
    rl_run_result_free(&r);
}

static void fix_holds_under_lockstep(const char *strategy) {
    rl_run_result r = run(strategy, RL_MODE_CONCURRENT, true);
    assert_finals(&r, EXPECTED);
    assert_true(r.matches);
    assert_int_equal(r.lost_updates, 0);
    assert_int_equal(r.billed, 25);
    assert_int_equal(r.failed, 0);
    if (strcmp(strategy, "cas") == 0)
        assert_true(r.retries >= 4 * 5); /* every round, four of five compares fail */
    if (strcmp(strategy, "repeatable-read") == 0 || strcmp(strategy, "serializable") == 0) {
        /* all five read Dave before anyone writes: four writes are refused
         * at once, and every refusal is retried */
        assert_true(r.aborts >= 4);
        assert_int_equal(r.retries, r.aborts);
    }
    rl_run_result_free(&r);
}

static void mutex_fix(void **state) {
    (void)state;
    fix_holds_under_lockstep("mutex");
}
/* Under lockstep the staggered merchants never read the same customer in
 * the same round (that is its point), so the gate does not force a
 * conflict: without the lock this run usually fails, when one merchant's
 * next read overtakes a neighbour's write after a release, but only by
 * timing. The test that fails every time the lock is removed is the
 * explorer's (test_searches, fixes_proved). */
static void staggered_fix(void **state) {
    (void)state;
    fix_holds_under_lockstep("staggered");
}
static void global_fix(void **state) {
    (void)state;
    fix_holds_under_lockstep("global");
}
static void atomic_fix(void **state) {
    (void)state;
    fix_holds_under_lockstep("atomic");
}
static void cas_fix(void **state) {
    (void)state;
    fix_holds_under_lockstep("cas");
}

/* The strategies made for databases hold in memory too: the customer's
 * lock, the first-updater-wins check, the batch of atomic adds. */
static void database_strategies_fix(void **state) {
    (void)state;
    static const char *fixes[] = {"advisory", "repeatable-read", "serializable", "batch"};
    for (size_t i = 0; i < sizeof fixes / sizeof fixes[0]; i++) {
        fix_holds_under_lockstep(fixes[i]);
        rl_run_result r = run(fixes[i], RL_MODE_CONCURRENT, false);
        assert_finals(&r, EXPECTED);
        rl_run_result_free(&r);
    }
}

static void cas_past_its_bound_applies_nothing(void **state) {
    (void)state;
    rl_run_config cfg = rl_run_config_default(rl_strategy_find("cas"));
    cfg.mode = RL_MODE_CONCURRENT;
    cfg.lockstep = true;
    cfg.opts.delay_ns = 0;
    cfg.opts.max_retries = 0;
    rl_run_result r;
    assert_err_equal(rl_run(&cfg, &r, NULL, 0), RL_OK);
    /* all five read the same balance; one compare-and-set wins per
     * customer, the other four give up without writing anything */
    assert_finals(&r, ONE_BILL_EACH);
    assert_int_equal(r.billed, 5);
    assert_int_equal(r.failed, 20);
    assert_err_equal(r.first_error, RL_ERETRY);
    assert_int_equal(r.lost_updates, 0);
    assert_int_equal(r.retries, 0);
    rl_run_result_free(&r);
}

static void concurrent_fixes_without_lockstep(void **state) {
    (void)state;
    static const char *fixes[] = {"mutex", "staggered", "global", "atomic", "cas"};
    for (size_t i = 0; i < 5; i++) {
        rl_run_result r = run(fixes[i], RL_MODE_CONCURRENT, false);
        assert_finals(&r, EXPECTED);
        rl_run_result_free(&r);
    }
}

/* An overflowing bill is refused and changes nothing; the cycle goes on. */
static void overflow_refuses_the_bill(void **state) {
    (void)state;
    static const rl_customer rich[] = {{"Rich", INT64_MAX - 5}};
    static const rl_bill up[] = {{"Rich", 10}}, down[] = {{"Rich", -10}};
    static const rl_merchant_spec ms[] = {{"Up", up, 1}, {"Down", down, 1}};
    rl_dataset d = {rich, 1, ms, 2};
    for (size_t i = 0; i < rl_strategy_count(); i++) {
        rl_run_config cfg = rl_run_config_default(rl_strategy_at(i));
        cfg.data = &d;
        cfg.opts.delay_ns = 0;
        rl_run_result r;
        assert_err_equal(rl_run(&cfg, &r, NULL, 0), RL_OK);
        assert_int_equal(r.rows[0].final, INT64_MAX - 15);
        assert_int_equal(r.rows[0].expected, INT64_MAX - 5);
        assert_false(r.matches);
        assert_int_equal(r.failed, 1);
        assert_int_equal(r.billed, 1);
        assert_err_equal(r.first_error, RL_EOVERFLOW);
        assert_string_equal(r.error_merchant, "Up");
        assert_string_equal(r.error_customer, "Rich");
        rl_run_result_free(&r);
    }
}

static void bad_input_bills_nothing(void **state) {
    (void)state;
    const rl_strategy *racy = rl_strategy_find("racy");
    rl_run_config cfg = rl_run_config_default(racy);
    rl_run_result r;
    char why[256];
    static const rl_customer one[] = {{"Ann", 10}};
    static const rl_bill to_ann[] = {{"Ann", 1}}, to_zed[] = {{"Zed", 1}};

    rl_dataset none = {one, 1, NULL, 0};
    cfg.data = &none;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EEMPTY);
    assert_string_equal(why, "the data set has no merchants");

    rl_merchant_spec empty = {"Empty", to_ann, 0};
    rl_dataset e = {one, 1, &empty, 1};
    cfg.data = &e;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EEMPTY);
    assert_string_equal(why, "merchant 'Empty' has no bills");

    rl_merchant_spec unknown = {"Shady", to_zed, 1};
    rl_dataset u = {one, 1, &unknown, 1};
    cfg.data = &u;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_ENOENT);
    assert_string_equal(why, "merchant 'Shady' bills unknown customer 'Zed'");

    static const rl_customer rich[] = {{"Rich", INT64_MAX}};
    static const rl_bill plus[] = {{"Rich", 1}};
    rl_merchant_spec over = {"Over", plus, 1};
    rl_dataset o = {rich, 1, &over, 1};
    cfg.data = &o;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EOVERFLOW);

    cfg.data = NULL;
    cfg.lockstep = true; /* needs concurrent */
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EINVAL);
    cfg.lockstep = false;
    cfg.opts.jitter_pct = 101;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EINVAL);
    cfg.opts.jitter_pct = 0;
    cfg.mode = (rl_mode)7;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EINVAL);
    cfg.mode = RL_MODE_SERIAL;
    cfg.strategy = NULL;
    assert_err_equal(rl_run(&cfg, &r, why, sizeof why), RL_EINVAL);
    assert_err_equal(rl_run(NULL, &r, why, sizeof why), RL_EINVAL);
    cfg.strategy = racy;
    assert_err_equal(rl_run(&cfg, NULL, why, sizeof why), RL_EINVAL);
    assert_null(rl_strategy_find("nope"));
    assert_null(rl_strategy_find(NULL));
    assert_null(rl_strategy_at(rl_strategy_count()));
}

/* The slow steps' lengths, seen through a table whose sleep only records. */
static uint64_t slept[32];
static size_t nslept;
static void record_sleep(uint64_t ns) {
    if (nslept < 32)
        slept[nslept++] = ns;
}

static void record_serial_sleeps(unsigned jitter, uint64_t seed, uint64_t *out) {
    rl_platform rec = *rl_platform_pthreads();
    rec.name = "sleep-recorder";
    rec.sleep_ns = record_sleep;
    rl_platform_install(&rec);
    rl_run_config cfg = rl_run_config_default(rl_strategy_find("racy"));
    cfg.opts.delay_ns = 1000000;
    cfg.opts.jitter_pct = jitter;
    cfg.opts.seed = seed;
    nslept = 0;
    rl_run_result r;
    rl_err e = rl_run(&cfg, &r, NULL, 0);
    rl_platform_install(NULL);
    assert_err_equal(e, RL_OK);
    assert_int_equal(nslept, 25);
    memcpy(out, slept, 25 * sizeof *out);
    rl_run_result_free(&r);
}

static void jitter_is_seeded_and_bounded(void **state) {
    (void)state;
    uint64_t a[25], b[25], c[25], none[25];
    record_serial_sleeps(50, 42, a);
    record_serial_sleeps(50, 42, b);
    record_serial_sleeps(50, 43, c);
    record_serial_sleeps(0, 42, none);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    bool varied = false;
    for (size_t i = 0; i < 25; i++) {
        assert_in_range(a[i], 500000, 1500000);
        assert_int_equal(none[i], 1000000);
        varied |= a[i] != a[0];
    }
    assert_true(varied);
}

/* ---- the ledger: a cycle claimed once ---- */

static void ledger_claims_each_cycle_once(void **state) {
    (void)state;
    rl_ledger *l;
    assert_err_equal(rl_ledger_create(&l), RL_OK);
    assert_false(rl_ledger_seen(l, "Costco", 1));
    assert_err_equal(rl_ledger_claim(l, "Costco", 1), RL_OK);
    assert_true(rl_ledger_seen(l, "Costco", 1));
    assert_err_equal(rl_ledger_claim(l, "Costco", 1), RL_EAGAIN);
    assert_err_equal(rl_ledger_claim(l, "Costco", 2), RL_OK);  /* another cycle */
    assert_err_equal(rl_ledger_claim(l, "Target", 1), RL_OK);  /* another merchant */
    /* check-then-act's two steps: recording is idempotent, and a recorded
     * pair is claimed already */
    assert_false(rl_ledger_seen(l, "Nike", 7));
    assert_err_equal(rl_ledger_record(l, "Nike", 7), RL_OK);
    assert_err_equal(rl_ledger_record(l, "Nike", 7), RL_OK);
    assert_true(rl_ledger_seen(l, "Nike", 7));
    assert_err_equal(rl_ledger_claim(l, "Nike", 7), RL_EAGAIN);
    /* the policy: errors for NULL, "not seen" for a NULL name */
    assert_err_equal(rl_ledger_create(NULL), RL_EINVAL);
    assert_err_equal(rl_ledger_claim(NULL, "Costco", 1), RL_EINVAL);
    assert_err_equal(rl_ledger_claim(l, NULL, 1), RL_EINVAL);
    assert_err_equal(rl_ledger_record(l, NULL, 1), RL_EINVAL);
    assert_false(rl_ledger_seen(l, NULL, 1));
    rl_ledger_destroy(l);
    rl_ledger_destroy(NULL);
}

/* Three callers claim one cycle at once: under every schedule exactly one
 * wins (explored, every schedule). */
typedef struct {
    rl_ledger *ledger;
    int wins;
} claimers;

static void claim_it(void *arg) {
    claimers *c = arg;
    if (rl_ledger_claim(c->ledger, "Costco", 1) == RL_OK)
        c->wins++; /* only the winner writes */
}

static rl_err run_claimers(const rl_target *t, rl_outcome *out) {
    (void)t;
    claimers c = {0};
    rl_err e = rl_ledger_create(&c.ledger);
    if (e != RL_OK)
        return e;
    rl_thread th[3];
    for (int i = 0; i < 3; i++)
        if ((e = rl_thread_create(&th[i], "claimer", claim_it, &c)) != RL_OK)
            rl_fatal("claimer %d: %s", i, rl_strerror(e));
    for (int i = 0; i < 3; i++)
        rl_thread_join(&th[i]);
    rl_ledger_destroy(c.ledger);
    rl_outcome_state(out, "wins=%d", c.wins);
    rl_outcome_verdict(out, c.wins == 1, "%d claims won", c.wins);
    return RL_OK;
}

static void ledger_one_winner_under_every_schedule(void **state) {
    (void)state;
    rl_target t;
    rl_target_custom(&t, "three claimers", run_claimers, NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_false(r.failed);
    assert_true(r.complete);
    assert_int_equal(r.nstates, 1);
    assert_string_equal(r.states[0].state, "wins=1");
    rl_explore_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(serial_runs_give_the_expected_table),
        rl_unit_test(ledger_claims_each_cycle_once),
        rl_unit_test(ledger_one_winner_under_every_schedule),
        rl_unit_test(racy_concurrent_loses_updates),
        rl_unit_test(lockstep_rounds_do_not_overlap),
        rl_unit_test(mutex_fix),
        rl_unit_test(staggered_fix),
        rl_unit_test(global_fix),
        rl_unit_test(atomic_fix),
        rl_unit_test(cas_fix),
        rl_unit_test(database_strategies_fix),
        rl_unit_test(cas_past_its_bound_applies_nothing),
        rl_unit_test(concurrent_fixes_without_lockstep),
        rl_unit_test(overflow_refuses_the_bill),
        rl_unit_test(bad_input_bills_nothing),
        rl_unit_test(jitter_is_seeded_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
