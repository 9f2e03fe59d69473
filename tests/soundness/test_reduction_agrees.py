#!/usr/bin/env python3
"""test_reduction_agrees.py - partial-order reduction on programs loses nothing.

`racelab explore --preemptions all -- PROG` reduces a program built by
racelab cc: one schedule per class of schedules that differ only in the
order of independent steps, judged from what each step touched (memory
words, locks, conditions, threads, the output). For each case below the
reduced search must be complete and reach every final state of an
unreduced search of the same program: the whole of it (--no-reduction)
where that is small, else every schedule within a preemption bound (a
subset of the whole, so the reduced states must include it). And with
races listed (--races list) it must see the same data races: the same
variables, accessed at the same places by the same threads in the same
order (or, against a bounded search, at least those).

Then the same reduced search with data races failing the schedule (the
default), where plain loads and stores are checked but are no steps,
against the same with --every-access (each a step): the same final states,
a data race among them exactly where one is expected.

Usage: test_reduction_agrees.py RACELAB PROGRAMS_DIR
"""
import json
import subprocess
import sys

# program, arguments, the unreduced search to agree with ("all": every
# schedule, so the states are equal; a number: a preemption bound, so the
# reduced states include them; a bound where the whole search is hundreds
# of schedules or more, each one reaching every state), whether a data
# race is there to find
CASES = [
    ("reduce_mix_mem", ["print"], "2", False),
    ("reduce_mix_mem", ["stack"], "all", True),  # main's store races with poke's
    ("reduce_mix_mem", ["cond"], "1", False),
    ("reduce_mix_mem", ["trylock"], "all", False),
    ("reduce_mix_mem", ["deadlock"], "2", False),
    ("reduce_mix_mem", ["spawn"], "1", False),
    ("reduce_mix_mem", ["sem"], "all", False),
    ("reduce_mix_mem", ["rwlock"], "2", False),
    ("reduce_mix_mem", ["timed"], "all", False),
    ("reduce_mix_mem", ["atomic"], "2", False),
    ("counter_race_mem", [], "all", True),
    ("message_flag_mem", [], "all", True),
    ("message_flag_mem", ["acquire"], "all", False),
    ("lazy_init_mem", [], "1", True),
    ("billing_locked_mem", [], "1", False),
    ("overlap_mem", ["whole"], "all", True),  # accesses that share bytes from other starts
    ("overlap_mem", ["apart"], "all", False),
    ("stack_share_mem", [], "all", True),  # main's stack, once a thread used it
    ("spin_wait_mem", ["one"], "all", False),  # spins that wait for a write
    ("spin_wait_mem", ["two"], "2", False),
    ("spin_wait_mem", ["count"], "2", False),
    ("spin_wait_mem", ["yield"], "2", False),  # a flag polled with a yield: held back
    ("seqlock_mem", [], "1", False),
    # main returns while its worker has not run: the exit ends the worker,
    # whose next step races with it (the abort is only after the exit)
    ("exit_race_mem", [], "all", False),
    ("exit_race_mem", ["_exit"], "all", False),
    # the checker dies (an assertion, inside libc) before the setter ran
    ("abort_first_mem", [], "all", True),
    ("abort_first_mem", ["raise"], "all", True),  # a raised SIGABRT kills, reduced too
    # a thread that slept once goes on before main reads (fairness asks
    # nothing of one sleep)
    ("sleep_order_mem", [], "all", False),
    # a sleep in each critical section: every order of each lock's sections
    # (8 states), where a sleep dependent on every step hid the locks' races
    ("billing_locked_mem", ["2", "3", "order"], "3", False),
]
# a thread looping on memory accesses, yields or failed tries is held back by
# fairness in these: the reduced search proves nothing there, and says so
# (not exhaustive), but its states still include the bounded search's
FAIR_HELD = {("spin_wait_mem", ("two",)), ("spin_wait_mem", ("yield",)), ("seqlock_mem", ())}


def explore(racelab, prog, args, search):
    """The result, its final states and the data races it listed (races
    listed fail no schedule: the states are the program's own ends)."""
    cmd = [racelab, "explore", *search, "--all", "--json", "--races", "list", "--", prog, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    # a variable on a stack is named by its address, which differs from one
    # run of racelab to the next: compared as "stack"
    return (d, {s["state"] for s in d["final_states"]},
            {("stack" if r["variable"].startswith("stack ") else r["variable"], r["first"],
              r["second"]) for r in d["data_races"]})


def states_reported(racelab, prog, args, extra):
    """The final states of the reduced search with races reported."""
    cmd = [racelab, "explore", "--preemptions", "all", "--all", "--json", *extra, "--", prog, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    return d, {s["state"] for s in d["final_states"]}


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    racelab, progs = argv[1], argv[2]
    failures = 0
    for name, args, base, racy in CASES:
        prog = f"{progs}/{name}"
        label = " ".join([name, *args])
        reduced, got, rraces = explore(racelab, prog, args, ["--preemptions", "all"])
        unred_search = (["--preemptions", "all", "--no-reduction"] if base == "all"
                        else ["--preemptions", base])
        _, want, uraces = explore(racelab, prog, args, unred_search)
        problems = []
        held = (name, tuple(args)) in FAIR_HELD
        if held and (reduced.get("complete") or not reduced.get("fairness_held_reduced_search")
                     or reduced["verdict"] != "not_exhaustive"):
            problems.append(f"fairness held a thread back: not exhaustive, and said; got "
                            f"{reduced['verdict']}")
        elif not held and (not reduced.get("reduced") or not reduced.get("complete")):
            problems.append(f"the reduced search was not a complete reduced one: {reduced['verdict']}")
        missing = want - got
        if missing:
            problems.append(f"states the reduced search missed: {sorted(missing)}")
        if base == "all" and got - want:
            problems.append(f"states only the reduced search reached: {sorted(got - want)}")
        # data races: the reduced search sees every one the unreduced one sees
        if bool(uraces) != racy:
            problems.append(f"data race expected {racy}, the unreduced search saw {sorted(uraces)}")
        if uraces - rraces:
            problems.append(f"data races the reduced search missed: {sorted(uraces - rraces)}")
        if base == "all" and rraces - uraces:
            problems.append(f"data races only the reduced search saw: {sorted(rraces - uraces)}")
        schedules = reduced["schedules"]
        # plain accesses checked, not steps, against every access a step
        checked, cstates = states_reported(racelab, prog, args, [])
        every, estates = states_reported(racelab, prog, args, ["--every-access"])
        if not checked.get("plain_accesses_checked_only") or every.get("plain_accesses_checked_only"):
            problems.append("plain accesses not checked-only by default, or checked-only "
                            "with --every-access")
        if cstates != estates:
            problems.append(f"plain accesses checked: states {sorted(cstates)}; every access "
                            f"a step: {sorted(estates)}")
        if ("(data race)" in cstates) != racy:
            problems.append(f"data race expected {racy}, plain accesses checked: {sorted(cstates)}")
        if problems:
            failures += 1
            print(f"FAIL {label}:")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"ok   {label}: {len(got)} states and {len(rraces)} data races in "
                  f"{schedules} reduced schedules (unreduced "
                  f"{'all' if base == 'all' else 'within ' + base + ' preemptions'}: "
                  f"{len(want)} states, {len(uraces)} races); races reported: "
                  f"{checked['schedules']} schedules with plain accesses checked, "
                  f"{every['schedules']} with each a step")
    print(f"{len(CASES) - failures} of {len(CASES)} cases agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
