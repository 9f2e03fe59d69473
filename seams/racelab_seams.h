/* racelab_seams.h - the few internals racelab's own tests reach, and
 * nothing else may: not installed, no stability promised. The library's
 * sources include it for the declarations below (one definition, shared
 * with the tests); each seam says what a test needs it for that the
 * public API cannot show. Not for users: everything here is rl__. */
#ifndef RACELAB_SEAMS_H
#define RACELAB_SEAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "racelab/error.h"

/* ---- the in-memory bank: a writer stopped inside its write section ----
 * An account's write section is a few instructions with no platform call
 * in it, so neither the lockstep gate nor the explorer can stop a thread
 * inside it. These hooks let a test do so, to show deterministically that
 * a second writer is kept out. Both are NULL in normal use (a load and a
 * branch per write); set them only while no other thread uses a bank. */

/* Called by a writer inside its write section, right after taking it. */
extern void (*rl__membank_in_write)(void);
/* Called by a writer that found the write section taken, at every retry. */
extern void (*rl__membank_contended)(void);

/* ---- the explorer: schedules as data and as strings ----
 * A schedule string is what `racelab explore --replay` takes; a test
 * checks its parsing and encoding on their own. */

/* One decision of a schedule. */
typedef struct rl__decision {
    uint64_t enabled; /* runnable threads, a bit per thread */
    int8_t current;   /* the thread that made the previous step, -1 if it cannot go on */
    uint8_t chosen;
} rl__decision;

/* A choice that differs from the default order. */
typedef struct rl__deviation {
    uint32_t step; /* 0-based */
    uint8_t thread;
} rl__deviation;

/* The deviations of d[0 .. n - 1] as "step:thread,..." ("-" for none),
 * malloc'd (NULL without memory); their number to *deviations. */
char *rl__schedule_encode(const rl__decision *d, size_t n, unsigned *deviations);
/* Parse a schedule string into *out (malloc'd, *n long). RL_EINVAL with a
 * reason in why (may be NULL) for a malformed string. */
rl_err rl__schedule_parse(const char *s, rl__deviation **out, size_t *n, char *why,
                          size_t why_len);

/* ---- the explorer: what every schedule's steps touched ----
 * The partial-order reduction test names each schedule's class by its
 * steps and the order of its dependent steps, and checks that the reduced
 * search runs each class once and every class of the unreduced one. */
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

/* ---- the command (src/cli) ----
 * The racelab command, run in-process: argv[0] the program, argv[1] the
 * verb; returns its exit status. */
int rl_cli_main(int argc, char **argv);

#endif
