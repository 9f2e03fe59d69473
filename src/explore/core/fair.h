/* fair.h - the scheduling core's fairness: a thread that yields (or
 * sleeps, or spins) a second time while another thread could run all
 * along since its first yield and has not moved goes again only after
 * that thread has moved, so a spinner never starves the thread it waits
 * for (the fair scheduler of CHESS, Musuvathi and Qadeer, PLDI 2008: the
 * priorities a yield adds are over the window since the thread's previous
 * yield). One yield constrains nothing: a thread that sleeps once, between
 * a read and a write, may go on at once, as it may natively. Internal; one
 * implementation for the in-process explorer and the interposer, which
 * name threads by index (0 to RL_EX_MAX_THREADS - 1). A livelock is
 * reported only when a schedule fair in this sense still does not end;
 * the spinners it names are the threads that yielded in its last tenth. */
#ifndef RACELAB_EXPLORE_CORE_FAIR_H
#define RACELAB_EXPLORE_CORE_FAIR_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

typedef struct {
    uint64_t below[RL_EX_MAX_THREADS];      /* those it yielded to, not moved since */
    /* those that could go at its latest yield and have been able to go,
     * without moving, ever since: whom its next yield defers to */
    uint64_t window[RL_EX_MAX_THREADS];
    uint64_t last_yield[RL_EX_MAX_THREADS]; /* the step of its latest yield + 1; 0: none */
} rl__fair;

/* A new schedule: nobody has yielded. */
void rl__fair_reset(rl__fair *f);

/* Thread t is new (or its slot is reused), among n threads (slots 0 to
 * n - 1): it owes nothing, and nobody waits for it. */
void rl__fair_new_thread(rl__fair *f, unsigned n, unsigned t);

/* Of the threads that can go (`all`), those fairness lets go now: every
 * one that is not waiting for another of them to move; all of them when
 * none is free (a yielder's debt is then paid by going). */
uint64_t rl__fair_eager(const rl__fair *f, uint64_t all);

/* Thread t of n moved (is about to make its step): nobody waits for it
 * any more, and its own debt is paid. */
void rl__fair_moved(rl__fair *f, unsigned n, unsigned t);

/* At a decision, `all` could go (before fairness): a thread that cannot
 * leaves every window, as one that moves does. */
void rl__fair_seen(rl__fair *f, unsigned n, uint64_t all);

/* Thread t made progress (the reduced search's choice: a synchronization
 * call that did something): its window closes, and its next yield holds
 * nothing back. */
void rl__fair_progress(rl__fair *f, unsigned t);

/* Thread t yielded at `step` (already counted: the step's number) while
 * `could_go` (t excluded) could run: it goes again only after those of
 * them that could go all along since its previous yield have moved; its
 * window starts again with `could_go`. */
void rl__fair_yielded(rl__fair *f, unsigned t, uint64_t could_go, uint64_t step);

/* The livelock message: "the schedule did not end within N steps", and
 * "(yielding over and over: A, B)" naming by name(ctx, i) the spinners:
 * the live threads (`live`) that yielded in the last tenth of it. */
void rl__fair_livelock_text(const rl__fair *f, uint64_t live, uint64_t max_steps,
                            const char *(*name)(void *ctx, unsigned t), void *ctx, char *out,
                            size_t cap);

#endif
