/* run_hook.h - every complete schedule the searches account for, as the
 * partial-order reduction's tests see it (search.c): a hook called with
 * each, and what each of its steps touched. Internal; NULL and false
 * outside tests. */
#ifndef RACELAB_EXPLORE_RUN_HOOK_H
#define RACELAB_EXPLORE_RUN_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rl__run;
/* Called with every complete schedule the searches account for; NULL
 * outside tests. */
extern void (*rl__explore_run_hook)(const struct rl__run *r, void *ctx);
extern void *rl__explore_run_hook_ctx;
/* With it set, the unreduced searches record footprints too (the reduced
 * one always does); false outside tests. */
extern bool rl__explore_footprints;
/* A schedule's steps, with footprints recorded (0 without). */
size_t rl__run_steps(const struct rl__run *r);
/* The thread that made step j. */
unsigned rl__run_thread(const struct rl__run *r, size_t j);
/* A hash of what step j touched (objects by kind and name, parts, kinds). */
uint64_t rl__run_footprint(const struct rl__run *r, size_t j);
/* Whether steps i and j (of different threads) are dependent: the order
 * of the two can matter. */
bool rl__run_dependent(const struct rl__run *r, size_t i, size_t j);

#endif
