#!/usr/bin/env bash
# test_cli.sh - the racelab command: exit codes, help, bad usage, JSON and
# colour. Usage: test_cli.sh PATH/TO/racelab
# Every check here is deterministic: timing-dependent runs are only asked
# for outcomes that hold whatever the timing (correct strategies, lockstep).
set -u
RL=${1:?usage: test_cli.sh PATH/TO/racelab}
failures=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect CODE DESCRIPTION -- ARGS...: run racelab ARGS, check the exit code
expect() {
    local want=$1 what=$2
    shift 3
    "$RL" "$@" >"$out" 2>"$err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $what: racelab $*: exit $got, want $want"
        sed 's/^/  stdout: /' "$out" | head -20
        sed 's/^/  stderr: /' "$err" | head -20
        failures=$((failures + 1))
        return 1
    fi
    return 0
}

# has FILE PATTERN DESCRIPTION: the file matches the extended regex
has() {
    if ! grep -Eq -- "$2" "$1"; then
        echo "FAIL: $3: no match for /$2/ in:"
        sed 's/^/  /' "$1" | head -30
        failures=$((failures + 1))
    fi
}

# one_line: a usage error is one line on stderr, nothing on stdout
one_line() {
    local n
    n=$(wc -l <"$err")
    if [ "$n" != 1 ] || [ -s "$out" ]; then
        echo "FAIL: $1: want exactly one line on stderr and no stdout, got:"
        sed 's/^/  stderr: /' "$err"
        failures=$((failures + 1))
    fi
}

# json_check PYTHON-EXPRESSION DESCRIPTION: stdout parses and d satisfies it
json_check() {
    if ! python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$out"; then
        echo "FAIL: $2: JSON check failed: $1"
        head -40 "$out" | sed 's/^/  /'
        failures=$((failures + 1))
    fi
}

# ---- help and version ----
expect 0 "version" -- --version && has "$out" '^racelab [0-9]+\.[0-9]+\.[0-9]+$' "version line"
expect 0 "help" -- --help && has "$out" 'usage: racelab' "help text"
expect 0 "help verb" -- help
expect 2 "no verb" --
expect 0 "demo help" -- demo --help && has "$out" 'usage: racelab demo' "demo help"
expect 0 "bill help" -- bill --help && has "$out" 'racy .*lose updates' "bill help lists strategies"
has "$out" 'Exit status' "bill help gives exit codes"

# ---- bad usage: one clear line, exit 2 ----
for args in "frobnicate" "--frob" "bill" "bill --strategy nope" "bill --strategy racy --mode sideways" \
    "bill --strategy racy --delay -5ms" "bill --strategy racy --delay 1h" \
    "bill --strategy racy --delay 5parsecs" "bill --strategy racy --delay abc" \
    "bill --strategy racy --runs 0" "bill --strategy racy --runs x" "bill --strategy racy --jitter 101" \
    "bill --strategy racy --retries -1" "bill --strategy racy --merchants 9" \
    "bill --strategy racy --mode serial --lockstep" "bill --strategy racy stray" \
    "bill --strategy" "demo --delay 99s" "demo --bogus"; do
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
has "$out" '2 merchants x 1 customers' "subset header"

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
    if grep -q $'\033' "$out"; then echo "FAIL: colour despite NO_COLOR"; failures=$((failures + 1)); fi
else
    echo "FAIL: 'script' (util-linux) is missing, cannot check colour on a terminal"
    failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
    echo "$failures CLI check(s) failed"
    exit 1
fi
echo "all CLI checks passed"
