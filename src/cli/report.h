/* report.h - printing run results as tables and JSON. Internal. */
#ifndef RACELAB_CLI_REPORT_H
#define RACELAB_CLI_REPORT_H

#include "../util/json.h"
#include "racelab/run.h"

/* customer, start, expected, then one column per run: its final balance
 * marked right or wrong; then rows of lost updates and wall time. */
void rl_report_table(FILE *f, const rl_run_result *const *runs, const char *const *titles,
                     size_t nruns);

/* The run's fields (customers, counters, time) into the current object. */
void rl_report_json_run(rl__json *j, const rl_run_result *r);

/* When connections were lost: one paragraph per merchant hit, saying
 * which of its bills were applied, which were not, and which are unknown.
 * Prints nothing for a run that lost no connection. */
void rl_report_faults(FILE *f, const rl_run_result *r);

/* How many final balances differ from the expected ones. */
size_t rl_report_wrong(const rl_run_result *r);

#endif
