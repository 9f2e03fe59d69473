#!/bin/sh
# The data race beside the race condition, under ThreadSanitizer.
#   scripts/demo-tsan.sh PATH/TO/racelab   (the ThreadSanitizer build)
# Runs the naive billing twice: on plain memory (unsynchronized), where
# ThreadSanitizer reports the data race with its two source lines, and on
# the real bank (racy, forced by --lockstep), where every access is atomic
# and ThreadSanitizer is silent, yet 20 updates are lost.
set -u
RL=${1:?usage: $0 PATH/TO/racelab (built with -fsanitize=thread)}
export TSAN_OPTIONS="exitcode=66 halt_on_error=0 report_signal_unsafe=0"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== 1. racelab bill --strategy unsynchronized: balances in plain memory"
"$RL" bill --strategy unsynchronized --delay 1ms >/dev/null 2>"$log"
rc=$?
# the report's heading and the two accesses' first frames: the source lines
grep -m1 'WARNING: ThreadSanitizer: data race' "$log"
grep -A3 -E '^  (Read|Write|Previous read|Previous write) of size' "$log" | grep -v '^--' | head -8
echo "(exit $rc: ThreadSanitizer's status when it reported; the whole report has $(grep -c '' "$log") lines)"
echo
echo "== 2. racelab bill --strategy racy --lockstep: balances in the real bank (atomic)"
"$RL" bill --strategy racy --lockstep 2>"$log" | grep -E '^lost updates|^verdict'
rc=$?
if grep -q ThreadSanitizer "$log"; then
    echo "ThreadSanitizer reported something: unexpected"
    cat "$log"
    exit 1
fi
echo "ThreadSanitizer: nothing to report"
echo
echo "A data race is two threads touching the same memory at once without"
echo "synchronization, and a tool sees it; a race condition is a wrong result from"
echo "an unlucky order of steps that may each be perfectly synchronized, and no"
echo "race detector sees it: racy has no data race yet loses 20 updates, and only a"
echo "check of the result (or racelab explore) shows it."
