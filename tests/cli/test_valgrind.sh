#!/usr/bin/env bash
# test_valgrind.sh - valgrind's race detectors, helgrind and drd, on the
# billing: nothing reported for any correct strategy (nor for racy, whose
# accesses are all atomic: its bug is a race condition, which they do not
# see), and a data race reported for unsynchronized. racelab's own atomics
# are told to them through client requests (src/platform/annotate.h); the
# suppressions (tests/valgrind.supp) cover only code that is not racelab's.
# Usage: test_valgrind.sh PATH/TO/racelab (a build without a sanitizer)
set -u
RL=${1:?usage: test_valgrind.sh PATH/TO/racelab}
SUPP="$(dirname "$0")/../valgrind.supp"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "FAIL: valgrind is not installed ('make deps' installs Debian's valgrind)"
    exit 1
fi

# the correct strategies, from the command's own list
strategies=$("$RL" bill --help | awk '/^strategies:/ {on = 1; next} on && /^$/ {exit}
                                      on {print $1}' | grep -v -x -e racy -e unsynchronized)
[ -n "$strategies" ] || { echo "FAIL: no strategies listed by bill --help"; exit 1; }

vg() { # TOOL WANT-EXIT STRATEGY [OPTION...]: one billing under the tool
    local tool=$1 want=$2 s=$3
    shift 3
    valgrind --tool="$tool" --error-exitcode=9 --suppressions="$SUPP" \
        "$RL" bill --strategy "$s" --delay 1ms "$@" >"$out" 2>"$err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $tool on $s: exit $got, want $want"
        grep -E 'ERROR SUMMARY|Possible data race|Conflicting|at 0x|by 0x' "$err" | head -20 | sed 's/^/  /'
        failures=$((failures + 1))
    fi
}

for s in $strategies; do
    for tool in helgrind drd; do
        vg "$tool" 0 "$s"
        has "$err" 'ERROR SUMMARY: 0 errors' "$tool: nothing reported for $s"
    done
done
# racy, forced: its balances are wrong every time (exit 1), and no data
# race is reported
for tool in helgrind drd; do
    vg "$tool" 1 racy --lockstep
    has "$err" 'ERROR SUMMARY: 0 errors' "$tool: nothing reported for racy"
    has "$out" '^lost updates +20' "$tool: racy, forced, loses 20 updates"
done
# the data race: both tools see it
vg helgrind 9 unsynchronized
has "$err" 'Possible data race during (read|write) of size 8' "helgrind reports unsynchronized"
has "$err" 'plain_(get|set) \(membank\.c:[0-9]+\)' "helgrind: its source line"
vg drd 9 unsynchronized
has "$err" 'Conflicting (load|store) by thread' "drd reports unsynchronized"

if [ "$failures" -gt 0 ]; then
    echo "$failures valgrind check(s) failed"
    exit 1
fi
echo "all valgrind checks passed ($(echo $strategies | wc -w) correct strategies clean under helgrind and drd)"
