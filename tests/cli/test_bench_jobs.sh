#!/usr/bin/env bash
# test_bench_jobs.sh - racelab bench explore --jobs: a row for -j 1 and for
# -j 2 at least, the same schedules in each (one whole search), a ratio, the
# goal said (timings: only their form is checked).
# Usage: test_bench_jobs.sh PATH/TO/racelab
set -u
RL=${1:?usage: test_bench_jobs.sh PATH/TO/racelab}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

expect 0 "bench explore --jobs" -- bench explore --jobs
has "$out" '^  bill:mutex 3 x 3, bound 3 +-j 1 +[0-9]+ schedules/s \(75468 in [0-9.]+ s\)  x1\.00$' \
    "-j 1, the whole search"
has "$out" '^ +-j 2 +[0-9]+ schedules/s \(75468 in [0-9.]+ s\)  x[0-9]+\.[0-9]{2}$' \
    "-j 2, the same schedules"
has "$out" '^  bill:mutex 3 x 3, PCT 100000, depth 3 +-j 1 +[0-9]+ schedules/s \(100000 in [0-9.]+ s\)  x1\.00$' \
    "PCT, -j 1"
has "$out" '^  goal \(x1\.8 at -j 2 for each case\): (met|not met) \(worst x[0-9.]+\)$' "the goal said"
has "$out" '^  bill:mutex 4 x 2, reduced proof +-j 1 +[0-9]+ schedules/s \(69120 in [0-9.]+ s\)  x1\.00$' \
    "the reduced proof, -j 1"
has "$out" '^ +-j 2 +[0-9]+ schedules/s \(69120 in [0-9.]+ s\)  x[0-9]+\.[0-9]{2}$' \
    "the reduced proof, -j 2: the same schedules"
expect 2 "--jobs and --memory" -- bench explore --jobs --memory
if [ "$failures" -gt 0 ]; then
    echo "$failures bench jobs check(s) failed"
    exit 1
fi
echo "all bench jobs checks passed"
