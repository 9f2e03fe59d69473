/* racelab/draw.h - a counterexample as a picture (SVG): one lane per
 * thread in the order they were created, each line of the trace a mark
 * in its thread's lane, left to right in the order the schedule ran them.
 *
 * A mark is labelled with its operation and object, and its <title> (the
 * tooltip) gives the step, the thread, the source line and what the
 * target said. A preemption is marked at the top of its mark. The steps
 * that make the failure are drawn apart, with a label and a heavier
 * outline (never by colour alone), and joined by arrows:
 *   - a lost update: from the write it replaced to the write that lost it;
 *   - a data race: the two accesses;
 *   - a deadlock: each stuck thread to the thread it waits for (the
 *     holder of the lock it waits on, or the thread it joins).
 * A run of more than 6 lines of one thread with nothing to show in them is
 * folded into one mark that says how many it stands for.
 *
 * The same counterexample always gives the same bytes. Colours meet WCAG
 * AA contrast against the white background.
 */
#ifndef RACELAB_DRAW_H
#define RACELAB_DRAW_H

#include <stdio.h>

#include "racelab/explore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* c drawn as an SVG document into f, under title (one line). RL_EINVAL for
 * a NULL argument or a counterexample without steps; RL_ESYS when f could
 * not be written. */
rl_err rl_draw_svg(FILE *f, const char *title, const rl_counterexample *c);

#ifdef __cplusplus
}
#endif
#endif
