/* report.c - an exploration's result in words and in JSON, as `racelab
 * explore` prints it; in the library so that a user's own driver prints a
 * counterexample the same way (see racelab/explore.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../util/json.h"
#include "racelab/explore.h"
#include "../util/words.h"

typedef struct {
    bool on;
} style;

static const char *red(style s) { return s.on ? "\033[31m" : ""; }
static const char *green(style s) { return s.on ? "\033[32m" : ""; }
static const char *bold(style s) { return s.on ? "\033[1m" : ""; }
static const char *yellow(style s) { return s.on ? "\033[33m" : ""; }
static const char *reset(style s) { return s.on ? "\033[0m" : ""; }

static int widest(int w, const char *text) {
    int n = (int)strlen(text);
    return n > w ? n : w;
}

void rl_explore_print_trace(FILE *f, const rl_counterexample *c, bool colour) {
    if (!f || !c)
        rl_fatal("rl_explore_print_trace: NULL file or counterexample");
    style st = {colour};
    int ww = 17, ow = 10, bw = 14;
    bool where = false;
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        char who[48];
        snprintf(who, sizeof who, "%s (%u)", s->thread_name, s->thread);
        ww = widest(ww, who);
        ow = widest(ow, s->op);
        bw = widest(bw, s->object);
        where |= s->where[0] != '\0';
    }
    fprintf(f, "%s  step  %-*s %-*s %-*s %8s%s%s\n", bold(st), ww, "thread", ow, "op", bw,
            "object", "value", where ? "  source" : "", reset(st));
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        char who[48], value[32] = "";
        snprintf(who, sizeof who, "%s (%u)", s->thread_name, s->thread);
        if (s->has_value) {
            if (strstr(s->op, "try"))
                snprintf(value, sizeof value, "%s", s->value ? "taken" : "busy");
            else if (strstr(s->op, "timed") || strcmp(s->op, "wake") == 0 ||
                     strcmp(s->op, "poll") == 0)
                snprintf(value, sizeof value, "%s", s->value ? "timeout" : "");
            else
                snprintf(value, sizeof value, "%" PRId64, s->value);
        }
        /* a step can hold several lines: an unlock or a signal takes effect
         * inside the step of the operation before it */
        char step[16] = "";
        if (s->index == 0)
            snprintf(step, sizeof step, "-");
        else if (i == 0 || c->steps[i - 1].index != s->index)
            snprintf(step, sizeof step, "%u", s->index);
        fprintf(f, "  %4s  %-*s %-*s %-*s %8s", step, ww, who, ow, s->op, bw, s->object, value);
        if (where)
            fprintf(f, "  %s", s->where);
        if (s->marks & RL_MARK_PREEMPT)
            fprintf(f, "  preempts");
        if (s->marks & RL_MARK_LOST) {
            fprintf(f, "  %s<< LOST UPDATE", red(st));
            if (s->overwrote)
                fprintf(f, ": replaced the write of step %u", s->overwrote);
            fprintf(f, "%s", reset(st));
        }
        if (s->marks & RL_MARK_ERROR)
            fprintf(f, "  %s<< ERROR%s", red(st), reset(st));
        if (s->marks & RL_MARK_BLOCKED)
            fprintf(f, "  %s<< stuck here%s", red(st), reset(st));
        if (s->marks & RL_MARK_RACE)
            fprintf(f, "  %s<< DATA RACE%s", red(st), reset(st));
        if (s->note[0])
            fprintf(f, "  (%s)", s->note);
        fputc('\n', f);
    }
}

void rl_explore_replay_command(const char *replay_cmd, const char *schedule, char *out,
                               size_t cap) {
    if (!replay_cmd || !schedule || !out)
        rl_fatal("rl_explore_replay_command: NULL command, schedule or buffer");
    /* "{schedule}" in the command marks where the replay options go;
     * without it they go at the end */
    const char *at = strstr(replay_cmd, "{schedule}");
    if (at)
        snprintf(out, cap, "%.*s--replay %s%s", (int)(at - replay_cmd), replay_cmd, schedule,
                 at + strlen("{schedule}"));
    else
        snprintf(out, cap, "%s --replay %s", replay_cmd, schedule);
}

void rl_explore_print_counterexample(FILE *f, const char *title, const rl_counterexample *c,
                                     const char *replay_cmd, bool colour) {
    if (!f || !c)
        rl_fatal("rl_explore_print_counterexample: NULL file or counterexample");
    style st = {colour};
    unsigned steps = 0; /* the last step made (a deadlock's blocked lines have none) */
    for (size_t i = 0; i < c->nsteps; i++)
        if (c->steps[i].index > steps)
            steps = c->steps[i].index;
    fprintf(f, "\n%s%s%s: %s, %u preemption%s, %u choice%s off the default order, %u steps\n",
            bold(st), title, reset(st), rl_failure_kind_name(c->kind), c->preemptions,
            rl__plural(c->preemptions), c->deviations, rl__plural(c->deviations), steps);
    fprintf(f, "schedule: %s\n", c->schedule);
    if (replay_cmd) {
        char cmd[2048];
        rl_explore_replay_command(replay_cmd, c->schedule, cmd, sizeof cmd);
        fprintf(f, "replay:   %s\n", cmd);
    }
    fputc('\n', f);
    rl_explore_print_trace(f, c, colour);
    fprintf(f, "\n%s%s%s\n", red(st), c->message, reset(st));
    if (c->outcome.state[0])
        fprintf(f, "final state: %s\n", c->outcome.state);
    if (c->outcome.story[0]) {
        if (c->program)
            fprintf(f, "the program's output in this schedule:\n");
        fputs(c->outcome.story, f);
        if (c->outcome.story[strlen(c->outcome.story) - 1] != '\n')
            fputc('\n', f);
    }
}

/* Why a search stopped short, in words ("the time limit (200 ms)"). */
static void stop_words(char *buf, size_t len, const rl_explore_opts *o, const rl_explore_result *r) {
    switch (r->stopped) {
    case RL_STOP_SCHEDULES:
        snprintf(buf, len, "stopped at the schedule limit (%" PRIu64 ")", o->max_schedules);
        return;
    case RL_STOP_TIME:
        snprintf(buf, len, "stopped at the time limit (%.3g s)", (double)o->time_limit_ns / 1e9);
        return;
    case RL_STOP_INTERRUPT: snprintf(buf, len, "stopped by Ctrl-C"); return;
    case RL_STOP_NONE: break;
    }
    if (r->fair_held) {
        snprintf(buf, len, "fairness held back a thread looping on memory accesses, yields or failed tries, "
                           "and a reduced search's classes of schedules may then miss some: it "
                           "proves nothing (a bounded search, --preemptions N, proves within its "
                           "bound)");
        return;
    }
    snprintf(buf, len, "stopped early");
}

const char *rl_explore_verdict(const rl_explore_result *r) {
    if (!r)
        rl_fatal("rl_explore_verdict: NULL result");
    if (r->failed)
        return "failure_found";
    if (r->search == RL_SEARCH_REPLAY)
        return "no_failure_in_schedule";
    if (r->complete)
        return "proved_complete";
    if (r->exhaustive)
        return "proved_within_bound";
    return "not_exhaustive";
}

/* A target's one assumption (fairness), on its verdict line and in its
 * coverage alike. */
static const char *target_fairness(const rl_explore_result *r) {
    return r->fair_yields ? "; a thread that yielded again went on only after the others that "
                            "could run all along had moved"
                          : "";
}

/* What a program's verdict covers: the steps explored and what was not
 * seen, for its verdict line and --json's "coverage". */
static void program_scope(const rl_explore_result *r, char *out, size_t cap) {
    snprintf(out, cap, "%s%s%s%s%s%s%s",
             r->plain_checked ? "synchronization calls and atomic operations, its plain loads "
                                "and stores checked for data races (up to a run's first race, "
                                "the order of those decides what each plain load reads); a "
                                "thread's own stack not checked until another thread uses it"
             : r->memory_scheduled ? "synchronization calls and memory accesses; a thread's own "
                                     "stack not scheduled until another thread uses it"
                                   : "synchronization calls; plain memory not scheduled",
             r->spin_waits ? "; a spin-wait went on only after a write changed what it read" : "",
             r->fair_yields ? "; a thread that yielded, slept or spun again went on only after "
                              "the others that could run all along had moved"
                            : "",
             !r->memory_scheduled  ? ""
             : !r->races_checked   ? "; data races not looked for"
             : r->races_incomplete ? "; data races not checked for every access"
             : r->races_listed     ? "; data races listed, not failures"
                                   : "",
             r->outside_last ? "; a wait on another process went on only when nothing else could"
                             : "",
             r->weak_orders ? "; relaxed, acquire and release atomics explored as sequentially "
                              "consistent (the reorderings they allow not tried)"
                            : "",
             /* reduced: two steps are independent by what racelab saw them
              * touch; a library's own state (malloc's, stdio's but the output)
              * is not seen */
             r->reduced ? "; uninstrumented library code taken as independent between threads"
                        : "");
}

void rl_explore_coverage(const rl_explore_result *r, char *out, size_t cap) {
    if (!r || !out)
        rl_fatal("rl_explore_coverage: NULL result or buffer");
    if (r->program)
        program_scope(r, out, cap);
    else
        snprintf(out, cap, "all of the target's steps, shared accesses included%s",
                 target_fairness(r));
}

static void print_verdict(FILE *f, const rl_explore_opts *o, const rl_explore_result *r,
                          style st) {
    const char *unit = o->search == RL_SEARCH_DELAYS ? "delay" : "preemption";
    unsigned bound = o->search == RL_SEARCH_DELAYS ? o->delays : o->preemptions;
    char why[320], scope[1024];
    stop_words(why, sizeof why, o, r);
    program_scope(r, scope, sizeof scope);
    const char *fair = target_fairness(r);
    const char *steps = r->plain_checked ? "thread calls, blocking system calls and atomic "
                                           "operations"
                        : r->memory_scheduled ? "thread calls, blocking system calls and memory "
                                                "accesses"
                                              : "thread and blocking system calls";
    if (o->search == RL_SEARCH_REPLAY) {
        fprintf(f, "no failure in this schedule\n");
    } else if (r->complete && r->program) {
        fprintf(f, "%sproved: complete over its %s%s\n(every interleaving of its %s was "
                   "explored%s%s)\n",
                green(st), scope, reset(st), steps,
                r->reduced ? ", one per class of orders of independent steps" : "",
                r->memory_scheduled ? "" : "; a race between plain accesses with no such call "
                                           "between them is not covered");
    } else if (r->exhaustive && r->program) {
        fprintf(f, "%sproved within %u %s%s over its %s%s\n(no schedule of its %s with at most "
                   "%u fails; %" PRIu64 " %s%s beyond the bound %s not taken)\n",
                green(st), bound, unit, rl__plural(bound), scope, reset(st), steps, bound,
                r->pruned, unit, rl__plural(r->pruned), r->pruned == 1 ? "was" : "were");
    } else if (r->complete) {
        fprintf(f, "%sproved: complete%s, every schedule of this case was explored (a proof for "
                   "this case%s)\n",
                green(st), reset(st), fair);
    } else if (r->exhaustive) {
        fprintf(f, "%sproved within %u %s%s%s: no schedule with at most %u fails (%" PRIu64
                   " %s%s beyond the bound %s not taken: schedules that need more are not "
                   "covered%s)\n",
                green(st), bound, unit, rl__plural(bound), reset(st), bound, r->pruned,
                unit, rl__plural(r->pruned), r->pruned == 1 ? "was" : "were", fair);
    } else if (o->search == RL_SEARCH_PCT && r->stopped == RL_STOP_NONE) {
        fprintf(f, "%sno failure found, not exhaustive%s: %" PRIu64 " random schedules (PCT "
                   "samples; it proves nothing)\n",
                yellow(st), reset(st), r->schedules);
    } else {
        fprintf(f, "%sno failure found, not exhaustive%s: %s\n", yellow(st), reset(st), why);
    }
}

void rl_explore_print(FILE *f, const char *name, const rl_explore_opts *o,
                      const rl_explore_result *r, const char *replay_cmd, bool colour) {
    if (!f || !name || !o || !r)
        rl_fatal("rl_explore_print: NULL file, name, options or result");
    style st = {colour};
    fprintf(f, "%sexplore %s%s", bold(st), name, reset(st));
    if (o->search == RL_SEARCH_BOUNDED && o->preemptions == RL_PREEMPTIONS_ALL)
        fprintf(f, ": every schedule, %s\n",
                r->reduced ? "one per class of schedules that differ only in the order of "
                             "independent steps (partial-order reduction)"
                : r->program && !r->memory_scheduled && o->reduce
                    ? "each order of independent steps too (unreduced: a program is reduced "
                      "only when built by racelab cc, which lets racelab see its memory)"
                    : "each order of independent steps too (unreduced)");
    else if (o->search == RL_SEARCH_BOUNDED)
        fprintf(f, ": every schedule with at most %u preemption%s (unreduced: partial-order "
                   "reduction needs --preemptions all)\n",
                o->preemptions, rl__plural(o->preemptions));
    else if (o->search == RL_SEARCH_DELAYS)
        fprintf(f, ": round robin with at most %u delay%s\n", o->delays,
                rl__plural(o->delays));
    else if (o->search == RL_SEARCH_PCT)
        fprintf(f, ": PCT, depth %u, seed %" PRIu64 ", %" PRIu64 " iterations\n", o->depth,
                o->seed, o->iterations);
    else
        fprintf(f, ": replaying %s\n", o->replay);
    double secs = (double)r->elapsed_ns / 1e9;
    double rate = secs > 0 ? (double)r->schedules / secs : 0;
    char took[32];
    if (r->elapsed_ns >= 1000000000u)
        snprintf(took, sizeof took, "%.3g s", secs);
    else if (r->elapsed_ns >= 1000000u)
        snprintf(took, sizeof took, "%.3g ms", secs * 1e3);
    else
        snprintf(took, sizeof took, "%.3g us", secs * 1e6);
    fprintf(f, "%" PRIu64 " schedule%s in %s (%.0f schedules/s", r->schedules,
            rl__plural(r->schedules), took, rate);
    if (r->workers > 1)
        fprintf(f, " on %u workers", r->workers);
    fprintf(f, "), longest %" PRIu64 " steps", r->longest);
    if (r->failing)
        fprintf(f, ", %" PRIu64 " failing", r->failing);
    if (r->redundant)
        fprintf(f, "; %" PRIu64 " more abandoned as equivalent to one explored", r->redundant);
    fputc('\n', f);
    if (r->failed) {
        fprintf(f, "%sFAILURE%s found", red(st), reset(st));
        if (r->stopped != RL_STOP_NONE) {
            char why[320];
            stop_words(why, sizeof why, o, r);
            fprintf(f, " (search %s)", why);
        }
        fputc('\n', f);
        rl_explore_print_counterexample(f, "failure", &r->first, replay_cmd, colour);
        if (r->minimize_stopped)
            fprintf(f, "\nminimizing stopped at the time limit or Ctrl-C: what follows still "
                       "fails, but may not be the shortest\n");
        if (r->minimized.schedule && strcmp(r->minimized.schedule, r->first.schedule) == 0 &&
            !r->minimize_stopped)
            fprintf(f, "\nminimized: the failure found is already as short as it gets\n");
        else if (r->minimized.schedule)
            rl_explore_print_counterexample(f, "minimized", &r->minimized, replay_cmd, colour);
    } else {
        print_verdict(f, o, r, st);
    }
    if (!r->failed || o->keep_going) {
        /* passing states first, then failing ones, each with its schedules */
        for (int pass = 1; pass >= 0; pass--) {
            uint64_t total = 0;
            size_t n = 0;
            for (size_t i = 0; i < r->nstates; i++)
                if (r->states[i].held == (pass == 1)) {
                    total += r->states[i].schedules;
                    n++;
                }
            if (n == 0)
                continue;
            fprintf(f, "\nreachable final states, %s (%zu state%s, %" PRIu64 " schedule%s):\n",
                    pass ? "passing" : "FAILING", n, rl__plural(n), total,
                    rl__plural(total));
            for (size_t i = 0; i < r->nstates; i++)
                if (r->states[i].held == (pass == 1))
                    fprintf(f, "  %10" PRIu64 "  %s%-6s%s %s\n", r->states[i].schedules,
                            r->states[i].held ? green(st) : red(st),
                            r->states[i].held ? "held" : "BROKEN", reset(st), r->states[i].state);
        }
    }
    if (r->races_listed) {
        /* --races list: every race seen, each a failure of no schedule */
        fprintf(f, "\ndata races seen (listed, not failing a schedule): %zu%s\n", r->nraces,
                r->races_unlisted ? " (a schedule made more than were listed)" : "");
        for (size_t i = 0; i < r->nraces; i++)
            fprintf(f, "  %s: %s, and %s (seen in %" PRIu64 " run%s)\n", r->races[i].variable,
                    r->races[i].first, r->races[i].second, r->races[i].schedules,
                    rl__plural(r->races[i].schedules));
    }
}

static void json_counterexample(rl__json *j, const char *key, const rl_counterexample *c) {
    rl__json_object(j, key);
    rl__json_str(j, "kind", rl_failure_kind_name(c->kind));
    rl__json_str(j, "message", c->message);
    rl__json_str(j, "schedule", c->schedule);
    rl__json_uint(j, "preemptions", c->preemptions);
    rl__json_uint(j, "deviations", c->deviations);
    rl__json_str(j, "final_state", c->outcome.state);
    rl__json_str(j, c->program ? "output" : "story", c->outcome.story);
    rl__json_array(j, "trace");
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        rl__json_object(j, NULL);
        rl__json_uint(j, "step", s->index);
        rl__json_uint(j, "thread", s->thread);
        rl__json_str(j, "thread_name", s->thread_name);
        rl__json_str(j, "op", s->op);
        rl__json_str(j, "object", s->object);
        if (s->has_value)
            rl__json_int(j, "value", s->value);
        if (s->where[0])
            rl__json_str(j, "source", s->where);
        if (s->marks & RL_MARK_PREEMPT)
            rl__json_bool(j, "preempts", true);
        if (s->marks & RL_MARK_LOST) {
            rl__json_bool(j, "lost_update", true);
            rl__json_uint(j, "replaced_step", s->overwrote);
        }
        if (s->marks & RL_MARK_ERROR)
            rl__json_bool(j, "error", true);
        if (s->marks & RL_MARK_BLOCKED)
            rl__json_bool(j, "stuck", true);
        if (s->marks & RL_MARK_RACE)
            rl__json_bool(j, "data_race", true);
        if (s->marks & RL_MARK_REFUSED)
            rl__json_bool(j, "refused", true);
        if (s->note[0])
            rl__json_str(j, "note", s->note);
        rl__json_end(j, '}');
    }
    rl__json_end(j, ']');
    rl__json_end(j, '}');
}

void rl_explore_write_json(FILE *f, const char *name, const rl_explore_opts *o,
                           const rl_explore_result *r) {
    if (!f || !name || !o || !r)
        rl_fatal("rl_explore_write_json: NULL file, name, options or result");
    rl__json j;
    rl__json_init(&j, f);
    rl__json_object(&j, NULL);
    rl__json_str(&j, "target", name);
    rl__json_str(&j, "search", o->search == RL_SEARCH_BOUNDED  ? "bounded"
                               : o->search == RL_SEARCH_PCT    ? "pct"
                               : o->search == RL_SEARCH_DELAYS ? "delays"
                                                               : "replay");
    if (o->search == RL_SEARCH_BOUNDED && o->preemptions == RL_PREEMPTIONS_ALL)
        rl__json_str(&j, "preemption_bound", NULL);
    else if (o->search == RL_SEARCH_BOUNDED)
        rl__json_uint(&j, "preemption_bound", o->preemptions);
    if (o->search == RL_SEARCH_DELAYS)
        rl__json_uint(&j, "delay_bound", o->delays);
    rl__json_bool(&j, "reduction", o->reduce);
    rl__json_bool(&j, "reduced", r->reduced);
    if (r->reduced)
        rl__json_uint(&j, "redundant_runs", r->redundant);
    rl__json_bool(&j, "keep_going", o->keep_going);
    if (o->split && o->split->parts) { /* one part of a search: see racelab merge */
        rl__json_object(&j, "part");
        rl__json_uint(&j, "index", o->split->part);
        rl__json_uint(&j, "of", o->split->parts);
        rl__json_end(&j, '}');
    }
    if (o->search == RL_SEARCH_PCT) {
        rl__json_uint(&j, "depth", o->depth);
        rl__json_uint(&j, "seed", o->seed);
        rl__json_uint(&j, "iterations", o->iterations);
    }
    double secs = (double)r->elapsed_ns / 1e9;
    rl__json_uint(&j, "schedules", r->schedules);
    rl__json_bool(&j, "exhaustive", r->exhaustive);
    rl__json_bool(&j, "complete", r->complete);
    rl__json_bool(&j, "program", r->program);
    rl__json_bool(&j, "memory_accesses_scheduled", !r->program || r->memory_scheduled);
    rl__json_bool(&j, "plain_accesses_checked_only", r->plain_checked);
    rl__json_bool(&j, "fairness_held_reduced_search", r->fair_held);
    if (r->program) {
        rl__json_bool(&j, "races_checked", r->races_checked);
        rl__json_bool(&j, "races_incomplete", r->races_incomplete);
        rl__json_bool(&j, "outside_last", r->outside_last);
        rl__json_bool(&j, "weak_memory_orders", r->weak_orders);
        rl__json_bool(&j, "spin_waits", r->spin_waits);
    }
    rl__json_bool(&j, "fair_yields", r->fair_yields);
    char scope[1024];
    rl_explore_coverage(r, scope, sizeof scope);
    rl__json_str(&j, "coverage", scope);
    rl__json_uint(&j, "pruned_preemptions", r->pruned);
    rl__json_uint(&j, "longest_schedule", r->longest);
    rl__json_uint(&j, "elapsed_ns", r->elapsed_ns);
    rl__json_double(&j, "schedules_per_second", secs > 0 ? (double)r->schedules / secs : 0);
    rl__json_uint(&j, "workers", r->workers > 1 ? r->workers : 1);
    rl__json_bool(&j, "failed", r->failed);
    rl__json_str(&j, "verdict", rl_explore_verdict(r));
    rl__json_str(&j, "stopped_by", r->stopped == RL_STOP_SCHEDULES   ? "schedule_limit"
                                   : r->stopped == RL_STOP_TIME      ? "time_limit"
                                   : r->stopped == RL_STOP_INTERRUPT ? "interrupt"
                                                                     : NULL);
    rl__json_uint(&j, "failing_schedules", r->failing);
    if (r->norder) { /* the failure's place in the whole search's order */
        rl__json_array(&j, "failure_order");
        for (size_t i = 0; i < r->norder; i++)
            rl__json_uint(&j, NULL, r->order[i]);
        rl__json_end(&j, ']');
    }
    if (r->failed) {
        json_counterexample(&j, "failure", &r->first);
        if (r->minimized.schedule) {
            rl__json_bool(&j, "minimize_stopped", r->minimize_stopped);
            json_counterexample(&j, "minimized", &r->minimized);
            rl__json_uint(&j, "minimize_ns", r->minimize_ns);
        }
    }
    rl__json_array(&j, "final_states");
    for (size_t i = 0; i < r->nstates; i++) {
        rl__json_object(&j, NULL);
        rl__json_str(&j, "state", r->states[i].state);
        rl__json_bool(&j, "held", r->states[i].held);
        rl__json_uint(&j, "schedules", r->states[i].schedules);
        rl__json_end(&j, '}');
    }
    rl__json_end(&j, ']');
    if (r->races_listed) {
        rl__json_bool(&j, "data_races_unlisted", r->races_unlisted);
        rl__json_array(&j, "data_races");
        for (size_t i = 0; i < r->nraces; i++) {
            rl__json_object(&j, NULL);
            rl__json_str(&j, "variable", r->races[i].variable);
            rl__json_str(&j, "first", r->races[i].first);
            rl__json_str(&j, "second", r->races[i].second);
            rl__json_uint(&j, "schedules", r->races[i].schedules);
            rl__json_end(&j, '}');
        }
        rl__json_end(&j, ']');
    }
    rl__json_end(&j, '}');
}
