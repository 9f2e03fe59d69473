/* frames.h - an attribute for the functions on a finished thread's way
 * out: the in-process explorer runs threads as fibers, and the frames of a
 * fiber's last switch are never left. Internal; plain C, used by the core
 * (its loop is on that way) and by fiber.c. */
#ifndef RACELAB_EXPLORE_CORE_FRAMES_H
#define RACELAB_EXPLORE_CORE_FRAMES_H

/* For the functions whose frames a finished fiber never leaves (its boot,
 * its last switch): not instrumented by ThreadSanitizer, whose shadow call
 * stack of a restarted fiber would otherwise keep them all and grow with
 * every schedule. */
#if defined(__clang__)
#define RL_FIBER_PLUMBING __attribute__((disable_sanitizer_instrumentation))
#else
#define RL_FIBER_PLUMBING __attribute__((no_sanitize_thread))
#endif

#endif
