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

/* The failure of r (its minimized form when there is one) drawn as
 * rl_draw_svg draws it, titled "NAME: KIND[ (minimized)], schedule S".
 * RL_EINVAL when r holds no failure. */
rl_err rl_draw_failure_svg(FILE *f, const char *name, const rl_explore_result *r);

/* An exploration as one self-contained HTML page (no network, no external
 * script, style or font; usable with JavaScript off): the verdict and what
 * it covers (search, bound, schedules, complete or not, what stopped it),
 * the reachable final states as a bar chart, passing and failing told
 * apart by word and pattern as well as colour, and for a failure its
 * picture (rl_draw_failure_svg), its replay command with a copy button
 * (shown when scripts run) and what the target or program printed; the
 * data races listed (--races list); then the text report of
 * rl_explore_print. name and o are what
 * rl_explore_print takes; replay_cmd (may be NULL) is the command that
 * replays a schedule, with "{schedule}" where the replay options go (else
 * they go at the end). The same result gives the same bytes. RL_EINVAL
 * for a NULL f, name, o or r; RL_ESYS when f could not be written. */
rl_err rl_draw_html(FILE *f, const char *name, const rl_explore_opts *o,
                    const rl_explore_result *r, const char *replay_cmd);

/* A benchmark's table, as racelab bench --csv writes it (csv: the whole
 * text), as one self-contained HTML page titled title: a bar chart of each
 * of its measures (for a known benchmark, its own: time, rate, ratio to
 * the bound; a table not known: each numeric column that is not a 0/1
 * flag, named by its first column), a row that ended wrong hatched and
 * saying so, then the table itself. No script at all. RL_EINVAL with why
 * said (why may be NULL) when csv is not such a table (under two columns,
 * no rows, rows of another width, more than 4096 rows); RL_ESYS when f
 * could not be written. */
rl_err rl_draw_csv_html(FILE *f, const char *title, const char *csv, char *why,
                        size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
