/* membank_hooks.h - a writer of the in-memory bank stopped inside its
 * write section (membank.c). Internal.
 *
 * An account's write section is a few instructions with no platform call
 * in it, so neither the lockstep gate nor the explorer can stop a thread
 * inside it. These hooks let a test do so, to show deterministically that
 * a second writer is kept out. Both are NULL in normal use (a load and a
 * branch per write); set them only while no other thread uses a bank. */
#ifndef RACELAB_BANK_MEMBANK_HOOKS_H
#define RACELAB_BANK_MEMBANK_HOOKS_H

/* Called by a writer inside its write section, right after taking it. */
extern void (*rl__membank_in_write)(void);
/* Called by a writer that found the write section taken, at every retry. */
extern void (*rl__membank_contended)(void);

#endif
