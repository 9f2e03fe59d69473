/* waitgroup.c - Go's WaitGroup on the platform mutex and condition. The
 * mutex is guarded (racelab/platform.h): each section declares how it uses
 * the counter, and only this file takes the mutex, never with a try. */
#include "racelab/waitgroup.h"

rl_err rl_waitgroup_init(rl_waitgroup *wg, const char *name) {
    if (!wg)
        return RL_EINVAL;
    wg->name = name ? name : "waitgroup";
    wg->count = 0;
    rl_err e = rl_mutex_init_guarded(&wg->mu, wg->name);
    if (e != RL_OK)
        return e;
    e = rl_cond_init(&wg->zero, wg->name);
    if (e != RL_OK)
        rl_mutex_destroy(&wg->mu);
    return e;
}

void rl_waitgroup_destroy(rl_waitgroup *wg) {
    if (!wg)
        return;
    rl_cond_destroy(&wg->zero);
    rl_mutex_destroy(&wg->mu);
}

void rl_waitgroup_add(rl_waitgroup *wg, long delta) {
    if (!wg)
        rl_fatal("rl_waitgroup_add: NULL wait group");
    rl_mutex_lock(&wg->mu);
    rl_guarded_touch(&wg->mu, 1, RL_TOUCH_WRITES);
    long now = wg->count + delta;
    if (now < 0) {
        long before = wg->count;
        rl_mutex_unlock(&wg->mu);
        rl_fatal("wait group '%s': counter would go below zero (%ld %+ld)", wg->name, before, delta);
    }
    wg->count = now;
    if (now == 0)
        rl_cond_broadcast(&wg->zero);
    rl_mutex_unlock(&wg->mu);
}

void rl_waitgroup_done(rl_waitgroup *wg) {
    if (!wg)
        rl_fatal("rl_waitgroup_done: NULL wait group");
    rl_waitgroup_add(wg, -1);
}

void rl_waitgroup_wait(rl_waitgroup *wg) {
    if (!wg)
        rl_fatal("rl_waitgroup_wait: NULL wait group");
    rl_mutex_lock(&wg->mu);
    rl_guarded_touch(&wg->mu, 1, RL_TOUCH_READS);
    while (wg->count > 0)
        rl_cond_wait(&wg->zero, &wg->mu);
    rl_mutex_unlock(&wg->mu);
}
