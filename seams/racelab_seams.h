/* racelab_seams.h - the few internals racelab's own tests reach, and
 * nothing else may: not installed, no stability promised, never included
 * by the library or the interposer. Each seam below is an internal header
 * of the module that defines it (the one declaration, shared with the
 * library's own sources); this file says what a test needs it for that
 * the public API cannot show. Not for users: everything here is rl__. */
#ifndef RACELAB_SEAMS_H
#define RACELAB_SEAMS_H

/* ---- the in-memory bank: a writer stopped inside its write section ----
 * rl__membank_in_write and rl__membank_contended let a test stop a writer
 * where no platform call can, to show deterministically that a second
 * writer is kept out. */
#include "../src/bank/membank_hooks.h"

/* ---- the explorer: schedules as data and as strings ----
 * rl__decision, rl__deviation, rl__schedule_encode and
 * rl__schedule_parse: a schedule string is what `racelab explore
 * --replay` takes; a test checks its parsing and encoding on their own. */
#include "../src/explore/search/schedule.h"

/* ---- the explorer: what every schedule's steps touched ----
 * rl__explore_run_hook, rl__explore_footprints and rl__run_*: the
 * partial-order reduction test names each schedule's class by its steps
 * and the order of its dependent steps, and checks that the reduced
 * search runs each class once and every class of the unreduced one. */
#include "../src/explore/search/run_hook.h"

/* ---- the explorer: the reduced search's messages on workers ----
 * rl__dpor_result_head and RL_DPOR_*: a test hands the coordinator a
 * worker's first message with another program's layout, which it must
 * refuse, without starting two programs laid out apart. */
#include "../src/explore/search/dpor.h"

/* ---- the explorer's scheduling core ----
 * rl__core_*: threads and objects, who can go, a step's effect and the
 * decide-apply loop; rl__signals_*: which waiter a signal may wake;
 * rl__fair_*: who may go after a yield; rl__choice_*: one step's
 * decision. Shared by the in-process explorer and the interposer; a test
 * checks their rules (and the signals' bound) on their own. */
#include "../src/explore/core/core.h"

/* ---- the JSON reader (src/util) ----
 * rl__jv_parse and its accessors: `racelab merge` reads parts back with
 * them; a test checks the syntax it takes and refuses on its own. */
#include "../src/util/jsonread.h"

/* ---- the command (src/cli) ----
 * The racelab command, run in-process: argv[0] the program, argv[1] the
 * verb; returns its exit status. */
int rl_cli_main(int argc, char **argv);

#endif
