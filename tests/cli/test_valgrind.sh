#!/usr/bin/env bash
# test_valgrind.sh - one of valgrind's race detectors, helgrind or drd, on
# the billing: nothing reported for any correct strategy (nor for racy,
# whose accesses are all atomic: its bug is a race condition, which they do
# not see), and a data race reported for unsynchronized. racelab's own
# atomics are told to them through client requests
# (src/platform/annotate.h); the suppressions (tests/valgrind.supp) cover
# only code that is not racelab's.
# Usage: test_valgrind.sh PATH/TO/racelab helgrind|drd (a build without a
# sanitizer). Each tool is its own CTest test.
# Every correct strategy runs in one process under the tool: 'bench
# makespan' bills the data set concurrently with each strategy in turn, so
# the tool starts three times, not once per strategy.
set -u
RL=${1:?usage: test_valgrind.sh PATH/TO/racelab helgrind|drd}
TOOL=${2:?usage: test_valgrind.sh PATH/TO/racelab helgrind|drd}
SUPP="$(dirname "$0")/../valgrind.supp"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "FAIL: valgrind is not installed ('make deps' installs Debian's valgrind)"
    exit 1
fi
case $TOOL in helgrind|drd) ;; *) echo "FAIL: no tool '$TOOL' (helgrind or drd)"; exit 1 ;; esac

vg() { # WANT-EXIT ARGS...: racelab ARGS under the tool
    local want=$1
    shift
    valgrind --tool="$TOOL" --error-exitcode=9 --suppressions="$SUPP" "$RL" "$@" >"$out" 2>"$err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $TOOL on racelab $*: exit $got, want $want"
        grep -E 'ERROR SUMMARY|Possible data race|Conflicting|at 0x|by 0x' "$err" | head -20 |
            sed 's/^/  /'
        failures=$((failures + 1))
    fi
}

# the correct strategies, from the command's own list
strategies=$("$RL" bill --help | awk '/^strategies:/ {on = 1; next} on && /^$/ {exit}
                                      on {print $1}' | grep -v -x -e racy -e unsynchronized)
[ -n "$strategies" ] || { echo "FAIL: no strategies listed by bill --help"; exit 1; }

# every strategy, concurrently, on the whole data set: nothing reported
vg 0 bench makespan --merchants 5 --customers 5 --delay 1ms
has "$err" 'ERROR SUMMARY: 0 errors' "$TOOL: nothing reported for any strategy"
for s in $strategies; do # each correct strategy ran, and ended right
    has "$out" "^$s +correct " "$TOOL: $s ran concurrently and ended correct"
done
# racy, forced: its balances are wrong every time (exit 1), and no data
# race is reported
vg 1 bill --strategy racy --lockstep --delay 1ms
has "$err" 'ERROR SUMMARY: 0 errors' "$TOOL: nothing reported for racy"
has "$out" '^lost updates +20' "$TOOL: racy, forced, loses 20 updates"
# the data race: the tool sees it
vg 9 bill --strategy unsynchronized --delay 1ms
if [ "$TOOL" = helgrind ]; then
    has "$err" 'Possible data race during (read|write) of size 8' "helgrind reports unsynchronized"
    has "$err" 'plain_(get|set) \((src/bank/)?membank\.c:[0-9]+\)' "helgrind: its source line"
else
    has "$err" 'Conflicting (load|store) by thread' "drd reports unsynchronized"
fi

if [ "$failures" -gt 0 ]; then
    echo "$failures $TOOL check(s) failed"
    exit 1
fi
echo "all $TOOL checks passed ($(echo $strategies | wc -w) correct strategies clean)"
