/* scenario_impl.h - what scenario implementations share. Internal. */
#ifndef RACELAB_SCENARIO_IMPL_H
#define RACELAB_SCENARIO_IMPL_H

#include "racelab/locker.h"
#include "racelab/lockstep.h"
#include "racelab/scenario.h"

/* The slow step of a scenario's threads: a sleep of the given length, or,
 * when the run is forced on real threads, a park at the lockstep gate.
 * Usage: stage_begin before starting the threads; each thread calls
 * stage_enter(i) first and stage_leave(i) last; stage_end after joining. */
typedef struct rl__stage {
    rl_lockstep *gate; /* NULL unless forced */
} rl__stage;

rl_err rl__stage_begin(rl__stage *st, const rl_scenario_opts *o, size_t participants);
void rl__stage_end(rl__stage *st);
void rl__stage_enter(rl__stage *st, size_t i);
void rl__stage_leave(rl__stage *st, size_t i);
/* The race window of participant i: park when forced, else sleep ns. */
void rl__stage_pause(rl__stage *st, size_t i, uint64_t ns);

/* One participant of a staged run: its thread, its name, what it runs. */
typedef struct rl__actor {
    rl_thread *thread;
    const char *name;
    rl_thread_fn main;
    void *arg;
} rl__actor;

/* Start the n participants of a begun stage, the i-th as cast(ctx, i)
 * prepares and returns it, then join every one that started. One that
 * could not start leaves the stage, so that the gate does not wait for
 * it. RL_OK, or the first start's error. The caller ends the stage. */
rl_err rl__stage_play(rl__stage *st, size_t n, rl__actor (*cast)(void *ctx, size_t i),
                      void *ctx);

/* The scenarios, defined one per file. */
extern const rl_scenario rl__scenario_bill;
extern const rl_scenario rl__scenario_overdraft;
extern const rl_scenario rl__scenario_close;
extern const rl_scenario rl__scenario_idempotent;
extern const rl_scenario rl__scenario_locker;
extern const rl_scenario rl__scenario_trylock;
extern const rl_scenario rl__scenario_processor;
extern const rl_scenario rl__scenario_lost_update;

#endif
