/* racelab/barrier.h - a reusable barrier for a fixed number of parties.
 * Used to force interleavings in scenarios and tests ("everybody has read
 * before anybody writes"), never to hope for them.
 *
 * Concurrency contract:
 * - exactly `parties` threads call wait per round; each blocks until the
 *   last of the round arrives, then all return and the barrier is ready
 *   for the next round.
 * - a round with more than `parties` callers is a programming error whose
 *   extra callers simply belong to the next round.
 * - destroy only when no thread is inside wait.
 */
#ifndef RACELAB_BARRIER_H
#define RACELAB_BARRIER_H

#include "racelab/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_barrier {
    rl_mutex mu;
    rl_cond all_here;
    unsigned parties;
    unsigned waiting;
    unsigned long round;
} rl_barrier;

/* RL_EINVAL for NULL or zero parties, RL_ESYS if the platform refuses. */
rl_err rl_barrier_init(rl_barrier *b, unsigned parties, const char *name);
void rl_barrier_destroy(rl_barrier *b);
/* Blocks until `parties` threads have called wait in this round. Returns
 * true in exactly one thread of each round (the last to arrive). */
bool rl_barrier_wait(rl_barrier *b);

#ifdef __cplusplus
}
#endif
#endif
