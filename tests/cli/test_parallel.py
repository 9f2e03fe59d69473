#!/usr/bin/env python3
"""test_parallel.py - racelab explore -j N, --shard K/N and racelab merge.

Determinism: each search run with -j 1, -j 2 and -j 4 says the same: the
same verdict and the same reported failure (schedule, message, minimized
schedule); for a complete search (--all, or no failure) the same final
states with the same counts, schedules and pruned preemptions. Shards: the
same searches split into N parts, run as N processes at once (the plain
shell form of the recipes in docs/parallel.md) and merged by racelab
merge, say what the whole search says. And what cannot be merged or split
is refused with exit 2, an unreadable file with exit 3.

Usage: test_parallel.py PATH/TO/racelab PROGRAMS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

RL, PROGRAMS = sys.argv[1], sys.argv[2]
# "1" in the runs that reverse the coordinator's input, "0" in all others:
# the environment, which a program's stack addresses follow, of one size
os.environ["RACELAB_TEST_TASKS_REVERSED"] = "0"
os.environ.pop("RACELAB_JOBS", None)

# (what, arguments before any -j/--shard, program after -- or None)
SEARCHES = [
    ("racy billing, every state", ["bill:racy", "--preemptions", "2", "--all"], None),
    ("a deadlock, the first failure", ["deadlock:opposite-order", "--preemptions", "2"], None),
    ("close, every state", ["close:check-then-close", "--threads", "3", "--preemptions", "2",
                            "--all"], None),
    ("a proof", ["bill:mutex", "--preemptions", "3"], None),
    ("delay bounding, every state", ["bill:racy", "--merchants", "3", "--customers", "2",
                                     "--delays", "2", "--all"], None),
    ("delay bounding, the first failure", ["close:check-then-close", "--threads", "3",
                                           "--delays", "1"], None),
    ("unreduced, every schedule", ["overdraft:racy", "--preemptions", "all",
                                   "--no-reduction", "--all"], None),
    ("PCT, every state", ["bill:racy", "--merchants", "3", "--pct", "--seed", "5",
                          "--iterations", "300", "--all"], None),
    ("PCT, the first failure", ["close:check-then-close", "--threads", "3", "--pct", "--seed",
                                "2", "--depth", "2", "--iterations", "400"], None),
    ("a program under PCT", ["--pct", "--seed", "1", "--iterations", "40", "--all"],
     ["overdraft"]),
    # its first failure in the 29th schedule: past the 16 every part runs
    ("a program's first failure under PCT, shared out", ["--pct", "--seed", "2", "--depth",
                                                         "3", "--iterations", "100"],
     ["exit_race"]),
    ("a program's failure", ["--preemptions", "2"], ["overdraft"]),
    ("a program, every state", ["--preemptions", "1", "--all", "--races", "ignore"],
     ["counter_race_mem"]),
    ("a program's data races listed", ["--preemptions", "1", "--all", "--races", "list"],
     ["seqlock_mem", "plain"]),
]

# The reduced search (--preemptions all with reduction): one tree, its
# branches run by the workers. Compared as the searches above, at -j 1, 2
# and 4. In shards, its upper nodes are full (every thread explored: no
# shard can learn the races another reverses), so shards say what
# --shard 1/1 says, and that says what the whole search says but for the
# runs abandoned as redundant: the same schedules, one per class.
REDUCED = [
    ("reduced, every state", ["bill:racy", "--merchants", "3", "--customers", "2",
                              "--preemptions", "all", "--all"], None),
    ("reduced, a proof", ["bill:mutex", "--merchants", "3", "--customers", "2",
                          "--preemptions", "all"], None),
    ("reduced, the first failure", ["close:check-then-close", "--threads", "3",
                                    "--preemptions", "all"], None),
    ("reduced, a deadlock", ["deadlock:opposite-order", "--preemptions", "all", "--all"],
     None),
    ("reduced, runs abandoned as redundant", ["processor:unbuffered", "--preemptions", "all",
                                              "--all"], None),
    ("reduced, a spin lock", ["locker:spinlock", "--preemptions", "all", "--all"], None),
    ("a reduced program, every state", ["--preemptions", "all", "--all", "--races", "ignore"],
     ["counter_race_mem"]),
    ("a reduced program's data races listed", ["--preemptions", "all", "--all", "--races",
                                               "list"], ["message_flag_mem"]),
    ("a reduced program's first failure", ["--preemptions", "all"], ["stack_share_mem"]),
    ("a reduced program, trylock", ["--preemptions", "all", "--all"],
     ["reduce_mix_mem", "trylock"]),
    ("a reduced program, timed waits", ["--preemptions", "all", "--all"],
     ["reduce_mix_mem", "timed"]),
]

# fields that are timings, or that say how far a search that stopped at
# its first failure got (each part stops on its own)
TIMING = {"elapsed_ns", "schedules_per_second", "minimize_ns", "failure_order"}
# how the search was run, checked on its own: the processes that ran it
HOW = {"workers", "part"}
PARTIAL = {"schedules", "failing_schedules", "final_states", "pruned_preemptions", "redundant_runs",
           "exhaustive", "complete", "longest_schedule", "stopped_by"}

failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def command(args, program, extra):
    cmd = [RL, "explore"] + args + extra + ["--json"]
    if program:
        cmd += ["--", os.path.join(PROGRAMS, program[0])] + program[1:]
    return cmd


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    if p.returncode not in (0, 1):
        fail("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
        return None, p.returncode
    return json.loads(p.stdout), p.returncode


def comparable(doc):
    """What must not depend on -j or shards."""
    keep = {k: v for k, v in doc.items() if k not in TIMING and k not in HOW}
    if doc.get("failed") and not doc.get("keep_going"):
        keep = {k: v for k, v in keep.items() if k not in PARTIAL}
    if "data_races" in keep:  # each race once, with the runs it was seen in: as a set
        keep["data_races"] = sorted((r["variable"], r["first"], r["second"], r["schedules"])
                                    for r in keep["data_races"])
    for k in ("failure", "minimized"):  # a counterexample: its schedule and words
        if k in keep:
            keep[k] = {x: keep[k][x] for x in ("kind", "message", "schedule", "preemptions")}
    return keep


def differences(a, b):
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def shards_agree(what, args, program, workers, base, rc):
    """The search in three shards run at once (each with `workers`), merged,
    says what the whole search says."""
    with tempfile.TemporaryDirectory() as tmp:
        files, procs = [], []
        for k in (1, 2, 3):
            path = os.path.join(tmp, "part%d.json" % k)
            files.append(path)
            with open(path, "w") as out:
                procs.append(subprocess.Popen(
                    command(args, program, ["--shard", "%d/3" % k] + workers), stdout=out,
                    stderr=subprocess.PIPE, text=True))
        for p in procs:
            p.wait(timeout=240)
            if p.returncode not in (0, 1):
                fail("%s: a shard exits %d: %s" % (what, p.returncode, p.stderr.read()))
        merged = subprocess.run([RL, "merge", "--json"] + list(reversed(files)),
                                capture_output=True, text=True, timeout=60)
        if merged.returncode != rc:
            fail("%s: merge exits %d, the whole search %d: %s" % (
                what, merged.returncode, rc, merged.stderr.strip()))
            return
        doc = json.loads(merged.stdout)
        diff = differences(comparable(base), comparable(doc))
        if doc.get("workers") != 3 * int(workers[1]):
            fail("%s: the merged shards say %s workers, not %d" % (
                what, doc.get("workers"), 3 * int(workers[1])))
        if diff:
            fail("%s: the merged shards%s differ from the whole search in %s" % (
                what, " of 2 workers each" if workers[1] == "2" else "", diff))
        text = subprocess.run([RL, "merge"] + files, capture_output=True, text=True, timeout=60)
        if text.returncode != rc or ("FAILURE found" in text.stdout) != (rc == 1):
            fail("%s: merge's report says otherwise than its exit %d" % (what, rc))


def workers_agree(what, args, program, reversed_too=False):
    """-j 2 and -j 4 say what -j 1 says; the -j 1 result and exit. With
    reversed_too, -j 4 once more with the workers' results given to the
    coordinator last first (RACELAB_TEST_TASKS_REVERSED): its order must
    not depend on theirs."""
    base, rc = run(command(args, program, ["-j", "1"]))
    if base is None:
        return None, rc
    if base.get("workers") != 1:
        fail("%s: -j 1 says %s workers" % (what, base.get("workers")))
    for jobs in ("2", "4") + (("4 reversed",) if reversed_too else ()):
        env = dict(os.environ, RACELAB_TEST_TASKS_REVERSED="1") if "reversed" in jobs else None
        doc, rc2 = run(command(args, program, ["-j", jobs.split()[0]]), env)
        if doc is None:
            continue
        if rc2 != rc:
            fail("%s: -j %s exits %d, -j 1 %d" % (what, jobs, rc2, rc))
        if doc.get("workers") != int(jobs.split()[0]):
            fail("%s: -j %s says %s workers" % (what, jobs, doc.get("workers")))
        diff = differences(comparable(base), comparable(doc))
        if diff:
            fail("%s: -j %s differs from -j 1 in %s: %s against %s" % (
                what, jobs, diff, json.dumps({k: doc.get(k) for k in diff})[:400],
                json.dumps({k: base.get(k) for k in diff})[:400]))
    return base, rc


for what, args, program in REDUCED:
    base, rc = workers_agree(what, args, program, reversed_too=True)
    if base is not None:
        if not base.get("reduced"):
            fail("%s: not a reduced search" % what)
        print("ok: %s (-j 1, 2, 4, 4 reversed agree: %s, %d schedules, %d redundant)" % (
            what, base["verdict"], base["schedules"], base.get("redundant_runs", 0)))
    split, rc1 = run(command(args, program, ["--shard", "1/1", "-j", "1"]))
    if base is None or split is None:
        continue
    diff = differences({k: v for k, v in comparable(base).items() if k != "redundant_runs"},
                       {k: v for k, v in comparable(split).items() if k != "redundant_runs"})
    if rc1 != rc or diff:
        fail("%s: --shard 1/1 exits %d (the whole search %d), differs in %s" % (
            what, rc1, rc, diff))
    for workers in (["-j", "1"], ["-j", "2"]):
        shards_agree(what, args, program, workers, split, rc)
    print("ok: %s (--shard 1/1 says it, %d redundant; 3 shards and 3 shards of 2 workers agree "
          "with it)" % (what, split.get("redundant_runs", 0)))

for what, args, program in SEARCHES:
    base, rc = workers_agree(what, args, program)
    if base is None:
        continue
    # shards: three processes at once, merged; then three shards of two
    # workers each (--shard K/N -j 2: the workers share out the shard's part)
    for workers in (["-j", "1"], ["-j", "2"]):
        shards_agree(what, args, program, workers, base, rc)
    print("ok: %s (-j 1, 2, 4, 3 shards and 3 shards of 2 workers agree: %s)" % (
        what, base["verdict"]))


# without -j: a worker per CPU this process may run on, the same result
CPUS = len(os.sched_getaffinity(0))
for what, args, program in (SEARCHES[0], REDUCED[0]):
    base, rc = run(command(args, program, ["-j", "1"]))
    doc, rc2 = run(command(args, program, []))
    if base is None or doc is None:
        continue
    if doc.get("workers") != CPUS:
        fail("%s without -j: %s workers, %d CPUs" % (what, doc.get("workers"), CPUS))
    diff = differences(comparable(base), comparable(doc))
    if rc2 != rc or diff:
        fail("%s without -j differs from -j 1: exit %d against %d, in %s" % (
            what, rc2, rc, diff))
    if shutil.which("taskset"):  # one CPU allowed: this process alone
        one, _ = run(["taskset", "-c", str(min(os.sched_getaffinity(0)))] +
                     command(args, program, []))
        if one is not None and one.get("workers") != 1:
            fail("%s on one CPU (taskset): %s workers" % (what, one.get("workers")))
print("ok: without -j, %d worker(s), one per CPU (one under taskset), the result of -j 1" % CPUS)
for value, status, workers in (("3", 0, 3), ("1", 0, 1), ("0", 2, None), ("many", 2, None)):
    p = subprocess.run([RL, "explore", "bill:mutex", "--json"], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, RACELAB_JOBS=value))
    said = json.loads(p.stdout).get("workers") if p.returncode == 0 else None
    if p.returncode != status or said != workers or (status and "RACELAB_JOBS" not in p.stderr):
        fail("RACELAB_JOBS=%s: exit %d, %s workers: %s" % (value, p.returncode, said,
                                                          p.stderr.strip()))
p = subprocess.run([RL, "explore", "bill:racy", "--replay", "-", "--json"], capture_output=True,
                   text=True, timeout=60, env=dict(os.environ, RACELAB_JOBS="3"))
if p.returncode not in (0, 1) or json.loads(p.stdout).get("workers") != 1:
    fail("a replay with RACELAB_JOBS=3: exit %d: %s" % (p.returncode, p.stderr.strip()))
print("ok: RACELAB_JOBS sets the default (3, 1; 0 and 'many' refused, exit 2; a replay: 1)")

# A program's workers agree on its layout whatever file descriptors they
# hold: the numbers racelab passes the program in its environment once
# changed its size (9 against 10), and with it, where the sum of the
# environment's sizes crossed a 16-byte line, where its stack lay; the
# reduced search was then refused (exit 3: "laid out differently"), as
# under ctest, which leaves its log open as descriptor 3. Descriptors 3 to
# 3 + k open (k from 0 to 2) and 0 to 15 bytes more of environment cross
# both.
prog = os.path.join(PROGRAMS, "store_buffer_mem")
refused = []
for k in range(3):
    opened = " ".join("%d>/dev/null" % fd for fd in range(3, 4 + k))
    for pad in range(16):
        p = subprocess.run(["bash", "-c", 'exec %s; exec "$@"' % opened, "bash", RL, "explore",
                            "--preemptions", "all", "-j", "2", "--json", "--", prog],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, RACELAB_TEST_PAD="x" * pad))
        if p.returncode != 0:
            refused.append((k, pad, p.returncode, p.stderr.strip()[:160]))
if refused:
    fail("a program's reduced search on 2 workers, refused %d times in 48 (descriptors 3 "
         "to 3 + k open, environment padded): %s" % (len(refused), refused[:3]))
else:
    print("ok: a program's reduced search on 2 workers, with descriptors 3 to 3..5 open and "
          "0 to 15 bytes more of environment: never refused")

# --max-schedules holds for the workers together
for jobs in ("2", "4"):
    doc, _ = run([RL, "explore", "bill:mutex", "--merchants", "3", "--customers", "3",
                  "--preemptions", "3", "--max-schedules", "1000", "-j", jobs, "--json"])
    if doc and (doc["schedules"] != 1000 or doc["stopped_by"] != "schedule_limit"):
        fail("--max-schedules 1000 -j %s: %s schedules, stopped by %s" % (
            jobs, doc["schedules"], doc["stopped_by"]))
print("ok: --max-schedules 1000 with -j 2 and 4: 1000 schedules, stopped by the limit")


def expect(cmd, status, says):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != status or says not in p.stderr:
        fail("%s: exit %d (%s), wanted %d and '%s'" % (
            " ".join(cmd[1:]), p.returncode, p.stderr.strip()[:200], status, says))
    else:
        print("ok: %s: exit %d" % (" ".join(cmd[1:])[:80], status))


with tempfile.TemporaryDirectory() as tmp:
    def part(k, n, extra=()):
        path = os.path.join(tmp, "p%d-%d%s.json" % (k, n, "".join(extra)))
        with open(path, "w") as out:
            subprocess.run([RL, "explore", "bill:racy", "--preemptions", "2", "--all",
                            "--shard", "%d/%d" % (k, n), "--json"] + list(extra),
                           stdout=out, check=False)
        return path
    p1, p2, p3 = part(1, 3), part(2, 3), part(3, 3)
    other = part(3, 3, ("--no-minimize",))
    q = part(2, 3, ("--merchants", "3"))

    def delays_part(k, d):
        path = os.path.join(tmp, "d%d-%d.json" % (k, d))
        with open(path, "w") as out:
            subprocess.run([RL, "explore", "bill:racy", "--delays", str(d), "--all",
                            "--shard", "%d/2" % k, "--json"], stdout=out, check=False)
        return path
    whole = os.path.join(tmp, "whole.json")
    with open(whole, "w") as out:
        subprocess.run([RL, "explore", "bill:racy", "--json"], stdout=out, check=False)
    garbage = os.path.join(tmp, "garbage.json")
    with open(garbage, "w") as out:
        out.write('{"target": "x", "search": ')
    expect([RL, "merge", p1, p2], 2, "part 3 of 3 is missing")
    expect([RL, "merge", p1, p2, p2], 2, "are both part 2 of 3")
    expect([RL, "merge", p1, q, p3], 2, "another search")

    def program_part(k, extra):
        path = os.path.join(tmp, "m%d%s.json" % (k, "".join(extra)))
        with open(path, "w") as out:
            subprocess.run([RL, "explore", "--preemptions", "all", "--shard", "%d/2" % k, "--json",
                            *extra, "--", os.path.join(PROGRAMS, "billing_locked_mem")],
                           stdout=out, check=False)
        return path
    # plain accesses checked, or each a step: other schedules, other searches
    expect([RL, "merge", program_part(1, ()), program_part(2, ("--every-access",))], 2,
           "its --every-access differs")
    expect([RL, "merge", program_part(1, ()), program_part(2, ())], 0, "")
    expect([RL, "merge", delays_part(1, 1), delays_part(2, 2)], 2, "delay bound")
    expect([RL, "merge", delays_part(1, 2), delays_part(2, 2)], 1, "")
    expect([RL, "merge", p1, p2, other], 1, "")  # minimizing is not part of the search
    expect([RL, "merge", whole], 2, "a whole search, not a part")
    expect([RL, "merge", p1, garbage], 2, "a value expected, the text ended")
    expect([RL, "merge", p1, os.path.join(tmp, "none.json")], 3, "cannot read")
    expect([RL, "merge"], 2, "which files?")
    expect([RL, "explore", "bill:racy", "--shard", "1/2"], 2, "add --json")
    expect([RL, "explore", "bill:racy", "--shard", "3/2", "--json"], 2, "K/N")
    expect([RL, "explore", "bill:racy", "--shard", "0/2", "--json"], 2, "K/N")
    expect([RL, "explore", "bill:racy", "--replay", "1:1", "-j", "2"], 2, "not --replay")
    expect([RL, "explore", "bill:racy", "--replay", "1:1", "--shard", "1/2", "--json"], 2,
           "not --replay")
    expect([RL, "explore", "bill:racy", "-j", "0"], 2, "-j")
    expect([RL, "explore", "-j", "3", "--", os.path.join(tmp, "none")], 3, "cannot run")
    said = subprocess.run([RL, "explore", "-j", "3", "--", os.path.join(tmp, "none")],
                          capture_output=True, text=True, timeout=60).stderr
    if said.count("cannot run") != 1:
        fail("a program that cannot start, -j 3: said %d times, not once: %s" % (
            said.count("cannot run"), said.strip()))

# On a terminal: the progress line sums the workers; Ctrl-C (SIGINT to the
# command and its workers, as a terminal sends it) stops every worker, and
# the partial result of all of them is printed, exit 130
if shutil.which("script"):
    with tempfile.NamedTemporaryFile("r") as pty:
        big = ("%s explore bill:mutex --merchants 3 --customers 3 --preemptions 5 -j 2 "
               "--max-schedules 987654321" % RL)
        proc = subprocess.Popen(["script", "-qec", big + "; echo \"rc $?\"", "/dev/null"],
                                stdout=open(pty.name, "w"), stderr=subprocess.STDOUT,
                                env=dict(os.environ, NO_COLOR="1"))
        for _ in range(600):
            if "workers (Ctrl-C" in open(pty.name, errors="replace").read():
                break
            time.sleep(0.1)
        subprocess.run(["pkill", "-INT", "-f", "^%s explore bill:mutex .*--max-schedules "
                        "987654321" % RL])
        proc.wait(timeout=120)
        text = open(pty.name, errors="replace").read()
        for says, what in (("exploring: ", "the progress line"),
                           (", 2 workers (Ctrl-C stops and reports)", "the workers said"),
                           ("not exhaustive: stopped by Ctrl-C", "the partial result"),
                           ("reachable final states, passing", "the states covered"),
                           ("rc 130", "exit 130")):
            if says not in text:
                fail("-j 2 on a terminal, Ctrl-C: %s missing ('%s')" % (what, says))
        print("ok: -j 2 on a terminal: progress, then Ctrl-C stops every worker")

if failures:
    print("%d parallel check(s) failed" % failures)
    sys.exit(1)
print("all parallel checks passed")
