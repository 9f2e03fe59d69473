/* test_programs.c - racelab explore on unmodified pthread programs (in
 * tests/programs/, built with cc -g -pthread and nothing else), each with
 * a known answer. Natively most of them pass by luck; here each buggy one
 * is found every time, its schedule replays to the same failure, and it
 * is minimized; each correct one holds over every schedule within the
 * bound. */
#include <limits.h>
#include <string.h>

#include "racelab/explore.h"
#include "racelab_seams.h"
#include "testing.h"

#ifndef PROGRAMS
#error "PROGRAMS: the folder of the built test programs"
#endif

static rl_target program_races(const char *name, char *const *args, bool races_ignored) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", PROGRAMS, name);
    char *argv[8] = {path};
    for (size_t i = 0; args && args[i] && i < 6; i++)
        argv[i + 1] = args[i];
    rl_program_opts po = {.preload = PRELOAD, .races_ignored = races_ignored};
    rl_target t;
    char why[512] = "";
    rl_err e = rl_program_target(argv, &po, &t, why, sizeof why);
    if (e != RL_OK)
        fail_msg("%s: %s: %s", name, rl_strerror(e), why);
    return t;
}

static rl_target program(const char *name, char *const *args) {
    return program_races(name, args, false);
}

static bool trace_has(const rl_counterexample *c, const char *op, const char *object,
                      const char *where) {
    for (size_t i = 0; i < c->nsteps; i++) {
        const rl_trace_step *s = &c->steps[i];
        if (strcmp(s->op, op) == 0 && strstr(s->object, object) && strstr(s->where, where))
            return true;
    }
    return false;
}

/* Every reachable end of name, with --all: among them one that holds and
 * one that fails, each starting as given. */
static void reaches_both(const char *name, const char *held, const char *broken) {
    rl_target t = program(name, NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    o.minimize = false;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    bool good = false, bad = false;
    for (size_t i = 0; i < r.nstates; i++) {
        good |= r.states[i].held && strncmp(r.states[i].state, held, strlen(held)) == 0;
        bad |= !r.states[i].held && strncmp(r.states[i].state, broken, strlen(broken)) == 0;
    }
    if (!good || !bad)
        fail_msg("%s: '%s' %s, '%s' %s", name, held, good ? "reached" : "NOT reached", broken,
                 bad ? "reached" : "NOT reached");
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* A buggy program: found, minimized, and its schedule replays to the same
 * failure (kind and message). */
static void found_and_replayed_args(const char *name, char *const *args, rl_failure_kind kind,
                                    const char *says, rl_explore_result *keep) {
    rl_target t = program(name, args);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    if (!r.failed)
        fail_msg("%s: no failure found in %llu schedules", name,
                 (unsigned long long)r.schedules);
    assert_int_equal(r.first.kind, kind);
    assert_non_null(r.minimized.schedule);
    assert_int_equal(r.minimized.kind, kind);
    assert_true(r.minimized.deviations <= r.first.deviations);
    assert_contains(r.minimized.message, says);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_REPLAY;
    o.replay = r.minimized.schedule;
    o.record = true;
    rl_explore_result again = rl_test_explore(&t, o);
    assert_true(again.failed);
    assert_int_equal(again.schedules, 1);
    assert_int_equal(again.first.kind, kind);
    assert_string_equal(again.first.message, r.minimized.message);
    assert_string_equal(again.first.schedule, r.minimized.schedule);
    rl_explore_result_free(&again);
    rl_target_free(&t);
    if (keep)
        *keep = r;
    else
        rl_explore_result_free(&r);
}

static void found_and_replayed(const char *name, rl_failure_kind kind, const char *says,
                               rl_explore_result *keep) {
    found_and_replayed_args(name, NULL, kind, says, keep);
}

static void billing_race(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("billing", RL_FAIL_INVARIANT, "Assertion `balance == 350' failed", &r);
    /* the trace names the threads by their routine and the calls by line */
    assert_true(trace_has(&r.minimized, "sleep", "", "billing.c:"));
    assert_contains(r.minimized.outcome.story, "Assertion");
    rl_explore_result_free(&r);
}

static void overdraft(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("overdraft", RL_FAIL_INVARIANT, "overdraft: -10 coins", &r);
    assert_contains(r.minimized.outcome.story, "coins left: -10");
    assert_true(trace_has(&r.minimized, "lock", "check_lock", "overdraft.c:"));
    assert_true(trace_has(&r.minimized, "lock", "take_lock", "overdraft.c:"));
    assert_int_equal(r.minimized.preemptions, 1);
    rl_explore_result_free(&r);
}

static void deadlock(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("deadlock", RL_FAIL_DEADLOCK, "held by", &r);
    /* who waits for what, by the variables' names */
    assert_contains(r.minimized.message, "waits for lock lock_b held by T2");
    assert_contains(r.minimized.message, "waits for lock lock_a held by T1");
    /* each blocked thread's last line is the call it is blocked in */
    size_t stuck = 0;
    for (size_t i = 0; i < r.minimized.nsteps; i++)
        if (r.minimized.steps[i].marks & RL_MARK_BLOCKED) {
            stuck++;
            assert_false(r.minimized.steps[i].marks & RL_MARK_PREEMPT);
        }
    assert_int_equal(stuck, 3); /* main in join, T1 and T2 in lock */
    assert_true(trace_has(&r.minimized, "lock", "lock_b", "deadlock.c:14"));
    rl_explore_result_free(&r);
}

static void lost_wakeup(void **state) {
    (void)state;
    found_and_replayed("lost_wakeup", RL_FAIL_DEADLOCK, "never signalled", NULL);
}

/* A signal wakes some waiter, not always the first: the program that
 * assumes FIFO order fails. */
static void signal_wakes_any_waiter(void **state) {
    (void)state;
    found_and_replayed("fifo_signal", RL_FAIL_INVARIANT, "", NULL);
}

/* The end of the process is a scheduling point: a thread main did not
 * join may still run before it is over. */
static void exit_without_join(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("exit_race", RL_FAIL_INVARIANT, "billed a closed account", &r);
    /* the worker took the lock after main had released it for good */
    unsigned main_unlock = 0, worker_lock = 0;
    for (size_t i = 0; i < r.minimized.nsteps; i++) {
        const rl_trace_step *st = &r.minimized.steps[i];
        if (st->thread == 0 && strcmp(st->op, "unlock") == 0)
            main_unlock = st->index;
        if (st->thread == 1 && strcmp(st->op, "lock") == 0)
            worker_lock = st->index;
    }
    assert_true(main_unlock > 0 && worker_lock > main_unlock);
    rl_explore_result_free(&r);
    /* _exit, without exit's handlers, is the same point */
    char *const underscore[] = {"_exit", NULL};
    found_and_replayed_args("exit_race", underscore, RL_FAIL_INVARIANT,
                            "billed a closed account", NULL);
}

static void crash(void **state) {
    (void)state;
    found_and_replayed("crash", RL_FAIL_ERROR, "SIGSEGV", NULL);
}

/* A correct program: no failure within the bound, one final state. */
static void holds_args(const char *name, char *const *args, const char *state_prefix,
                       unsigned preemptions) {
    rl_target t = program(name, args);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    o.preemptions = preemptions;
    rl_explore_result r = rl_test_explore(&t, o);
    if (r.failed)
        fail_msg("%s failed: %s (schedule %s)", name, r.first.message, r.first.schedule);
    assert_true(r.exhaustive);
    assert_true(r.schedules > 1);
    assert_int_equal(r.nstates, 1);
    assert_true(r.states[0].held);
    assert_contains(r.states[0].state, state_prefix);
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

static void holds(const char *name, const char *state_prefix, unsigned preemptions) {
    holds_args(name, NULL, state_prefix, preemptions);
}

static void correct_programs(void **state) {
    (void)state;
    /* the two longest at bound 1: each thread's start is a step of its own,
     * and at 2 they take 7,864 and 1,822 schedules (23 s and 5 s here) */
    holds("bounded_queue", "exit 0: sum 33", 1);
    holds("billing_locked", "exit 0: balances 475 1275", 2);
    holds("primitives", "exit 0: shared 2 inits 1 spun 2 timeouts 2", 1);
    holds("two_locks", "exit 0", 2);
    /* a thread blocked in read() gives the turn away until there is data,
     * and sees the end of a pipe made before the first thread */
    holds("pipe_reader", "exit 0: read 'hello pipe'", 2);
    /* so does one waiting in select or epoll_wait, until a descriptor is
     * ready or its pipe ends */
    holds("select_reader", "exit 0: read 'select' 'epoll'", 1);
    /* built by racelab cc: every access a step, and a thread spinning on
     * flags the other has not changed makes way for it (no livelock) */
    holds("peterson_mem", "exit 0: counter 4", 2);
    /* so do Dekker's algorithm and Lamport's bakery (the bakery at bound 1:
     * 1,041 schedules at 2) */
    char *dekker[] = {"dekker", NULL}, *bakery[] = {"bakery", NULL};
    holds_args("spin_locks_mem", dekker, "exit 0: dekker: counter 4", 2);
    holds_args("spin_locks_mem", bakery, "exit 0: bakery: counter 4", 1);
    /* 100 threads one after another: a joined thread's slot is reused */
    holds("sequential_threads", "exit 0: count 100", 1);
}

/* Every reachable end of the racy billing: both bills, or one lost. */
static void reachable_states(void **state) {
    (void)state;
    reaches_both("overdraft", "exit 0: coins left: 10", "exit 1: overdraft: -10");
}

/* More threads than the explorer handles: an error, never a verdict. */
static void too_many_threads(void **state) {
    (void)state;
    rl_target t = program("many_threads", NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    rl_explore_result r;
    char why[512] = "";
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_ENOTSUP);
    assert_contains(why, "at most 64");
    rl_target_free(&t);
}

/* A program in which racelab saw no thread gets no verdict: an error that
 * says why, with how the program ended. */
static void refused(const char *name, char *const *args, const char *says, const char *ended) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", PROGRAMS, name);
    char *argv[4] = {path, args ? args[0] : NULL, NULL};
    rl_program_opts po = {.preload = PRELOAD};
    rl_target t;
    char why[512] = "";
    assert_err_equal(rl_program_target(argv, &po, &t, why, sizeof why), RL_ENOTSUP);
    assert_contains(why, says);
    if (ended)
        assert_contains(why, ended);
}

static void no_thread_no_verdict(void **state) {
    (void)state;
    char *one[] = {"x", NULL};
    refused("no_threads", one, "ended without creating a thread",
            "exited with status 3: no threads, 1 arguments");
    refused("no_threads", NULL, "there is no verdict", "exited with status 0");
    /* never loaded: refused before it runs */
    refused("static_threads", NULL, "is statically linked", NULL);
}

/* Output longer than a report keeps: its last whole lines, after a line
 * that says how much went before. */
static void long_output(void **state) {
    (void)state;
    rl_target t = program("long_output", NULL);
    rl_explore_result r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    assert_contains(r.first.message, "exited with status 3: done");
    const char *story = r.first.outcome.story;
    assert_true(strncmp(story, "[... ", 5) == 0);
    assert_contains(story, " earlier bytes not shown]\nline ");
    assert_contains(story, "line 100 of 100, printed before the exit status\ndone\n");
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* A wrapper script that ends in exec is explored as the program it runs. */
static void exec_wrapper(void **state) {
    (void)state;
    found_and_replayed("exec_deadlock.sh", RL_FAIL_DEADLOCK, "held by", NULL);
}

/* A new thread runs nothing until the schedule starts it: its creator may
 * go on first. Both ends are reachable, the failing one with no
 * preemption (main going on is the default order). */
static void thread_start_is_a_step(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("start_order", RL_FAIL_INVARIANT, "main saw the flag unset", &r);
    assert_int_equal(r.minimized.preemptions, 0);
    rl_explore_result_free(&r);
    reaches_both("start_order", "exit 0: main saw the flag set", "exit 1: main saw the flag unset");
}

/* A thread that sleeps once may go on at once: a sleep is no order. One
 * preemption (main's, right after it lets the worker go; the worker's
 * sleep is a yield, not a preemption), in the plain build; in the
 * racelab cc build, reduced, both ends. */
static void one_sleep_orders_nothing(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("sleep_order", RL_FAIL_INVARIANT, "its sleep held nothing back", &r);
    assert_int_equal(r.minimized.preemptions, 1);
    assert_true(trace_has(&r.minimized, "sleep", "", "sleep_order.c:"));
    rl_explore_result_free(&r);
    rl_target t = program_races("sleep_order_mem", NULL, false);
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    o.keep_going = true;
    o.minimize = false;
    r = rl_test_explore(&t, o);
    assert_true(r.complete);
    assert_int_equal(r.nstates, 2);
    assert_true(r.failed);
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* A timed wait may time out whenever it waits: a choice of the schedule,
 * not only a way out when nothing else can run. */
static void timeouts_are_choices(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("timed_wait", RL_FAIL_INVARIANT, "timed out", &r);
    assert_int_equal(r.minimized.preemptions, 0);
    assert_true(trace_has(&r.minimized, "wake", "ready", "timed_wait.c:34"));
    rl_explore_result_free(&r);
}

/* C11 <threads.h> calls are scheduled as the pthread calls they are, each
 * step at its C11 call's line, each thread named after its routine. */
static void c11_threads(void **state) {
    (void)state;
    rl_explore_result r;
    found_and_replayed("c11_threads", RL_FAIL_INVARIANT, "counter 1", &r);
    assert_true(trace_has(&r.minimized, "lock", "lock", "c11_threads.c:20 in add_one"));
    assert_true(trace_has(&r.minimized, "once", "setup_once", "c11_threads.c:19"));
    assert_true(trace_has(&r.minimized, "wait", "finished", "c11_threads.c:40 in main"));
    assert_true(trace_has(&r.minimized, "yield", "", "c11_threads.c:23"));
    assert_contains(r.minimized.steps[0].object, "add_one");
    rl_explore_result_free(&r);
}

/* fork() runs the new process outside the scheduler: the explored process
 * is the one racelab started, its exit status counts, and the child's
 * calls are no steps of its schedule. */
static void forks(void **state) {
    (void)state;
    /* before the first thread: the parent is explored (it exits 5) */
    rl_target t = program("fork_before", NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_true(r.failed);
    assert_int_equal(r.failing, r.schedules);
    assert_contains(r.first.message, "exited with status 5: the parent exits 5");
    rl_explore_result_free(&r);
    rl_target_free(&t);
    /* after: it holds, and the trace has the parent's steps only, in order */
    t = program("fork_after", NULL);
    r = rl_test_explore(&t, o);
    assert_false(r.failed);
    assert_int_equal(r.nstates, 1);
    assert_contains(r.states[0].state, "exit 0: child 7, worker ran 1");
    /* its waitpid went on only when the worker could not: the result says so */
    assert_true(r.outside_last);
    rl_explore_result_free(&r);
    rl_target_free(&t);
    char *fail[] = {"fail", NULL};
    t = program("fork_after", fail);
    r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    assert_true(r.first.nsteps > 0);
    for (size_t i = 0; i < r.first.nsteps; i++) {
        const rl_trace_step *st = &r.first.steps[i];
        assert_false(strstr(st->object, "own")); /* the child's lock */
        if (i && st->index && r.first.steps[i - 1].index)
            assert_true(st->index >= r.first.steps[i - 1].index);
    }
    assert_true(trace_has(&r.first, "lock", "m", "fork_after.c:"));
    rl_explore_result_free(&r);
    rl_target_free(&t);
}

/* A schedule that does not fit is an error naming the choice. */
static void replay_that_does_not_fit(void **state) {
    (void)state;
    rl_target t = program("deadlock", NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.search = RL_SEARCH_REPLAY;
    o.replay = "1:7";
    rl_explore_result r;
    char why[512] = "";
    assert_err_equal(rl_explore(&t, &o, &r, why, sizeof why), RL_EINVAL);
    assert_contains(why, "thread 7 cannot go");
    rl_target_free(&t);
}

static void missing_program(void **state) {
    (void)state;
    char *argv[] = {"/nonexistent/racelab-program", NULL};
    rl_target t;
    char why[256] = "";
    assert_err_equal(rl_program_target(argv, NULL, &t, why, sizeof why), RL_ENOENT);
    assert_contains(why, "no such executable");
}

/* A race between plain accesses: invisible to a plain build (no call
 * between the read and the write), found once racelab cc's build makes
 * every load and store a step: as a data race (the two accesses not
 * ordered), and with races ignored as the lost addition. */
static void memory_accesses(void **state) {
    (void)state;
    rl_target t = program("counter_race", NULL);
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = RL_PREEMPTIONS_ALL;
    rl_explore_result r = rl_test_explore(&t, o);
    assert_false(r.failed);
    assert_true(r.complete);
    assert_false(r.memory_scheduled); /* and the verdict says so */
    rl_explore_result_free(&r);
    rl_target_free(&t);
    rl_explore_result found;
    found_and_replayed("counter_race_mem", RL_FAIL_RACE, "data race on counter: ", &found);
    assert_true(found.memory_scheduled);
    assert_int_equal(found.minimized.preemptions, 0); /* the default order has it */
    assert_contains(found.minimized.message, "are not ordered by any synchronization");
    /* both accesses marked in the trace: main's store, T1's load */
    unsigned marked = 0;
    for (size_t i = 0; i < found.minimized.nsteps; i++) {
        const rl_trace_step *st = &found.minimized.steps[i];
        if (st->marks & RL_MARK_RACE) {
            assert_string_equal(st->object, "counter");
            /* main's store; T1's load (with GCC) or store (clang drops the
             * load before a store to the same place) */
            assert_true(strcmp(st->op, "store") == 0 ||
                        (st->thread == 1 && strcmp(st->op, "load") == 0));
            marked |= 1u << st->thread;
        }
    }
    assert_int_equal(marked, 3);
    rl_explore_result_free(&found);
    /* races ignored: the lost addition itself, at one preemption */
    rl_target ti = program_races("counter_race_mem", NULL, true);
    r = rl_test_explore(&ti, rl_explore_opts_default());
    assert_true(r.failed);
    assert_int_equal(r.minimized.kind, RL_FAIL_INVARIANT);
    assert_int_equal(r.minimized.preemptions, 1);
    /* both threads' stores are steps (the load before each may be left
     * out: clang's instrumentation drops a read followed by a write of the
     * same place, which then belongs to the step before) */
    unsigned storers = 0;
    for (size_t i = 0; i < r.minimized.nsteps; i++) {
        const rl_trace_step *st = &r.minimized.steps[i];
        if (strcmp(st->op, "store") == 0 && strcmp(st->object, "counter") == 0 &&
            strstr(st->where, "counter_race.c:16") != NULL)
            storers |= 1u << st->thread;
    }
    assert_int_equal(storers, 3); /* main (0) and T1 (1) */
    assert_contains(r.minimized.outcome.story, "counter 1");
    /* its schedule replays untraced too: the preemption falls between a
     * thread's load and its store, where a copy otherwise repeats the
     * running thread's decision without asking the core */
    rl_explore_opts ro = rl_explore_opts_default();
    ro.search = RL_SEARCH_REPLAY;
    ro.replay = r.minimized.schedule;
    rl_explore_result again = rl_test_explore(&ti, ro);
    if (!again.failed)
        fail_msg("the lost addition's schedule %s did not replay", r.minimized.schedule);
    assert_string_equal(again.first.message, r.minimized.message);
    rl_explore_result_free(&again);
    rl_explore_result_free(&r);
    rl_target_free(&ti);
}

/* Data races under the schedule: a message passed through a relaxed flag
 * races; through a release/acquire flag, a lock or Peterson's lock with
 * sequentially consistent atomics it does not (no race made up). */
static void data_races(void **state) {
    (void)state;
    found_and_replayed("message_flag_mem", RL_FAIL_RACE, "data race on message: main's store", NULL);
    char *acquire[] = {"acquire", NULL};
    rl_target t = program("message_flag_mem", acquire);
    rl_explore_opts o = rl_explore_opts_default();
    o.keep_going = true;
    rl_explore_result r = rl_test_explore(&t, o);
    if (r.failed)
        fail_msg("release/acquire: %s", r.first.message);
    assert_true(r.exhaustive && r.memory_scheduled);
    rl_explore_result_free(&r);
    rl_target_free(&t);
    holds("billing_locked_mem", "exit 0: balances 475 1275", 1);
    /* three merchants, three customers, a sleep in every critical section:
     * reduced, one schedule per order of each lock's sections, 6^3 */
    char *three[] = {"3", "3", NULL};
    t = program("billing_locked_mem", three);
    rl_explore_opts all = rl_explore_opts_default();
    all.preemptions = RL_PREEMPTIONS_ALL;
    r = rl_test_explore(&t, all);
    assert_false(r.failed);
    assert_true(r.complete);
    assert_false(r.fair_held);
    assert_int_equal(r.schedules, 216);
    rl_explore_result_free(&r);
    rl_target_free(&t);
    /* double-checked initialisation: a plain flag read outside the lock
     * races with its write under it; an acquire/release flag does not */
    found_and_replayed("lazy_init_mem", RL_FAIL_RACE, "data race on plain_ready: ", NULL);
    t = program("lazy_init_mem", acquire);
    r = rl_test_explore(&t, o);
    if (r.failed)
        fail_msg("lazy_init acquire: %s", r.first.message);
    assert_true(r.exhaustive);
    rl_explore_result_free(&r);
    rl_target_free(&t);
    /* a sequence lock: its reader spins while a write is under way (the
     * fair scheduler lets the writer finish) and never keeps a torn pair;
     * with the pair in plain memory its reads race with the writes, both
     * lines named */
    t = program("seqlock_mem", NULL);
    r = rl_test_explore(&t, o);
    if (r.failed)
        fail_msg("seqlock: %s", r.first.message);
    assert_true(r.exhaustive);
    assert_true(r.nstates >= 2); /* the pair before a write, and after */
    rl_explore_result_free(&r);
    rl_target_free(&t);
    char *plain[] = {"plain", NULL};
    rl_explore_result found;
    found_and_replayed_args("seqlock_mem", plain, RL_FAIL_RACE, "data race on plain_", &found);
    unsigned sides = 0;
    for (size_t i = 0; i < found.minimized.nsteps; i++) {
        const rl_trace_step *st = &found.minimized.steps[i];
        if (!(st->marks & RL_MARK_RACE))
            continue;
        assert_true(strncmp(st->object, "plain_", 6) == 0);
        if (strcmp(st->op, "load") == 0 && strstr(st->where, "seqlock.c:4"))
            sides |= 1u; /* get()'s read */
        if (strcmp(st->op, "store") == 0 && strstr(st->where, "seqlock.c:3"))
            sides |= 2u; /* put()'s write */
    }
    assert_int_equal(sides, 3);
    rl_explore_result_free(&found);
    /* a naive flag lock lets both threads in: their additions race, and
     * with races ignored one is lost */
    char *naive[] = {"naive", NULL};
    found_and_replayed_args("spin_locks_mem", naive, RL_FAIL_RACE, "data race on counter: ",
                            NULL);
    t = program_races("spin_locks_mem", naive, true);
    r = rl_test_explore(&t, rl_explore_opts_default());
    assert_true(r.failed);
    assert_int_equal(r.minimized.kind, RL_FAIL_INVARIANT);
    assert_contains(r.minimized.outcome.story, "naive: counter 3");
    rl_explore_result_free(&r);
    /* accesses that share bytes from different starts race (a store of a
     * whole word, one of its second half); two halves of one word do not */
    char *whole[] = {"whole", NULL}, *apart[] = {"apart", NULL};
    found_and_replayed_args("overlap_mem", whole, RL_FAIL_RACE,
                            "data race on w+4: main's store in step ", NULL);
    holds_args("overlap_mem", apart, "exit 0: word 0x700000005", 2);
    /* a variable on main's stack that a thread adds to as main does:
     * main's accesses are steps once the thread has used it, and race */
    found_and_replayed("stack_share_mem", RL_FAIL_RACE, "data race on stack 0x", NULL);
    rl_target_free(&t);
}

/* A program's schedule is fed back to the bounded search a run of equal
 * decisions at a time (a thread's memory accesses one after another) where
 * the search can take it at once; recording footprints feeds it back a
 * step at a time. Both count the same: schedules, the preemptions the
 * bound pruned, the final states. */
static void runs_fed_back_as_steps(void **state) {
    (void)state;
    rl_target t = program_races("billing_locked_mem", NULL, true);
    rl_explore_opts o = rl_explore_opts_default();
    o.preemptions = 2;
    o.keep_going = true;
    o.minimize = false;
    rl_explore_result runs = rl_test_explore(&t, o);
    rl__explore_footprints = true;
    rl_explore_result steps = rl_test_explore(&t, o);
    rl__explore_footprints = false;
    assert_true(runs.exhaustive && steps.exhaustive);
    assert_true(runs.pruned > 0);
    if (runs.schedules != steps.schedules || runs.pruned != steps.pruned)
        fail_msg("fed back by runs: %llu schedules, %llu pruned; by steps: %llu, %llu",
                 (unsigned long long)runs.schedules, (unsigned long long)runs.pruned,
                 (unsigned long long)steps.schedules, (unsigned long long)steps.pruned);
    assert_int_equal(runs.nstates, steps.nstates);
    for (size_t i = 0; i < runs.nstates; i++) {
        assert_string_equal(runs.states[i].state, steps.states[i].state);
        assert_int_equal(runs.states[i].schedules, steps.states[i].schedules);
    }
    rl_explore_result_free(&runs);
    rl_explore_result_free(&steps);
    rl_target_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        rl_unit_test(billing_race),     rl_unit_test(overdraft),
        rl_unit_test(deadlock),         rl_unit_test(lost_wakeup),
        rl_unit_test(signal_wakes_any_waiter),
        rl_unit_test(crash),            rl_unit_test(exit_without_join),
        rl_unit_test(correct_programs),
        rl_unit_test(reachable_states), rl_unit_test(too_many_threads),
        rl_unit_test(no_thread_no_verdict), rl_unit_test(long_output),
        rl_unit_test(exec_wrapper),     rl_unit_test(forks),
        rl_unit_test(c11_threads),      rl_unit_test(thread_start_is_a_step),
        rl_unit_test(timeouts_are_choices),
        rl_unit_test(one_sleep_orders_nothing),
        rl_unit_test(memory_accesses),
        rl_unit_test(data_races),       rl_unit_test(runs_fed_back_as_steps),
        rl_unit_test(replay_that_does_not_fit),
        rl_unit_test(missing_program),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
