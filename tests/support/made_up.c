/* made_up.c - small made-up targets drawn from a seed (made_up.h). */
#include "made_up.h"

#include <stdio.h>

#include "racelab/platform.h"
#include "racelab/var.h"

typedef struct {
    const rl_made_up *m;
    rl_var *var;
    rl_mutex *lock;
    unsigned who;
    int64_t seen; /* what it remembered, in order (base 100) */
} made_up_thread;

static void run_thread(void *arg) {
    made_up_thread *th = arg;
    for (unsigned k = 0; k < th->m->nops; k++) {
        rl_var *v = &th->var[th->m->op[th->who][k].var];
        int64_t own = (int64_t)(th->who * 10 + k + 1);
        switch (th->m->op[th->who][k].kind) {
        case RL_MADE_UP_LOAD:
            th->seen = th->seen * 100 + rl_var_load(v);
            break;
        case RL_MADE_UP_STORE:
            rl_var_store(v, own);
            break;
        case RL_MADE_UP_ADD:
            th->seen = th->seen * 100 + rl_var_add(v, own);
            break;
        case RL_MADE_UP_TRY: {
            bool got = rl_mutex_trylock(th->lock);
            if (got)
                rl_mutex_unlock(th->lock);
            th->seen = th->seen * 100 + (got ? 1 : 2);
            break;
        }
        case RL_MADE_UP_PASS:
            rl_mutex_lock(th->lock);
            rl_mutex_unlock(th->lock);
            break;
        default: {
            rl_mutex_lock(th->lock);
            int64_t now = rl_var_load(v);
            rl_var_store(v, now + 1);
            rl_mutex_unlock(th->lock);
            th->seen = th->seen * 100 + now;
        }
        }
    }
}

static rl_err run(const rl_target *t, rl_outcome *out) {
    const rl_made_up *m = t->ctx;
    rl_var var[3];
    rl_mutex lock;
    made_up_thread th[RL_MADE_UP_THREADS];
    rl_thread id[RL_MADE_UP_THREADS];
    rl_err e = rl_mutex_init(&lock, "m");
    if (e != RL_OK)
        return e;
    for (unsigned v = 0; v < 3; v++)
        rl_var_init(&var[v], v == 0 ? "x" : v == 1 ? "y" : "z", 0);
    for (unsigned i = 0; i < m->nthreads; i++) {
        th[i] = (made_up_thread){.m = m, .var = var, .lock = &lock, .who = i};
        rl_thread_create(&id[i], "t", run_thread, &th[i]);
    }
    for (unsigned i = 0; i < m->nthreads; i++)
        rl_thread_join(&id[i]);
    rl_mutex_destroy(&lock);
    char state[200];
    int len = 0;
    for (unsigned i = 0; i < m->nthreads; i++)
        len += snprintf(state + len, sizeof state - (size_t)len, "%lld ", (long long)th[i].seen);
    for (unsigned v = 0; v < 3; v++)
        len += snprintf(state + len, sizeof state - (size_t)len, "%lld ",
                        (long long)rl_var_load(&var[v]));
    rl_outcome_state(out, "%s", state);
    rl_outcome_verdict(out, true, "made up");
    return RL_OK;
}

rl_made_up rl_made_up_from(uint32_t seed, bool rich) {
    rl_made_up m = {.nthreads = 3 + seed % 2, .nops = 2 + seed / 2 % 2};
    if (rich) { /* 3 threads of 2, or 2 of 3: the unreduced search still ends */
        m.nthreads = 2 + seed % 2;
        m.nops = 3 - seed % 2;
    }
    uint32_t x = seed * 2654435761u + 12345u;
    for (unsigned i = 0; i < m.nthreads; i++)
        for (unsigned k = 0; k < m.nops; k++) {
            x = x * 1103515245u + 12345u;
            m.op[i][k].var = (uint8_t)((x >> 16) % 3);
            m.op[i][k].kind = rich ? (uint8_t)((x >> 20) % 4)
                                   : (x >> 20) & 1u ? RL_MADE_UP_STORE : RL_MADE_UP_LOAD;
        }
    return m;
}

void rl_made_up_target(rl_target *t, const rl_made_up *m) {
    rl_target_custom(t, "made up", run, (void *)m);
}

rl_made_up rl_made_up_locking(uint32_t seed) {
    rl_made_up m = rl_made_up_from(seed, true);
    uint32_t x = seed * 40503u + 977u;
    for (unsigned i = 0; i < m.nthreads; i++)
        for (unsigned k = 0; k < m.nops; k++) {
            x = x * 1103515245u + 12345u;
            m.op[i][k].kind = (uint8_t)((x >> 16) % 6);
        }
    return m;
}
