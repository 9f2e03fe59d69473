/* racelab/timeline.h - one billing run as a picture: a lane per thread,
 * each bill a bar from its read to its write, and every write that lost an
 * update drawn in red with a line to the write it replaced.
 *
 * A timeline comes from a real concurrent run, recorded through a platform
 * table that wraps pthreads and timestamps every bank access (time in
 * nanoseconds), or from a schedule the explorer ran (time in steps).
 *
 * Concurrency contract: recording installs a table for the duration of the
 * run (the rl_platform_install conditions apply); a timeline is plain data.
 *
 * Arguments: each call that returns rl_err reports a NULL argument as
 * RL_EINVAL (recording under another table than pthreads too);
 * rl_timeline_free accepts NULL and does nothing. A result is the
 * caller's to free only after RL_OK.
 */
#ifndef RACELAB_TIMELINE_H
#define RACELAB_TIMELINE_H

#include <stdio.h>

#include "racelab/explore.h"
#include "racelab/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_tl_event {
    char lane[32];   /* who: the merchant (or the processor) */
    char op[16];     /* get, set, add, cas */
    char object[48]; /* the account */
    int64_t value;
    uint64_t t0, t1; /* when it began and ended (ns, or steps) */
    bool write;      /* it changed the balance */
    bool lost;       /* a write over a value its writer never read */
    long replaced;   /* for a lost write: the index of the write it replaced, or -1 */
    /* versions, when known (recorded runs), to find what a write replaced */
    uint64_t version_before, version_after;
} rl_tl_event;

typedef struct rl_timeline {
    bool in_steps; /* time unit: explorer steps, else nanoseconds */
    size_t n;
    rl_tl_event *events; /* heap, in order of beginning */
    uint64_t dropped;    /* events that did not fit the recording buffer */
} rl_timeline;

/* Run cfg (concurrent) once, recording every bank access. The run's result
 * goes to *result (free it with rl_run_result_free). */
rl_err rl_timeline_record(const rl_run_config *cfg, rl_timeline *out, rl_run_result *result,
                          char *why, size_t why_len);
/* The bank accesses of an explorer trace. */
rl_err rl_timeline_from_trace(const rl_counterexample *c, rl_timeline *out);
void rl_timeline_free(rl_timeline *t);

/* Write the picture as a standalone SVG document. */
rl_err rl_timeline_svg(const rl_timeline *t, const char *title, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
