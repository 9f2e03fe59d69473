/* schedule.h - schedule strings (schedule.c): the choices of a schedule
 * that differ from the default order, as "STEP:THREAD" pairs (1-based
 * steps) separated by commas, "-" for none; what `racelab explore
 * --replay` takes. Internal. */
#ifndef RACELAB_EXPLORE_SCHEDULE_H
#define RACELAB_EXPLORE_SCHEDULE_H

#include <stddef.h>

#include "../core/decision.h"
#include "racelab/error.h"

/* The deviations of d[0 .. n - 1] into out (when not NULL, as many as the
 * result); their number. */
size_t rl__schedule_deviations(const rl__decision *d, size_t n, rl__deviation *out);
/* The deviations of d[0 .. n - 1] as "step:thread,..." ("-" for none),
 * malloc'd (NULL without memory); their number to *deviations. */
char *rl__schedule_encode(const rl__decision *d, size_t n, unsigned *deviations);
/* Parse a schedule string into *out (malloc'd, *n long). RL_EINVAL with a
 * reason in why (may be NULL) for a malformed string. */
rl_err rl__schedule_parse(const char *s, rl__deviation **out, size_t *n, char *why,
                          size_t why_len);

#endif
