/* parallel.h - `racelab explore -j N`: one search in N worker processes
 * (parallel.c). Internal to the command. */
#ifndef RACELAB_CLI_PARALLEL_H
#define RACELAB_CLI_PARALLEL_H

#include <stddef.h>

#include "cli.h"
#include "racelab/explore.h"

#define RL_CLI_MAX_JOBS 256

/* How a worker makes its own target (a program's fork server is one per
 * process), and the target's name for the report. */
typedef struct {
    rl_err (*make)(void *ctx, rl_target *t, char *why, size_t why_len);
    void *ctx;
    const char *name;
} rl_cli_target_maker;

/* Explore in `jobs` workers (2 or more): the searches the library can
 * split (it refuses the others: RL_EINVAL); a progress line on `line` (may
 * be NULL). With o->split set (a shard: --shard K/N), the workers share
 * out that part's items only, and the result is the part's. The merged result into out and the target's name into name;
 * or an error with why said (a worker's own message is on stderr). */
rl_err rl_cli_explore_parallel(unsigned jobs, const rl_cli_target_maker *make,
                               const rl_explore_opts *o, rl_cli_progress *line,
                               rl_explore_result *out, char *name, size_t name_len, char *why,
                               size_t why_len);

#endif
