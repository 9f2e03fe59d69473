#!/usr/bin/env bash
# test_bench_memory.sh - racelab bench explore --memory: it builds its
# program both ways, explores both and prints every figure (their values
# are timings: only their form is checked, a negative difference included,
# which a loaded machine can give). Usage: test_bench_memory.sh PATH/TO/racelab
set -u
RL=${1:?usage: test_bench_memory.sh PATH/TO/racelab}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

expect 0 "bench explore --memory" -- bench explore --memory --seconds 0.05 --csv
has "$out" '^memory_accesses_per_schedule,1000[0-9][0-9],1$' "100,000 accesses a schedule"
has "$out" '^memory_every_access_steps_per_schedule,1000[0-9][0-9],1$' "each a step with --every-access"
has "$out" '^memory_steps_per_schedule,[0-9],1$' "by default loads are checked, not steps"
has "$out" '^memory_unseen_steps_per_schedule,[0-9],1$' "cc's build: a few steps"
has "$out" '^memory_schedules_per_second,[0-9]+,1/s$' "racelab cc's build explored"
has "$out" '^memory_every_access_schedules_per_second,[0-9]+,1/s$' "and with every access a step"
has "$out" '^memory_checked_access,-?[0-9.]+,ns$' "the cost of a checked access"
has "$out" '^memory_scheduled_access,-?[0-9.]+,ns$' "the cost of a scheduled access"
has "$out" '^memory_native_access,-?[0-9.]+,ns$' "the native cost of an access"
expect 0 "bench explore --memory, text" -- bench explore --memory --seconds 0.05
has "$out" '^  an access: ' "the cost said"
has "$out" '^  goal \(200 schedules/s at [0-9]+ accesses a schedule\): (met|not met); with every access a step: (met|not met)$' \
    "the goal said"
expect 2 "bench explore --memory with a program" -- bench explore --memory -- /bin/true
if [ "$failures" -gt 0 ]; then
    echo "$failures bench memory check(s) failed"
    exit 1
fi
echo "all bench memory checks passed"
