#!/usr/bin/env python3
"""test_soundness.py - the soundness oracle of `racelab explore -- PROG`.

For each program of tests/programs, racelab lists every final state it can
reach (`--all --json`); the program is then run natively many times, with
libjitter.so preloaded to vary its interleavings (random yields and sleeps
before its synchronization calls), and each native outcome must be among
racelab's states. An outcome is what racelab calls a state: "exit N: the
last line printed", "SIGABRT: ..." for an abort, "(error)" for another
signal; a native run that hangs must match a "(deadlock)" or "(livelock)".
A native outcome racelab cannot produce fails the test, named with the seed
of the run that showed it (RACELAB_JITTER_SEED=S PROG reruns it).

The native runs vary with timing; the verdict does not: a sound explorer
passes whatever the runs show. The seed is printed, and fixed by --seed.

Then the programs whose schedules wait on time, a pipe or another process
(CROWDED) are explored once more, four at once on a machine of two CPUs:
every verdict, schedule count and final state must be what it was alone (a
busy machine slows racelab; it must not change an answer).

Usage: test_soundness.py [--seed S] [--runs N] RACELAB PROGRAMS_DIR JITTER_SO
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time

# program, arguments, racelab's search (a complete one where it is small),
# the share of the native runs (fewer for the ones that sleep for real)
CORPUS = [
    ("billing", [], ["--preemptions", "all"], 1.0),
    ("overdraft", [], ["--preemptions", "all"], 1.0),
    ("deadlock", [], ["--preemptions", "all"], 1.0),
    ("exec_deadlock.sh", [], ["--preemptions", "all"], 0.5),
    ("lost_wakeup", [], ["--preemptions", "all"], 1.0),
    ("fifo_signal", [], ["--preemptions", "all"], 1.0),
    ("crash", [], ["--preemptions", "all"], 1.0),
    ("exit_race", [], ["--preemptions", "all"], 1.0),
    ("exit_race", ["_exit"], ["--preemptions", "all"], 1.0),
    ("start_order", [], ["--preemptions", "all"], 1.0),
    ("fork_before", [], ["--preemptions", "all"], 0.5),
    ("fork_after", [], ["--preemptions", "all"], 0.5),
    ("pipe_reader", [], ["--preemptions", "all"], 1.0),
    ("long_output", [], ["--preemptions", "all"], 0.2),
    ("timed_wait", [], ["--preemptions", "all"], 0.1),
    ("two_locks", [], ["--preemptions", "2"], 0.5),
    ("trylock_held", [], ["--preemptions", "all"], 1.0),
    ("billing_locked", [], ["--preemptions", "2"], 0.5),
    ("c11_threads", [], ["--preemptions", "2"], 1.0),
    ("primitives", [], ["--preemptions", "1"], 0.5),
    ("bounded_queue", [], ["--preemptions", "1"], 0.5),
    ("cxx_threads", [], ["--preemptions", "all"], 1.0),  # built where g++ is
    ("sequential_threads", [], ["--preemptions", "0"], 0.25),
    ("main_exits_first", [], ["--preemptions", "all"], 0.25),
    ("select_reader", [], ["--preemptions", "1"], 0.25),
    # every final state, data races aside (--races ignore: a race ends a
    # schedule early, before the program's own end)
    ("counter_race_mem", [], ["--preemptions", "all", "--races", "ignore"], 0.5),
    ("peterson_mem", [], ["--preemptions", "1"], 0.25),
    ("seqlock_mem", [], ["--preemptions", "all"], 0.25),
    ("spin_wait_mem", ["one"], ["--preemptions", "all"], 0.5),
    ("spin_wait_mem", ["two"], ["--preemptions", "all"], 0.5),
    ("spin_wait_mem", ["poll"], ["--preemptions", "all"], 0.5),  # counts its own turns
    ("spin_wait_mem", ["count"], ["--preemptions", "all"], 0.5),
    ("spin_locks_mem", ["dekker"], ["--preemptions", "1"], 0.25),
    ("spin_locks_mem", ["tas"], ["--preemptions", "1"], 0.25),
    ("spin_locks_mem", ["naive"], ["--preemptions", "2", "--races", "ignore"], 0.25),
    # partial-order reduction on a program built by racelab cc, against
    # native runs (its other cases: tests/soundness/test_reduction_agrees.py)
    ("reduce_mix_mem", ["cond"], ["--preemptions", "all"], 0.25),
    # a thread dies of SIGABRT (an assertion, or its own raise) before the
    # other thread ran: the reduced search reaches that end and the other
    ("abort_first_mem", [], ["--preemptions", "all", "--races", "ignore"], 0.5),
    ("abort_first_mem", ["raise"], ["--preemptions", "all", "--races", "ignore"], 0.5),
]
# Not here: programs racelab refuses (static_threads, no_threads,
# many_threads), one that natively never ends (yield_spin), counter_race
# built plainly (a race between plain accesses: its verdict says racelab
# cannot see it; counter_race_mem, built by racelab cc, is here), and the long
# ones that measure the explorer's cost, whose schedules run to 80,000 and
# 120,000 steps (long_locking, ping_pong: natively they always exit 0).
# the programs explored again four at once: those whose schedules wait on
# time, a pipe, another process or the process's end (where a busy machine
# could change an answer if anything could); the others' schedules are
# pure computation between decisions
CROWDED = {"exec_deadlock.sh", "fork_before", "fork_after", "pipe_reader", "timed_wait",
           "select_reader", "long_output", "exit_race", "main_exits_first"}
HANG_S = 2.0  # a native run this long is hung (timed_wait sleeps 3 s: more)
SLOW = {"timed_wait": 6.0}
CONFIRM_S = 30.0  # a hang racelab cannot produce is confirmed with this long


def hangs(states):
    return "(deadlock)" in states or "(livelock)" in states


def last_line(text):
    lines = [l.rstrip("\r ") for l in text.rstrip("\n\r ").split("\n")]
    return lines[-1] if lines else ""


def native(path, args, jitter, seed, limit):
    env = dict(os.environ, LD_PRELOAD=jitter, RACELAB_JITTER_SEED=str(seed))
    try:
        p = subprocess.run([path] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, timeout=limit,
                           start_new_session=True)
    except subprocess.TimeoutExpired:
        return "(hang)", seed
    tail = last_line(p.stdout.decode(errors="replace"))
    if p.returncode < 0:
        if -p.returncode == signal.SIGABRT:
            return "SIGABRT" + (": " + tail if tail else ""), seed
        return "(error)", seed
    return f"exit {p.returncode}" + (": " + tail if tail else ""), seed


def explore_json(racelab, path, args, search):
    p = subprocess.run([racelab, "explore", "--all", "--json", "--no-minimize",
                        "--max-schedules", "20000"] + search + ["--", path] + args,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 1):
        sys.exit(f"racelab explore -- {path}: exit {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout)


def verdict(d):
    """What must not depend on the machine's load: the verdict, the
    schedules run, and every final state with its count."""
    return (d["verdict"], d["schedules"], d["failed"],
            sorted((s["state"], s["schedules"], s["held"]) for s in d["final_states"]))


def busy_machine(racelab, progs, alone):
    """The CROWDED programs explored four at once (on this two-CPU machine,
    each then gets half a CPU or less) give every verdict, schedule count
    and final state they gave explored one at a time (`alone`). Returns
    the failures."""
    chosen = [(entry, a) for entry, a in zip(CORPUS, alone) if entry[0] in CROWDED]

    def run(entry):
        name, args, search, _ = entry
        path = os.path.join(progs, name)
        if not os.path.exists(path):
            return None
        return verdict(explore_json(racelab, path, args, search))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        crowded = list(pool.map(run, [entry for entry, _ in chosen]))
    failures = 0
    for ((name, *_), a), c in zip(chosen, crowded):
        if a != c:
            print(f"FAIL: {name}: explored alone {a}, four at once {c}")
            failures += 1
    print(f"  {len(chosen)} programs explored four at once: {len(chosen) - failures} the same "
          "as alone")
    return failures


def main(argv):
    seed, runs = int(time.time()) % 100000, 24
    while argv and argv[0].startswith("--"):
        if argv[0] == "--seed":
            seed, argv = int(argv[1]), argv[2:]
        elif argv[0] == "--runs":
            runs, argv = int(argv[1]), argv[2:]
        else:
            sys.exit(__doc__)
    if len(argv) != 3:
        sys.exit(__doc__)
    racelab, progs, jitter = argv
    print(f"soundness: seed {seed}, {runs} native runs per program (fewer for the slow ones)")
    failures = 0
    alone = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for name, args, search, share in CORPUS:
            path = os.path.join(progs, name)
            if not os.path.exists(path):
                print(f"  {name}: not built here (no C++ compiler): skipped")
                alone.append(None)
                continue
            d = explore_json(racelab, path, args, search)
            alone.append(verdict(d))
            states, complete = {s["state"] for s in d["final_states"]}, d["complete"]
            n = max(2, int(runs * share))
            seen = {}
            limit = SLOW.get(name, HANG_S)
            for outcome, s in pool.map(lambda i: native(path, args, jitter, seed * 1000 + i,
                                                        limit), range(n)):
                if outcome == "(hang)" and not hangs(states):
                    # no hang explored: before calling it one, give the same
                    # run (same seed) the time a loaded machine may need
                    outcome, s = native(path, args, jitter, s, CONFIRM_S)
                seen.setdefault(outcome, s)
            missing = []
            for outcome, s in sorted(seen.items()):
                ok = outcome in states or (outcome == "(hang)" and hangs(states))
                if not ok:
                    missing.append((outcome, s))
            print(f"  {name}: {len(states)} state(s) explored{'' if complete else ' (bounded)'}, "
                  f"{len(seen)} seen natively in {n} runs")
            for outcome, s in missing:
                print(f"FAIL: {name}: the native outcome '{outcome}' is not among racelab's "
                      f"states {sorted(states)} (rerun: RACELAB_JITTER_SEED={s} "
                      f"LD_PRELOAD={jitter} {path})")
                failures += 1
    if failures:
        print(f"{failures} native outcome(s) racelab did not reach")
        return 1
    if busy_machine(racelab, progs, alone):
        return 1
    print("every native outcome is among racelab's states")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
