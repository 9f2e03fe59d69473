#!/usr/bin/env bash
# test_cli.sh - the racelab command: exit codes, help, bad usage, JSON and
# colour; bill, demo, scenario, bench makespan and throughput, trace (the
# verbs that run threads). The explorer's verbs are test_cli_explore.sh's.
# Usage: test_cli.sh PATH/TO/racelab
# Every check here is deterministic: timing-dependent runs are only asked
# for outcomes that hold whatever the timing (correct strategies, lockstep).
set -u
RL=${1:?usage: test_cli.sh PATH/TO/racelab}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---- help and version ----
expect 0 "version" -- --version && has "$out" '^racelab [0-9]+\.[0-9]+\.[0-9]+$' "version line"
expect 0 "help" -- --help && has "$out" 'usage: racelab' "help text"
has "$out" '130 stopped by Ctrl-C' "help names every exit status"
expect 0 "help verb" -- help
expect 2 "no verb" --
expect 0 "demo help" -- demo --help && has "$out" 'usage: racelab demo' "demo help"
expect 0 "bill help" -- bill --help && has "$out" 'racy .*lose updates' "bill help lists strategies"
has "$out" 'Exit status' "bill help gives exit codes"

# ---- bad usage: one clear line, exit 2 ----
# (every other bad command line is checked in-process: test_arguments.c,
# command_bad_usage; these go through the binary's own main)
for args in "frobnicate" "bill --strategy nope"; do
    # shellcheck disable=SC2086
    expect 2 "bad usage '$args'" -- $args && one_line "bad usage '$args'"
done
expect 2 "unknown strategy names the choices" -- bill --strategy nope
has "$err" "unknown strategy 'nope' \(one of: racy, mutex, staggered, global, atomic, cas" "strategy choices"
expect 2 "absurd delay" -- bill --strategy racy --delay 1h
has "$err" 'too long: at most 10 s' "delay bound"

# ---- verdicts as exit codes ----
expect 0 "serial racy is correct" -- bill --strategy racy --mode serial --delay 0
has "$out" 'verdict: correct' "serial verdict"
expect 1 "racy under lockstep loses updates" -- bill --strategy racy --lockstep --delay 0
has "$out" 'verdict: WRONG, 5 of 5 balances differ' "racy verdict"
has "$out" '^lost updates +20' "racy lost updates"
for s in mutex staggered global atomic cas; do
    expect 0 "$s under lockstep" -- bill --strategy "$s" --lockstep --delay 0
    expect 0 "$s concurrent" -- bill --strategy "$s" --mode concurrent --delay 1ms
done
expect 1 "cas with no retries refuses bills" -- bill --strategy cas --lockstep --retries 0 --delay 0
has "$out" 'refused bills +20' "refused bills counted"
expect 0 "subset" -- bill --strategy mutex --merchants 2 --customers 1 --delay 0
has "$out" '2 merchants x 1 customer, ' "subset header (one customer)"

# ---- histograms ----
expect 1 "racy histogram under lockstep" -- bill --strategy racy --lockstep --delay 0 --runs 5
has "$out" '^5 runs: 1 distinct final state$' "one state under lockstep"
has "$out" '^ +5 +100\.0% +WRONG +375 +1300 +700 +345 +-1032$' "the forced state"
expect 0 "mutex histogram" -- bill --strategy mutex --delay 0 --runs 5
has "$out" '^ +5 +100\.0% +correct +275 +1700 +-500 +525 +-5032$' "mutex state"

# ---- JSON ----
expect 1 "json single" -- bill --strategy racy --lockstep --delay 0 --json
json_check 'd["strategy"]=="racy" and d["result"]["lost_updates"]==20 and not d["all_expected"] and [c["final"] for c in d["result"]["customers"]]==[375,1300,700,345,-1032]' "json single"
expect 0 "json histogram" -- bill --strategy atomic --delay 0 --runs 3 --json
json_check 'd["runs"]==3 and d["all_expected"] and d["histogram"][0]["count"]==3 and d["histogram"][0]["balances"]["James"]==-5032' "json histogram"
expect 0 "json seed" -- bill --strategy mutex --delay 0 --seed 77 --json
json_check 'd["seed"]==77' "seed echoed"

# ---- demo ----
expect 0 "demo" -- demo --delay 1ms
has "$out" 'serial +racy, concurrent +mutex, concurrent' "demo columns"
has "$out" '^Dave +400 +275 +275 ✓ .* 275 ✓$' "demo serial and mutex right"
has "$out" '^lost updates' "demo lost updates"
has "$out" '^wall time' "demo wall time"

# ---- colour: only on a terminal, never with NO_COLOR ----
expect 0 "no colour when piped" -- bill --strategy mutex --delay 0
if grep -q $'\033' "$out"; then echo "FAIL: escape codes in piped output"; failures=$((failures + 1)); fi
if command -v script >/dev/null 2>&1; then
    script -qec "$RL bill --strategy mutex --delay 0" /dev/null >"$out" 2>&1
    if ! grep -q $'\033\\[32m' "$out"; then echo "FAIL: no colour on a terminal"; failures=$((failures + 1)); fi
    NO_COLOR=1 script -qec "$RL bill --strategy mutex --delay 0" /dev/null >"$out" 2>&1
    # colours are SGR sequences (ESC [ ... m); the progress line's erase is no colour
    if grep -q $'\033\\[[0-9;]*m' "$out"; then
        echo "FAIL: colour despite NO_COLOR"; failures=$((failures + 1)); fi
else
    echo "FAIL: 'script' (util-linux) is missing, cannot check colour on a terminal"
    failures=$((failures + 1))
fi

# ---- scenarios ----
expect 0 "scenario list" -- scenario list
for sc in bill overdraft close idempotent locker trylock processor; do
    has "$out" "^$sc " "scenario $sc listed"
done
expect 0 "scenario list json" -- scenario list --json
json_check 'len(d) == 8 and any(v["name"] == "racy" and not v["correct"] for s in d for v in s["variants"])' "scenario list json"
expect 1 "forced overdraft racy" -- scenario run overdraft --variant racy --force
has "$out" 'INVARIANT BROKEN' "overdraft racy verdict"
expect 0 "forced overdraft mutex" -- scenario run overdraft --variant mutex --force
has "$out" 'invariant held' "overdraft mutex verdict"
expect 1 "forced close, all variants, json" -- scenario run close --force --json
json_check 'not d["all_held"] and [v["held"] for v in d["variants"]] == [False, False, True, True]' "close variants"
expect 1 "histogram of a forced racy variant" -- scenario run idempotent --variant check-then-run --force --runs 3
has "$out" '3 runs, 1 distinct final state, invariant broken in 3' "idempotent histogram"
expect 0 "trylock forced" -- scenario run trylock --variant trylock --force --delay 1ms
has "$out" 'state: success=1 busy=3' "one call through"
expect 2 "variant choices" -- scenario run overdraft --variant nope
has "$err" "one of: racy, mutex, cas, cas-retry" "variant choices"

# ---- benchmarks ----
expect 0 "makespan csv" -- bench makespan --merchants 2 --customers 2 --delay 1ms --csv
has "$out" '^strategy,promises,correct,holds_lock,wall_ns' "makespan csv header"
has "$out" '^serial,1,1,' "serial row correct"
expect 0 "throughput json" -- bench throughput --threads 1,2 --accounts 1000 --seconds 0.01 --json
json_check 'd["accounts"] == 1000 and all(r["correct"] for r in d["rows"] if r["promises_correct"]) and d["best"] is not None' "throughput json"

# ---- trace ----
expect 1 "trace racy forced" -- trace --lockstep --delay 0
has "$out" 'LOST UPDATE: replaced' "trace lost updates"
svg=$(mktemp --suffix .svg)
expect 0 "trace mutex svg" -- trace --strategy mutex --lockstep --delay 0 --svg "$svg"
grep -q '</svg>' "$svg" || { echo "FAIL: no svg written"; failures=$((failures + 1)); }
rm -f "$svg"

if [ "$failures" -gt 0 ]; then
    echo "$failures CLI check(s) failed"
    exit 1
fi
echo "all CLI checks passed"
