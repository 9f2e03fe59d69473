/* once.c - run a function exactly once, on the platform mutex. The mutex is
 * held while fn runs, so every other caller blocks until fn has returned:
 * nobody proceeds on a half-done initialisation. The mutex is guarded
 * (racelab/platform.h): each section declares how it uses the flag, and
 * only this file takes the mutex, never with a try. */
#include "racelab/once.h"

rl_err rl_once_init(rl_once *o, const char *name) {
    if (!o)
        return RL_EINVAL;
    o->done = false;
    return rl_mutex_init_guarded(&o->mu, name ? name : "once");
}

void rl_once_destroy(rl_once *o) {
    if (o)
        rl_mutex_destroy(&o->mu);
}

bool rl_once_do(rl_once *o, void (*fn)(void *arg), void *arg) {
    if (!o || !fn)
        rl_fatal("rl_once_do: NULL argument");
    rl_mutex_lock(&o->mu);
    rl_guarded_touch(&o->mu, 1, RL_TOUCH_WRITES);
    bool ran = false;
    if (!o->done) {
        fn(arg);
        o->done = true;
        ran = true;
    }
    rl_mutex_unlock(&o->mu);
    return ran;
}

bool rl_once_done(rl_once *o) {
    if (!o)
        rl_fatal("rl_once_done: NULL once");
    rl_mutex_lock(&o->mu);
    rl_guarded_touch(&o->mu, 1, RL_TOUCH_READS);
    bool done = o->done;
    rl_mutex_unlock(&o->mu);
    return done;
}
