#!/usr/bin/env bash
# test_lesson.sh - the data race beside the race condition.
# Usage: test_lesson.sh PATH/TO/racelab SANITIZER   ("", thread or address)
# In every build: the unsynchronized strategy (plain memory) leaves the
# forced table's balances (one bill of each customer), is refused on a database, and is listed with
# its warning. In the ThreadSanitizer build: ThreadSanitizer reports its
# data race with the source lines of both accesses, and says nothing of
# racy, whose every access is atomic, though it loses the same 20 updates.
# (The report needs no lucky timing: the merchants' accesses to a customer
# are ordered by nothing, so every run has the race, lost update or not.)
set -u
RL=${1:?usage: test_lesson.sh PATH/TO/racelab SANITIZER}
SAN=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
export TSAN_OPTIONS="exitcode=66 halt_on_error=0 report_signal_unsafe=0"

expect 0 "bill help" -- bill --help
has "$out" '^  unsynchronized +racy on plain memory: a data race too' "unsynchronized listed"
expect 2 "unsynchronized on a database" -- bill --strategy unsynchronized --bank sqlite:/tmp/racelab-lesson-never.db
has "$err" 'in memory only' "refused on a database, with the reason"
expect 0 "not in the benchmarks" -- bench makespan --merchants 2 --customers 2 --delay 1ms --csv
if grep -q unsynchronized "$out"; then
    echo "FAIL: bench makespan ran the unsynchronized strategy"; failures=$((failures + 1)); fi

if [ "$SAN" = thread ]; then
    # its data race, reported with both source lines
    expect 66 "ThreadSanitizer on unsynchronized" -- bill --strategy unsynchronized --delay 0
    has "$err" 'WARNING: ThreadSanitizer: data race' "the data race reported"
    has "$err" 'plain_(get|set) .*/src/bank/membank\.c:[0-9]+' "the plain access's source line"
    has "$err" 'rl_bill_read_wait_write .*/src/billing/strategy\.c:[0-9]+' "the billing's source line"
    # on one processor the merchants run one after another: no bookkeeping
    # of racelab's may order them (a detector sees only what orders them)
    if command -v taskset >/dev/null 2>&1; then
        taskset -c 0 "$RL" bill --strategy unsynchronized --delay 0 >"$out" 2>"$err"
        rc=$?
        if [ "$rc" != 66 ]; then
            echo "FAIL: ThreadSanitizer on one processor: exit $rc, want 66"
            failures=$((failures + 1))
        fi
        has "$err" 'WARNING: ThreadSanitizer: data race' "the data race on one processor"
    fi
    # racy: no data race, yet the race condition loses every update it can
    expect 1 "ThreadSanitizer on racy, forced" -- bill --strategy racy --lockstep
    has "$out" '^lost updates +20' "racy loses 20 updates"
    if grep -q ThreadSanitizer "$err"; then
        echo "FAIL: ThreadSanitizer reported racy, whose accesses are atomic:"
        sed 's/^/  /' "$err" | head -20
        failures=$((failures + 1))
    fi
else
    # no detector here: the same balances as racy, forced (one bill each).
    # The count of lost updates is kept in the same plain memory, so two
    # writes of a customer at once may be counted as one: 1 to 20, not 20.
    expect 1 "unsynchronized, forced" -- bill --strategy unsynchronized --lockstep
    for row in 'Dave +400 +275 +375 ' 'Susan +1200 +1700 +1300 ' 'Mike +1000 +-500 +700 ' \
               'Steve +300 +525 +345 ' 'James +-32 +-5032 +-1032 '; do
        has "$out" "^$row" "unsynchronized keeps one bill of each customer (${row%% *})"
    done
    has "$out" '^lost updates +([1-9]|1[0-9]|20) ' "unsynchronized counts lost updates"
fi

if [ "$failures" -gt 0 ]; then
    echo "$failures lesson check(s) failed"
    exit 1
fi
echo "all lesson checks passed"
