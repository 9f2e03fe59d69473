#!/usr/bin/env python3
"""test_made_up_programs.py - racelab on C programs nobody wrote by hand.

Each seed makes a small C program: two or three threads, each a few
operations on shared globals (plain loads and stores, seq_cst atomic adds
and loads, increments under a mutex, a try-lock, a read-write lock, a
semaphore's try-wait, a child thread that stores and is joined; thread 0
may raise flags under the mutex with a condition broadcast, a semaphore
post and an atomic store, which the others may wait for on the condition,
spin for, or poll a few times with a count of their own), and a main that
joins
them and prints what every thread saw and where the globals ended. Each program is
built with `racelab cc`, as a user builds theirs, and then:

- the reduced search (--preemptions all) must be complete and reach every
  final state of the unreduced one (--no-reduction; where that does not
  end within its schedule limit, of the search within one preemption),
  and list the same data races (or, against the bounded search, at least
  those);
- every outcome of native runs of the program, its interleavings varied by
  libjitter.so (yields and sleeps before its synchronization calls), must
  be among the reduced search's final states.

The programs, hence the verdicts, depend on the seeds alone; the native
runs vary with timing, and a sound explorer passes whatever they show. A
native outcome racelab cannot produce is named with the seed of the run
(RACELAB_JITTER_SEED=S PROG reruns it), and the program's source is kept.

Usage: test_made_up_programs.py RACELAB JITTER_SO [SEEDS]
SEEDS: a count N (seeds 0 to N - 1, 12 by default) or a list, 4,9,33
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

NATIVE_RUNS = 24
UNREDUCED_LIMIT = 1000
REDUCED_LIMIT = 50000  # the reduced search must end: a poll's yields make it long


KINDS = ("load", "store", "atomic_add", "atomic_load", "locked", "trylock", "read_locked",
         "write_locked", "sem_trywait", "spawn_store")


def op_lines(t, k, v, kind, own):
    """One operation of thread t: C lines."""
    remember = f"    seen[{t}] = seen[{t}] * 100 + "
    if kind == "load":
        return [f"{remember}g[{v}];"]
    if kind == "store":
        return [f"    g[{v}] = {own};"]
    if kind == "atomic_add":
        return [f"{remember}__atomic_fetch_add(&a[{v}], {own}, __ATOMIC_SEQ_CST);"]
    if kind == "atomic_load":
        return [f"{remember}__atomic_load_n(&a[{v}], __ATOMIC_SEQ_CST);"]
    if kind == "locked":
        return ["    pthread_mutex_lock(&m);", f"    g[{v}] = g[{v}] + 1;",
                "    pthread_mutex_unlock(&m);"]
    if kind == "trylock":  # taken or not: both remembered
        return ["    if (pthread_mutex_trylock(&m) == 0) {", f"        g[{v}] = g[{v}] + 1;",
                "        pthread_mutex_unlock(&m);", f"{remember}1;", "    } else {",
                f"    {remember}2;", "    }"]
    if kind == "read_locked":
        return ["    pthread_rwlock_rdlock(&rw);", f"{remember}g[{v}];",
                "    pthread_rwlock_unlock(&rw);"]
    if kind == "write_locked":
        return ["    pthread_rwlock_wrlock(&rw);", f"    g[{v}] = g[{v}] + {own};",
                "    pthread_rwlock_unlock(&rw);"]
    if kind == "sem_trywait":  # the semaphore thread 0 posts
        return [f"{remember}(sem_trywait(&sem) == 0 ? 1 : 2);"]
    if kind == "spawn_store":  # a thread of its own stores, and is joined
        return ["    {", "        pthread_t child;",
                f"        pthread_create(&child, NULL, store_child, &g[{v}]);",
                "        pthread_join(child, NULL);", "    }"]
    if kind == "post":  # thread 0: raise flag v under the lock, wake the waiters
        return ["    pthread_mutex_lock(&m);", f"    flag[{v}] = 1;",
                "    pthread_cond_broadcast(&c);", "    pthread_mutex_unlock(&m);",
                "    sem_post(&sem);", f"    __atomic_store_n(&ready[{v}], 1, __ATOMIC_SEQ_CST);"]
    if kind == "spin":  # another thread: spin until thread 0 raises ready v
        return [f"    while (!__atomic_load_n(&ready[{v}], __ATOMIC_SEQ_CST))", "        ;",
                f"{remember}__atomic_load_n(&a[{v}], __ATOMIC_SEQ_CST);"]
    if kind == "poll":  # look three times at most, counting the looks in memory
        return ["    {", "        volatile int n = 0;",
                f"        while (!__atomic_load_n(&ready[{v}], __ATOMIC_SEQ_CST) && ++n < 3)",
                "            ;",
                f"    {remember}n * 10 + __atomic_load_n(&ready[{v}], __ATOMIC_SEQ_CST);",
                "    }"]
    if kind == "wait":  # another thread: wait for thread 0 to raise flag v
        return ["    pthread_mutex_lock(&m);", f"    while (!flag[{v}])",
                "        pthread_cond_wait(&c, &m);", f"{remember}g[{v}];",
                "    pthread_mutex_unlock(&m);"]
    raise ValueError(kind)


def source(seed):
    """Seed's program: its C text. Thread 0 may raise flags (and post a
    semaphore) that the others wait for; it never waits itself, so no
    program deadlocks."""
    rng = random.Random(seed)
    waits = random.Random(seed * 7919 + 1)  # how a wait waits: its own draws
    nthreads = rng.choice((2, 3))
    nops = rng.choice((1, 2, 3) if nthreads == 2 else (1, 2))
    posted = []
    body = []
    for t in range(nthreads):
        lines = []
        for k in range(nops):
            v = rng.randrange(3)
            kinds = KINDS + (("post",) if t == 0 else ("wait",) if posted else ())
            kind = rng.choice(kinds)
            if kind == "post":
                posted.append(v)
            if kind == "wait":
                v = rng.choice(posted)
                kind = waits.choice(("wait", "spin", "poll"))
            lines += op_lines(t, k, v, kind, 10 * (t + 1) + k)
        body.append(f"static void *t{t}(void *arg) {{\n" + "\n".join(lines) +
                    "\n    return arg;\n}\n")
    creates = "\n".join(f"    pthread_create(&id[{t}], NULL, t{t}, NULL);"
                        for t in range(nthreads))
    joins = "\n".join(f"    pthread_join(id[{t}], NULL);" for t in range(nthreads))
    seen = " ".join("%ld" for _ in range(nthreads))
    seen_args = ", ".join(f"seen[{t}]" for t in range(nthreads))
    return f"""/* made up from seed {seed} by test_made_up_programs.py */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static long g[3], a[3], flag[3], ready[3], seen[{nthreads}];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;

static void *store_child(void *arg) {{
    *(long *)arg = 7;
    return NULL;
}}

{"".join(body)}
int main(void) {{
    pthread_t id[{nthreads}];
    sem_init(&sem, 0, 0);
{creates}
{joins}
    printf("seen {seen} g %ld %ld %ld a %ld %ld %ld\\n", {seen_args},
           g[0], g[1], g[2], a[0], a[1], a[2]);
    return 0;
}}
"""


def explore(racelab, prog, search, limit=UNREDUCED_LIMIT):
    cmd = [racelab, "explore", *search, "--all", "--json", "--races", "list", "--no-minimize",
           "--max-schedules", str(limit), "--", prog]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                       stdin=subprocess.DEVNULL)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    return (d, {s["state"] for s in d["final_states"]},
            {(r["variable"], r["first"], r["second"]) for r in d["data_races"]})


def native(prog, jitter, seed):
    env = dict(os.environ, LD_PRELOAD=jitter, RACELAB_JITTER_SEED=str(seed))
    try:
        p = subprocess.run([prog], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=env, timeout=20)
    except subprocess.TimeoutExpired:
        return "(hang)"
    lines = p.stdout.rstrip("\n").split("\n")
    if p.returncode < 0:
        return "(error)"
    return f"exit {p.returncode}: {lines[-1]}" if lines[-1] else f"exit {p.returncode}"


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    racelab, jitter = argv[1], argv[2]
    given = argv[3] if len(argv) == 4 else "12"
    seeds = [int(s) for s in given.split(",")] if "," in given else range(int(given))
    failures = 0
    kept = tempfile.mkdtemp(prefix="racelab-made-up-")
    for seed in seeds:
        work = tempfile.mkdtemp(prefix="made-up-")
        src, prog = os.path.join(work, f"made_up_{seed}.c"), os.path.join(work, f"made_up_{seed}")
        with open(src, "w") as f:
            f.write(source(seed))
        problems = []
        built = subprocess.run([racelab, "cc", "-O1", "-g", "-o", prog, src],
                               capture_output=True, text=True, timeout=120)
        if built.returncode != 0:
            problems.append(f"racelab cc failed: {built.stderr.strip()}")
        else:
            reduced, got, rraces = explore(racelab, prog, ["--preemptions", "all"],
                                           REDUCED_LIMIT)
            unred, want, uraces = explore(racelab, prog, ["--preemptions", "all",
                                                          "--no-reduction"])
            whole = unred.get("complete")
            if not whole:  # too many schedules: every one within a preemption
                unred, want, uraces = explore(racelab, prog, ["--preemptions", "1"])
            if not reduced.get("reduced") or not reduced.get("complete"):
                problems.append(f"the reduced search is not complete: {reduced['verdict']}")
            if want - got:
                problems.append(f"states the reduced search missed: {sorted(want - got)}")
            if whole and got - want:
                problems.append(f"states only the reduced search reached: {sorted(got - want)}")
            if uraces - rraces:
                problems.append(f"data races the reduced search missed: {sorted(uraces - rraces)}")
            if whole and rraces - uraces:
                problems.append(f"data races only the reduced search saw: "
                                f"{sorted(rraces - uraces)}")
            native_seen = {}
            for run in range(NATIVE_RUNS):
                s = seed * 1000 + run
                native_seen.setdefault(native(prog, jitter, s), s)
            for outcome, s in sorted(native_seen.items()):
                if outcome not in got:
                    problems.append(f"a native run ended '{outcome}', not among racelab's "
                                    f"states (RACELAB_JITTER_SEED={s} LD_PRELOAD={jitter})")
        if problems:
            failures += 1
            shutil.copy(src, kept)
            for p in problems:
                print(f"FAIL: seed {seed} ({os.path.join(kept, os.path.basename(src))}): {p}")
        else:
            print(f"ok: seed {seed}: {reduced['schedules']} reduced schedules, "
                  f"{unred['schedules']} {'unreduced' if whole else 'within 1 preemption'}, "
                  f"{len(got)} states, {len(rraces)} races, {len(native_seen)} native outcomes")
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"{failures} made-up program(s) failed; their sources are in {kept}")
        return 1
    shutil.rmtree(kept, ignore_errors=True)
    print("all made-up programs agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
