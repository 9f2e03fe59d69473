/* fiber.h - user-space execution contexts on one OS thread. Internal.
 *
 * The explorer runs every logical thread of a scenario as a fiber, so only
 * one runs at a time and switching costs a few instructions (x86-64: a
 * hand-written switch of the callee-saved registers; elsewhere ucontext).
 * Switches are annotated for ThreadSanitizer (a fiber per context, and a
 * happens-before edge at every switch) and for AddressSanitizer (stack
 * bounds on every switch), so both sanitizer builds can run the explorer.
 *
 * Contract: all fibers of a set are created and switched by one OS thread.
 * A fiber's entry function must never return: it switches away for good
 * (rl__fiber_switch with exiting = true). A fiber that is never resumed
 * may simply be prepared again, which restarts it from its entry.
 */
#ifndef RACELAB_EXPLORE_FIBER_H
#define RACELAB_EXPLORE_FIBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/frames.h"
#include "racelab/error.h"

/* x86-64: a context switch of a few instructions; elsewhere ucontext. On
 * x86-64 the ucontext switch is built too, and the environment variable
 * RACELAB_FIBERS=ucontext chooses it (read once, by the first fiber call),
 * so that the tests run the portable switch on this machine as well. */
#if defined(__x86_64__)
#define RL_FIBER_ASM 1
#endif
#include <ucontext.h>

typedef struct rl__fiber {
    void *sp;      /* saved stack pointer while switched out (asm switch) */
    ucontext_t uc; /* the same, for the ucontext switch */
    void *map;        /* the mapping: a guard page, then the stack */
    size_t map_size;
    unsigned char *stack; /* lowest usable byte */
    size_t stack_size;
    void (*entry)(void *arg);
    void *arg;
    void *tsan;       /* ThreadSanitizer's fiber, or NULL */
    void *asan_fake;  /* AddressSanitizer's fake stack while switched out */
    const void *asan_bottom; /* the stack AddressSanitizer should know */
    size_t asan_size;
    uintptr_t asan_low; /* how deep the stack was at its last switch away, or 0 */
    bool is_main;
    bool abandoned; /* left mid-run: sanitizer state must be renewed on restart */
} rl__fiber;


/* Describe the calling OS thread's own context (the scheduler's). */
void rl__fiber_main(rl__fiber *f);
/* Allocate a stack of at least stack_size bytes with a guard page below. */
rl_err rl__fiber_alloc(rl__fiber *f, size_t stack_size);
void rl__fiber_free(rl__fiber *f);
/* The next switch into f starts entry(arg) on a fresh stack. */
void rl__fiber_prepare(rl__fiber *f, void (*entry)(void *arg), void *arg);
/* f was left in the middle of its run and will never be resumed; its next
 * prepare renews the sanitizer state that still holds its frames. */
void rl__fiber_abandoned(rl__fiber *f);
/* The (16-byte aligned) top of f's stack, to go on from there after a
 * fault (a stack overflow) while f's frames are abandoned. */
void *rl__fiber_restart_top(rl__fiber *f);
/* Save the current context into from and resume to. exiting: from will
 * never be resumed (its entry is done). */
void rl__fiber_switch(rl__fiber *from, rl__fiber *to, bool exiting);

#endif
