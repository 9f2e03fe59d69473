/* custom_target.c - a target of your own, explored with racelab's library.
 *
 * A shop hands out one castle for 40 of a customer's 50 coins. Two buyers
 * check the wallet and then take the coins and the castle; without a lock
 * around the check and the act both can pass the check. The target runs
 * the shop once, from scratch, on racelab's threads; rl_check states the
 * invariant where it can break; the explorer runs it under every schedule
 * within its bound and prints the failing one exactly as `racelab explore`
 * does. Then the same shop with the lock is proved for this case.
 *
 * Build: cc custom_target.c $(pkg-config --cflags --libs racelab)
 *    or: find_package(racelab) and link racelab::racelab (CMakeLists.txt)
 * Run:   ./custom_target   (exit 0 when the race is found and the fix holds) */
#include <racelab/explore.h>
#include <racelab/shared.h>
#include <racelab/var.h>
#include <stdio.h>

typedef struct {
    long coins;
    unsigned bought;
} wallet;

typedef struct {
    wallet wallet;   /* shared: any type, made visible with racelab/shared.h */
    rl_var castles;  /* shared: an integer, made visible with racelab/var.h */
    rl_mutex lock;
    bool use_lock;
} shop;

static void buyer(void *arg) {
    shop *s = arg;
    if (s->use_lock)
        rl_mutex_lock(&s->lock);
    wallet now;
    rl_shared_read(&s->wallet, &now, sizeof now, "wallet");
    if (now.coins >= 40) { /* check ... */
        wallet next = {now.coins - 40, now.bought + 1};
        rl_shared_write(&s->wallet, &next, sizeof next, "wallet"); /* ... then act */
        rl_check(rl_var_add(&s->castles, 1) <= 1, "a second castle handed out for 50 coins");
    }
    if (s->use_lock)
        rl_mutex_unlock(&s->lock);
}

/* One run, from scratch: set up, start the threads, join them, judge. */
static rl_err run_shop(const rl_target *t, rl_outcome *out) {
    shop s = {.wallet = {50, 0}, .use_lock = t->ctx != NULL};
    rl_var_init(&s.castles, "castles", 0);
    rl_err e = rl_mutex_init(&s.lock, "shop");
    if (e != RL_OK)
        return e;
    rl_thread a, b;
    if ((e = rl_thread_create(&a, "alice", buyer, &s)) != RL_OK)
        return e;
    if ((e = rl_thread_create(&b, "bob", buyer, &s)) != RL_OK) {
        rl_thread_join(&a);
        return e;
    }
    rl_thread_join(&a);
    rl_thread_join(&b);
    rl_mutex_destroy(&s.lock);
    long castles = rl_var_load(&s.castles);
    rl_outcome_state(out, "coins=%ld castles=%ld", s.wallet.coins, castles);
    rl_outcome_verdict(out, castles == 1 && s.wallet.coins == 10,
                       "%ld castle(s), %ld coins left", castles, s.wallet.coins);
    return RL_OK;
}

static int explore(const char *name, void *with_lock, bool expect_failure) {
    rl_target t;
    rl_target_custom(&t, name, run_shop, with_lock);
    rl_explore_opts o = rl_explore_opts_default();
    rl_explore_result r;
    char why[512];
    rl_err e = rl_explore(&t, &o, &r, why, sizeof why);
    if (e != RL_OK) {
        fprintf(stderr, "%s: %s\n", rl_strerror(e), why);
        return 2;
    }
    rl_explore_print(stdout, name, &o, &r, NULL, false);
    putchar('\n');
    bool as_expected = r.failed == expect_failure;
    rl_explore_result_free(&r);
    return as_expected ? 0 : 1;
}

int main(void) {
    int rc = explore("shop without a lock", NULL, true);
    int shop_with_lock = 1; /* any non-NULL context: use the lock */
    rc |= explore("shop with a lock", &shop_with_lock, false);
    return rc;
}
