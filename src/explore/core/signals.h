/* signals.h - the scheduling core's condition variables: which waiter a
 * signal may wake. Internal; one implementation, used by the in-process
 * explorer (src/explore/inproc/scheduler.c) and by the interposer inside a
 * user's program (src/explore/program/preload.c). Depends on libc and policy.h
 * only: no platform table, no I/O, nothing that allocates.
 *
 * A signal wakes one of the threads waiting on the condition when it is
 * sent, and which one is a choice of the schedule. The core keeps it as a
 * token: any thread that was already waiting when it was sent may take
 * it. Each waiter is numbered in the order it began to wait (its wait
 * sequence), a token carries the number of the last waiter before it, so
 * waiter w may take token k when w.seq <= k.seq; a waiter takes the oldest
 * token it may (so older waiters never lose their signal to a newer one's
 * taking it). A signal leaves a token only while the condition's waiters
 * not yet sure to wake outnumber its tokens: otherwise it is lost, as a
 * pthread signal with nobody to wake is. A broadcast wakes every waiter
 * and drops the condition's tokens.
 *
 * Bound: a token is left only while waiters outnumber tokens, a waiter
 * that runs takes a token it may take, and one that times out had none it
 * could take (every token then predates its wait, and it was not counted
 * when they were left); so a condition never has more tokens than
 * waiters, and all of them together never more than RL_EX_MAX_THREADS.
 * The array is that size; rl__signals_send reports a breach rather than
 * writing past it. */
#ifndef RACELAB_EXPLORE_CORE_SIGNALS_H
#define RACELAB_EXPLORE_CORE_SIGNALS_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

typedef struct {
    const void *cond;
    uint64_t seq; /* waiters numbered up to this one may take it */
} rl__token;

typedef struct {
    rl__token tokens[RL_EX_MAX_THREADS];
    uint32_t ntokens;
    uint64_t wait_seq; /* the number given to the last waiter */
} rl__signals;

/* Empty: no tokens, waiters numbered from 1 again. */
void rl__signals_reset(rl__signals *s);

/* A thread begins to wait: its wait sequence. */
uint64_t rl__signals_wait(rl__signals *s);

/* The oldest token a waiter on cond numbered seq may take, or -1. */
int rl__signals_token_for(const rl__signals *s, const void *cond, uint64_t seq);

/* The waiter takes that token: true, or false when there is none (a timed
 * waiter then times out). */
bool rl__signals_take(rl__signals *s, const void *cond, uint64_t seq);

/* The tokens left on cond. */
uint32_t rl__signals_pending(const rl__signals *s, const void *cond);

/* A signal on cond while `waiting` threads wait on it not yet sure to
 * wake (neither broadcast to nor holding a token they took): leaves a
 * token when they outnumber cond's tokens. False only when the bound
 * above is broken (no room): the caller reports an internal error. */
bool rl__signals_send(rl__signals *s, const void *cond, uint32_t waiting);

/* A broadcast on cond: its tokens are dropped (the front end marks every
 * waiter on it woken). */
void rl__signals_broadcast(rl__signals *s, const void *cond);

#endif
