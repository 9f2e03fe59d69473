#!/usr/bin/env python3
"""sctbench.py - racelab on a public suite of small concurrency bugs: the
"concurrent-software-benchmarks" of SCTBench (Thomson, Donaldson and
Betts, "Concurrency testing using controlled schedulers: an empirical
study", TOPC 2016; https://github.com/mc-imperial/sctbench), built from
their sources as they are, once with cc and once with racelab cc.

Each program is explored with the default search (every schedule with
at most 2 preemptions) under a time limit; a _bad or _sat program has a
bug (an assertion that fails in some schedule), an _ok or _unsat one has
none. The instrumented build is explored with data races ignored (the
bug is the assertion; many of these programs race on purpose), where
that finds nothing reduced (--preemptions all), and where that finds
nothing and proves nothing either, by PCT (depth 3, seed 1, up to 10,000 schedules on two
workers: samples, for bugs deeper than two preemptions). A table, then
totals.

Usage: sctbench.py RACELAB DIR [TIME_LIMIT]
  DIR: SCTBench's benchmarks/concurrent-software-benchmarks
  TIME_LIMIT: per search (default 20s)
Not part of `make test`: it needs the suite, which is not in this
repository, and its figures depend on the machine.
"""
import json
import os
import subprocess
import sys
import tempfile

RL, DIR = sys.argv[1], sys.argv[2]
LIMIT = sys.argv[3] if len(sys.argv) > 3 else "20s"


def buggy(name):
    return name.endswith("_bad") or name.endswith("_sat")


def explore(prog, extra):
    """racelab explore's verdict (JSON) on prog, or why it could not say."""
    jobs = [] if "-j" in extra else ["-j", "1"]
    cmd = [RL, "explore", "--time-limit", LIMIT, "--json"] + jobs + extra + ["--", prog]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if p.returncode not in (0, 1):
        return None, "exit %d: %s" % (p.returncode, p.stderr.strip().splitlines()[-1:])
    return json.loads(p.stdout), None


def say(doc, err):
    if doc is None:
        return err
    if doc["failed"]:
        return "FOUND %s (%d sched.)" % (doc["failure"]["kind"], doc["schedules"])
    return "%s (%d sched.)" % (doc["verdict"], doc["schedules"])


def main():
    names = sorted(f[:-2] for f in os.listdir(DIR) if f.endswith(".c"))
    rows, found = [], {"cc": 0, "racelab cc": 0, "either": 0}
    wrong = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            src = os.path.join(DIR, name + ".c")
            plain, mem = os.path.join(tmp, name), os.path.join(tmp, name + "_mem")
            built = subprocess.run(["cc", "-g", "-O0", "-pthread", "-w", "-o", plain, src],
                                   capture_output=True).returncode == 0
            built_mem = subprocess.run([RL, "cc", "-g", "-O0", "-pthread", "-w", "-o", mem, src],
                                       capture_output=True).returncode == 0
            d1, e1 = explore(plain, []) if built else (None, "does not build")
            d2, e2 = explore(mem, ["--races", "ignore"]) if built_mem else (None, "does not build")
            d3, e3, d4, e4 = None, "-", None, "-"
            if d2 is not None and not d2["failed"]:
                d3, e3 = explore(mem, ["--races", "ignore", "--preemptions", "all"])
            if d3 is not None and not d3["failed"] and not d3["complete"]:
                d4, e4 = explore(mem, ["--races", "ignore", "--pct", "--depth", "3", "--seed",
                                       "1", "--iterations", "10000", "-j", "2"])
            f1 = d1 is not None and d1["failed"]
            f2 = any(d is not None and d["failed"] for d in (d2, d3, d4))
            if buggy(name):
                found["cc"] += f1
                found["racelab cc"] += f2
                found["either"] += f1 or f2
            elif f1 or f2:
                wrong.append(name)
            rows.append((name, "bug" if buggy(name) else "ok", say(d1, e1), say(d2, e2),
                         say(d3, e3), say(d4, e4)))
            print("%-22s %-3s | cc: %-34s | racelab cc: %-34s | reduced: %-34s | pct: %s"
                  % rows[-1], flush=True)
    nbuggy = sum(1 for n in names if buggy(n))
    print("\nbugs found, of %d: cc build %d, racelab cc build %d, either %d" % (
        nbuggy, found["cc"], found["racelab cc"], found["either"]))
    print("correct programs said to fail: %s" % (", ".join(wrong) if wrong else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
