/* test_arguments.c - every layer's argument policy, call by call: a call
 * that returns rl_err answers a NULL (or an argument out of range) with
 * RL_EINVAL; destroy and free accept NULL; every other call given NULL or
 * an index out of range dies with racelab's fatal error naming the call,
 * never a crash (each such call runs in a child process of its own). And
 * the command's bad usage: exit 2 and one line on stderr, nothing on
 * stdout (each command line run in-process in a forked child). */
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "racelab/channel.h"
#include "racelab/dataset.h"
#include "racelab/explore.h"
#include "racelab/histogram.h"
#include "racelab/locker.h"
#include "racelab/lockstep.h"
#include "racelab/once.h"
#include "racelab/processor.h"
#include "racelab/scenario.h"
#include "racelab/shared.h"
#include "racelab/timeline.h"
#include "racelab/var.h"
#include "racelab/waitgroup.h"
#include "racelab_seams.h"
#include "testing.h"

/* ---- layer 2: what returns an error, and what does nothing ---- */

static void errors_and_nothing(void **state) {
    (void)state;
    int x = 0;
    assert_err_equal(rl_waitgroup_init(NULL, "w"), RL_EINVAL);
    rl_waitgroup_destroy(NULL);
    assert_err_equal(rl_once_init(NULL, "o"), RL_EINVAL);
    rl_once_destroy(NULL);
    assert_err_equal(rl_rwlock_init(NULL, "rw"), RL_EINVAL);
    rl_rwlock_destroy(NULL);
    rl_locker *l = NULL;
    assert_err_equal(rl_locker_new("mutex", "l", NULL), RL_EINVAL);
    assert_err_equal(rl_locker_new("nonsense", "l", &l), RL_ENOENT);
    rl_locker_destroy(NULL);
    assert_err_equal(rl_locked_list_append(NULL, 1), RL_EINVAL);
    rl_locked_list_free(NULL);
    assert_err_equal(rl_chan_send(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_recv(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_try_recv(NULL, &x), RL_EINVAL);
    assert_err_equal(rl_chan_close(NULL), RL_EINVAL);
    rl_chan_destroy(NULL);
    assert_err_equal(rl_lockstep_begin(0, NULL), RL_EINVAL);
    rl_lockstep_end(NULL);
    /* layer 4 */
    rl_processor *p = NULL;
    assert_err_equal(rl_processor_start(NULL, 1, 0, NULL, NULL, &p), RL_EINVAL);
    rl_processor_stop(NULL);
    rl_processor_destroy(NULL);
    rl_dataset_free(NULL);
    /* layers 5 and 6, and the pictures */
    assert_null(rl_scenario_find(NULL));
    assert_null(rl_scenario_at(rl_scenario_count()));
    rl_target t;
    assert_err_equal(rl_target_parse(NULL, NULL, &t, NULL, 0), RL_EINVAL);
    rl_target_free(NULL);
    rl_explore_result_free(NULL);
    assert_err_equal(rl_timeline_from_trace(NULL, NULL), RL_EINVAL);
    rl_timeline_free(NULL);
    rl_histogram_init(NULL);
    assert_err_equal(rl_histogram_add(NULL, "x", 1, true), RL_EINVAL);
    rl_histogram_free(NULL);
}

/* ---- the rest: fatal, naming the call ---- */

static int wg_add(void) { rl_waitgroup_add(NULL, 1); return 0; }
static int wg_done(void) { rl_waitgroup_done(NULL); return 0; }
static int wg_wait(void) { rl_waitgroup_wait(NULL); return 0; }
static int var_load(void) { return (int)rl_var_load(NULL); }
static int var_add(void) { return (int)rl_var_add(NULL, 1); }
static int var_cas(void) {
    rl_var v;
    rl_var_init(&v, "v", 0);
    return rl_var_compare_and_set(&v, NULL, 1);
}
static int once_done(void) { return rl_once_done(NULL); }
static int once_do(void) { return rl_once_do(NULL, NULL, NULL); }
static int locker_lock(void) { rl_locker_lock(NULL); return 0; }
static int locker_unlock(void) { rl_locker_unlock(NULL); return 0; }
static int rw_rdlock(void) { rl_rwlock_rdlock(NULL); return 0; }
static int rw_wrunlock(void) { rl_rwlock_wrunlock(NULL); return 0; }
static int list_len(void) { return (int)rl_locked_list_len(NULL); }
static int chan_len(void) { return (int)rl_chan_len(NULL); }
static int chan_closed(void) { return rl_chan_closed(NULL); }
static int chan_name(void) { return rl_chan_name(NULL) != NULL; }
static int lockstep_enter(void) { rl_lockstep_enter(NULL, 0); return 0; }
static int lockstep_park(void) { rl_lockstep_park(NULL, 0); return 0; }
static int proc_input(void) { return rl_processor_input(NULL) != NULL; }
static int proc_served(void) { return (int)rl_processor_served(NULL); }
static int proc_balance_range(void) {
    rl_customer one[] = {{"Dave", 100}};
    rl_processor *p;
    if (rl_processor_start(one, 1, 1, NULL, NULL, &p) != RL_OK)
        return 1;
    rl_processor_stop(p);
    return (int)rl_processor_balance(p, 1); /* one account: index 1 is out of range */
}
static int dataset_index(void) { return (int)rl_dataset_customer_index(NULL, "Dave"); }
static int outcome_state(void) { rl_outcome_state(NULL, "x"); return 0; }
static int scenario_variant(void) { return (int)rl_scenario_variant(NULL, "racy"); }
static int shared_read(void) {
    int v;
    rl_shared_read(NULL, &v, sizeof v, "v");
    return v;
}
static int target_custom(void) { rl_target_custom(NULL, "t", NULL, NULL); return 0; }
static int explore_verdict(void) { return rl_explore_verdict(NULL) != NULL; }

RL_CHILDREN({"wg-add", wg_add}, {"wg-done", wg_done}, {"wg-wait", wg_wait},
            {"var-load", var_load}, {"var-add", var_add}, {"var-cas", var_cas},
            {"once-done", once_done}, {"once-do", once_do}, {"locker-lock", locker_lock},
            {"locker-unlock", locker_unlock}, {"rw-rdlock", rw_rdlock},
            {"rw-wrunlock", rw_wrunlock}, {"list-len", list_len}, {"chan-len", chan_len},
            {"chan-closed", chan_closed}, {"chan-name", chan_name},
            {"lockstep-enter", lockstep_enter}, {"lockstep-park", lockstep_park},
            {"proc-input", proc_input}, {"proc-served", proc_served},
            {"proc-balance-range", proc_balance_range}, {"dataset-index", dataset_index},
            {"outcome-state", outcome_state}, {"scenario-variant", scenario_variant},
            {"shared-read", shared_read}, {"target-custom", target_custom},
            {"explore-verdict", explore_verdict});

static void misuse_is_fatal_and_named(void **state) {
    (void)state;
    static const struct {
        const char *child, *message;
    } cases[] = {
        {"wg-add", "rl_waitgroup_add: NULL"},
        {"wg-done", "rl_waitgroup_done: NULL"},
        {"wg-wait", "rl_waitgroup_wait: NULL"},
        {"var-load", "rl_var_load: NULL"},
        {"var-add", "rl_var_add: NULL"},
        {"var-cas", "rl_var_compare_and_set: NULL"},
        {"once-done", "rl_once_done: NULL"},
        {"once-do", "rl_once_do: NULL"},
        {"locker-lock", "rl_locker_lock: NULL"},
        {"locker-unlock", "rl_locker_unlock: NULL"},
        {"rw-rdlock", "rl_rwlock_rdlock: NULL"},
        {"rw-wrunlock", "rl_rwlock_wrunlock: NULL"},
        {"list-len", "rl_locked_list_len: NULL"},
        {"chan-len", "rl_chan_len: NULL"},
        {"chan-closed", "rl_chan_closed: NULL"},
        {"chan-name", "rl_chan_name: NULL"},
        {"lockstep-enter", "rl_lockstep_enter: NULL"},
        {"lockstep-park", "rl_lockstep_park: NULL"},
        {"proc-input", "rl_processor_input: NULL"},
        {"proc-served", "rl_processor_served: NULL"},
        {"proc-balance-range", "rl_processor_balance: account 1 of 1"},
        {"dataset-index", "rl_dataset_customer_index: NULL"},
        {"outcome-state", "rl_outcome_state: NULL"},
        {"scenario-variant", "rl_scenario_variant: NULL"},
        {"shared-read", "rl_shared_read: NULL"},
        {"target-custom", "rl_target_custom: NULL"},
        {"explore-verdict", "rl_explore_verdict: NULL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        rl_test_expect_fatal(cases[i].child, cases[i].message);
}

/* ---- layer 7: the command's bad usage ---- */

/* Command lines (words split at spaces) the command must refuse: exit 2,
 * nothing on stdout, exactly one line on stderr. */
static const char *const bad_usage[] = {
    "frobnicate", "--frob", "bill", "bill --strategy nope", "bill --strategy racy --mode sideways",
    "bill --strategy racy --delay -5ms", "bill --strategy racy --delay 1h",
    "bill --strategy racy --delay 5parsecs", "bill --strategy racy --delay abc",
    "bill --strategy racy --runs 0", "bill --strategy racy --runs x",
    "bill --strategy racy --jitter 101", "bill --strategy racy --retries -1",
    "bill --strategy racy --merchants 9", "bill --strategy racy --mode serial --lockstep",
    "bill --strategy racy stray", "bill --strategy", "demo --delay 99s", "demo --bogus",
    "scenario", "scenario frob", "scenario run", "scenario run nope",
    "scenario run overdraft --variant nope", "scenario run overdraft --threads 0",
    "scenario list extra", "trace --strategy nope", "trace --replay x",
    "trace --replay - --lockstep", "trace extra", "explore", "explore nope:racy", "explore bill",
    "explore bill:racy --replay 3:", "explore bill:racy --replay 1:9",
    "explore bill:racy --pct --replay -", "explore bill:racy --depth 3",
    "explore bill:racy --pct --preemptions 1", "explore bill:racy --merchants 9",
    "explore --list x", "explore bill:racy --no-reduction", "explore bill:racy --delays 1 --pct",
    "explore bill:racy --delays 1 --preemptions 2", "explore bill:racy --stack-size 12Q",
    "explore bill:racy --stack-size 1K", "explore bill:racy --preemptions most",
};
/* The same, where the one line is not asked for (a verb's usage). */
static const char *const bad_usage_any[] = {
    "bench", "bench frob", "bench explore x", "bench makespan --delay 0",
    "bench throughput --threads 0", "bench throughput --threads 1,,2",
    "bench throughput --skew flat", "bench throughput --seconds 0", "bench makespan --json --csv",
    "bench explore --seconds 0", "bench explore --seconds", "bench explore --seconds x",
};

static int run_command(void *arg) {
    char line[256], *argv[32];
    snprintf(line, sizeof line, "racelab %s", (const char *)arg);
    int argc = 0;
    for (char *save, *w = strtok_r(line, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    return rl_cli_main(argc, argv);
}

static void refused(const char *args, bool one_line) {
    rl_child c;
    rl_test_fork(run_command, (void *)args, &c);
    if (c.exit_code != 2 || c.out[0] != '\0')
        fail_msg("racelab %s: exit %d (want 2), stdout '%s', stderr '%s'", args, c.exit_code, c.out,
                 c.err);
    size_t lines = 0;
    for (const char *p = c.err; *p; p++)
        lines += *p == '\n';
    if (one_line && lines != 1)
        fail_msg("racelab %s: %zu lines on stderr, want one: '%s'", args, lines, c.err);
    if (lines == 0)
        fail_msg("racelab %s: refused without a word on stderr", args);
    rl_child_free(&c);
}

static void command_bad_usage(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_usage / sizeof bad_usage[0]; i++)
        refused(bad_usage[i], true);
    for (size_t i = 0; i < sizeof bad_usage_any / sizeof bad_usage_any[0]; i++)
        refused(bad_usage_any[i], false);
}

int main(int argc, char **argv) {
    rl_test_dispatch_child(argc, argv, rl_children_, rl_nchildren_);
    const struct CMUnitTest tests[] = {
        rl_unit_test(errors_and_nothing),
        rl_unit_test(misuse_is_fatal_and_named),
        rl_unit_test(command_bad_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
