/* barrier.c - a cyclic barrier on the platform mutex and condition. */
#include "racelab/barrier.h"

rl_err rl_barrier_init(rl_barrier *b, unsigned parties, const char *name) {
    if (!b || parties == 0)
        return RL_EINVAL;
    b->parties = parties;
    b->waiting = 0;
    b->round = 0;
    rl_err e = rl_mutex_init(&b->mu, name ? name : "barrier");
    if (e != RL_OK)
        return e;
    e = rl_cond_init(&b->all_here, name ? name : "barrier");
    if (e != RL_OK)
        rl_mutex_destroy(&b->mu);
    return e;
}

void rl_barrier_destroy(rl_barrier *b) {
    rl_cond_destroy(&b->all_here);
    rl_mutex_destroy(&b->mu);
}

bool rl_barrier_wait(rl_barrier *b) {
    rl_mutex_lock(&b->mu);
    unsigned long my_round = b->round;
    bool last = ++b->waiting == b->parties;
    if (last) {
        b->waiting = 0;
        b->round++;
        rl_cond_broadcast(&b->all_here);
    } else {
        while (b->round == my_round)
            rl_cond_wait(&b->all_here, &b->mu);
    }
    rl_mutex_unlock(&b->mu);
    return last;
}
