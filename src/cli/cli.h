/* cli.h - what the verbs of the racelab command share. Internal. */
#ifndef RACELAB_CLI_H
#define RACELAB_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "racelab/error.h"

/* Exit codes, the same for every verb. */
enum {
    EXIT_HELD = 0,   /* the invariant held, or the verb did its job */
    EXIT_BROKEN = 1, /* the invariant was broken (wrong final balances, a failure found) */
    EXIT_USAGE = 2,  /* bad usage: unknown verb, flag or value */
    EXIT_ERROR = 3   /* the run itself failed (out of memory, the system refused) */
};

extern const char *rl_cli_prog; /* "racelab" */

/* The whole of the file at path (malloc'd, *len bytes and a NUL after
 * them), or NULL with why said ("cannot read PATH: ..."). */
char *rl_cli_read_file(const char *path, size_t *len, char *why, size_t why_len);
/* Print "racelab VERB: message" and a hint to stderr; returns EXIT_USAGE. */
int rl_cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parsers: true on success; on failure they print one line and the caller
 * exits with EXIT_USAGE. */
bool rl_cli_parse_duration(const char *verb, const char *flag, const char *text, uint64_t max_ns,
                           uint64_t *out_ns);
bool rl_cli_parse_u64(const char *verb, const char *flag, const char *text, uint64_t min,
                      uint64_t max, uint64_t *out);

/* --bank: a URL that names a backend (memory, sqlite:PATH, postgresql://,
 * key=value); prints one line and returns false otherwise. */
bool rl_cli_parse_bank(const char *verb, const char *text, const char **out);
/* The help lines of --bank and --force, for every verb that has them. */
extern const char rl_cli_bank_help[];
/* A run's bank refused (RL_EEXIST, why saying what is there): one line
 * naming it and `option`, the flag that replaces it; returns EXIT_USAGE. */
int rl_cli_bank_exists(const char *verb, const char *url, const char *why, const char *option);
/* A run that could not be done for e: rl_cli_bank_exists for RL_EEXIST,
 * else one line; EXIT_USAGE for what the user must change (RL_EINVAL: a
 * bank URL that can never work; RL_ENOTSUP), EXIT_ERROR for the rest. */
int rl_cli_bank_failed(const char *verb, const char *url, rl_err e, const char *why,
                       const char *option);

/* "5 ms", "1.25 s", "830 us" into buf. */
const char *rl_cli_format_duration(uint64_t ns, char *buf, size_t len);

/* Colour: on only when stdout is a terminal and NO_COLOR is unset. */
bool rl_cli_colour(void);
const char *rl_cli_green(void);
const char *rl_cli_red(void);
const char *rl_cli_bold(void);
const char *rl_cli_reset(void);

/* The progress line of long work: one line on a terminal, rewritten in
 * place, erased before the result is printed, so the output is the same
 * as without it. Off unless wanted (no --json, no --quiet) and stdout is a
 * terminal. The caller keeps the rate of updates to a few a second. */
typedef struct rl_cli_progress {
    bool on, shown;
    uint64_t next_ns; /* rl_cli_progress_due: when the next update is due */
} rl_cli_progress;
void rl_cli_progress_init(rl_cli_progress *p, bool wanted);
void rl_cli_progress_show(rl_cli_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rl_cli_progress_clear(rl_cli_progress *p);
/* For a loop of many quick steps: true at most every 200 ms, when on. */
bool rl_cli_progress_due(rl_cli_progress *p);

/* Ctrl-C during long work: the first SIGINT sets the flag returned (the
 * work stops cleanly and reports what it covered), a second one ends the
 * process. Release puts the old handler back. */
const volatile sig_atomic_t *rl_cli_catch_interrupt(void);
void rl_cli_release_interrupt(void);
/* The exit status of work stopped by Ctrl-C, after its partial result. */
#define EXIT_INTERRUPTED 130

/* Help: true when argv holds -h or --help before any "--". */
bool rl_cli_wants_help(int argc, char **argv);

/* The whole command: argv[0] is the program, argv[1] the verb. Returns the
 * exit status. */
int rl_cli_main(int argc, char **argv);

/* The verbs. argv[0] is the verb. */
int rl_cmd_demo(int argc, char **argv);
int rl_cmd_bill(int argc, char **argv);
int rl_cmd_scenario(int argc, char **argv);
int rl_cmd_explore(int argc, char **argv);
int rl_cmd_merge(int argc, char **argv);
int rl_cmd_draw(int argc, char **argv);
/* The failure of r (its minimized form when there is one) drawn as SVG
 * into path (- for stdout), titled after name; an exit status, any error
 * said on stderr as "racelab VERB: ...". */
struct rl_explore_result;
int rl_cli_draw_failure(const char *verb, const char *path, const char *name,
                        const struct rl_explore_result *r);
/* The whole result as a web page (rl_draw_html) into path (- for stdout);
 * an exit status, any error said as for rl_cli_draw_failure. */
struct rl_explore_opts;
int rl_cli_write_html(const char *verb, const char *path, const char *name,
                      const struct rl_explore_opts *o, const struct rl_explore_result *r,
                      const char *replay_cmd);
int rl_cmd_bench(int argc, char **argv);
/* Run argv (found in PATH), its output to /dev/null when quiet: its exit
 * status, 127 when it could not start (cmd_cc.c). */
int rl_cli_run(char *const *argv, bool quiet);
/* The system's C or C++ compiler racelab cc runs: $RACELAB_CC or
 * $RACELAB_CXX when set, else cc or c++. */
const char *rl_cli_compiler(bool cxx);

/* racelab bench explore --memory (bench_memory.c): the cost of memory
 * accesses as steps, a built-in program built by cc and by racelab cc. */
int rl_cli_bench_memory(bool csv, uint64_t duration_ns);
/* racelab bench explore --jobs [-- PROGRAM]: -j 1 against -j 2 .. the CPUs
 * (bench_jobs.c). */
int rl_cli_bench_jobs(bool csv, char *const *program);
int rl_cmd_trace(int argc, char **argv);
int rl_cmd_bank(int argc, char **argv);
int rl_cmd_merchant(int argc, char **argv);
int rl_cmd_cc(int argc, char **argv);
int rl_cmd_cxx(int argc, char **argv);

#endif
