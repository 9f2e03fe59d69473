/* choice.h - the scheduling core's decision at one step, once the front
 * end knows which threads can go: which thread is "current" (going on with
 * it is no preemption), fitting the plan's or the search's choice (one
 * that cannot go is noted and replaced by the default order, so the run
 * still ends), whether it preempts, whether it is a time-out, and its
 * record. Internal; one implementation for both front ends. */
#ifndef RACELAB_EXPLORE_CORE_CHOICE_H
#define RACELAB_EXPLORE_CORE_CHOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* The thread that made the last step (`last`, -1: none), if it can go on
 * without timing out (`enabled` minus `lazy`), else -1. */
int rl__choice_current(uint64_t enabled, uint64_t lazy, int last);

typedef struct {
    unsigned chosen;   /* the thread that goes */
    bool fits;         /* false: `asked` could not go, chosen is the default */
    bool preempted;    /* a current thread could have gone on and did not */
    bool timed_out;    /* chosen goes by timing out */
    rl__decision decision;
} rl__choice;

/* The step's choice when `asked` was asked for. */
rl__choice rl__choice_fit(uint64_t enabled, uint64_t lazy, int current, unsigned asked);

/* Why a choice did not fit: "the schedule does not fit this NOUN: at step
 * S thread T cannot go (runnable: ...)", S counted from 1. */
void rl__choice_no_fit_text(char *out, size_t cap, const char *noun, uint64_t step,
                            unsigned asked, uint64_t enabled);

#endif
