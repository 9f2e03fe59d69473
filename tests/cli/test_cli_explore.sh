#!/usr/bin/env bash
# test_cli_explore.sh - racelab explore on its own targets and on a user's
# program, its time budget and Ctrl-C, bench explore and trace --replay:
# exit codes, verdicts, JSON. Usage: test_cli_explore.sh PATH/TO/racelab
# Every check here is deterministic: timing-dependent runs are only asked
# for outcomes that hold whatever the timing (correct strategies, lockstep).
set -u
RL=${1:?usage: test_cli_explore.sh PATH/TO/racelab}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---- explorer ----
expect 0 "explore list" -- explore --list
has "$out" 'bill:racy' "targets listed"
has "$out" 'deadlock:opposite-order' "deadlock target listed"
expect 2 "a size the target does not use" -- explore bill:racy --threads 3
has "$err" "bill:racy does not use --threads \(it takes --merchants, --customers, --retries, --delay\)" \
    "the size it would ignore is named, with those it takes"
expect 1 "explore racy 2x1" -- explore bill:racy --merchants 2 --customers 1
has "$out" 'LOST UPDATE: replaced the write of step' "lost update marked"
has "$out" '^schedule: [0-9]+:[0-9]+$' "schedule printed"
schedule=$(sed -n 's/^schedule: //p' "$out" | head -1)
expect 1 "replay" -- explore bill:racy --merchants 2 --customers 1 --replay "$schedule"
has "$out" 'final state: Dave=375' "replay reaches the same state"
expect 0 "explore mutex proof" -- explore bill:mutex
has "$out" 'proved within 2 preemptions' "mutex proof"
expect 0 "complete proof" -- explore deadlock:same-order --preemptions 10
has "$out" 'proved: complete, every schedule of this case was explored' "complete"
expect 1 "deadlock found" -- explore deadlock:opposite-order
has "$out" 'deadlock: .*waits for lock' "deadlock explained"
expect 1 "explore json" -- explore overdraft:racy --json
json_check 'd["failed"] and d["failure"]["kind"] == "invariant broken" and any(s.get("lost_update") for s in d["minimized"]["trace"])' "explore json"
expect 1 "pct a" -- explore bill:racy --pct --seed 3 --iterations 50 --all --json
cp "$out" "$out.pct"
expect 1 "pct b" -- explore bill:racy --pct --seed 3 --iterations 50 --all --json
if ! "$PY" -c "
import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
sys.exit(0 if a['final_states']==b['final_states'] and a['failure']['schedule']==b['failure']['schedule'] else 1)" "$out.pct" "$out"; then
    echo "FAIL: PCT with the same seed gave different results"; failures=$((failures + 1))
fi
rm -f "$out.pct"
# the three searches: every schedule (reduced), many threads (delays)
expect 0 "a proof by partial-order reduction" -- explore bill:mutex --merchants 3 --customers 3 --preemptions all
has "$out" 'one per class of schedules' "reduced search named"
has "$out" 'complete, every schedule of this case was explored' "reduced proof complete"
expect 0 "unreduced, capped" -- explore bill:mutex --preemptions all --no-reduction --max-schedules 500
has "$out" 'each order of independent steps too \(unreduced\)' "unreduced search named"
has "$out" 'no failure found, not exhaustive: stopped at the schedule limit \(500\)' \
    "a capped search is not a proof"
json_explore() { # the verdict fields of the last --json
    "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["verdict"], d["stopped_by"])' "$out"
}
expect 0 "capped, json" -- explore bill:mutex --preemptions all --no-reduction --max-schedules 500 --json
[ "$(json_explore)" = "not_exhaustive schedule_limit" ] || {
    echo "FAIL: capped search json: $(json_explore)"; failures=$((failures + 1)); }
expect 0 "proof json" -- explore bill:mutex --preemptions all --json
[ "$(json_explore)" = "proved_complete None" ] || {
    echo "FAIL: proof json: $(json_explore)"; failures=$((failures + 1)); }
expect 0 "pct json" -- explore bill:mutex --pct --iterations 20 --json
[ "$(json_explore)" = "not_exhaustive None" ] || {
    echo "FAIL: pct json: $(json_explore)"; failures=$((failures + 1)); }

# ---- a time budget: --time-limit, and Ctrl-C ----
# a search far longer than its budget stops cleanly and says so
BIG="explore bill:processor --merchants 3 --customers 2 --preemptions all --no-reduction"
expect 0 "time limit" -- $BIG --time-limit 200ms --json
[ "$(json_explore)" = "not_exhaustive time_limit" ] || {
    echo "FAIL: time limit json: $(json_explore)"; failures=$((failures + 1)); }
# stopped between schedules, each a few microseconds (the whole search
# takes minutes): within seconds of the limit even on a loaded machine
# under a sanitizer
json_check 'd["elapsed_ns"] < 5000000000 and d["schedules"] > 0' "time limit kept"
expect 0 "time limit, text" -- $BIG --time-limit 200ms
has "$out" 'no failure found, not exhaustive: stopped at the time limit \(0.2 s\)' "time limit said"
# a failure found before the limit is still reported: the first failure
# comes after 13 schedules (under 0.1 s in the address build), the whole
# search takes minutes
expect 1 "time limit on a failing target" -- explore bill:racy --merchants 3 --customers 3 \
    --preemptions all --no-reduction --all --time-limit 2s
has "$out" 'FAILURE found \(search stopped at the time limit' "failure before the limit"
has "$out" '^replay: ' "its replay command"
expect 2 "time limit on a replay" -- explore bill:racy --replay - --time-limit 1s && one_line "replay limit"
expect 2 "zero time limit" -- explore bill:racy --time-limit 0 && one_line "zero limit"
# progress: a line on a terminal, erased; never in piped or --json output
if command -v script >/dev/null 2>&1; then
    NO_COLOR=1 script -qec "$RL $BIG --time-limit 500ms" /dev/null >"$out" 2>&1
    has "$out" 'exploring: [0-9]+ schedules, [0-9]+/s, 0 failing' "progress on a terminal"
    has "$out" 'no failure found, not exhaustive: stopped at the time limit' "the result after it"
    script -qec "$RL $BIG --time-limit 500ms --json" /dev/null >"$out" 2>&1
    if grep -q 'exploring:' "$out"; then
        echo "FAIL: a progress line in --json output on a terminal"; failures=$((failures + 1)); fi
    # Ctrl-C: once the search runs (its progress line is out), SIGINT stops
    # it; the partial result, the failure found and its replay are printed
    pty=$(mktemp)
    NO_COLOR=1 script -qec "$RL explore bill:racy --merchants 3 --customers 3 --preemptions all \
        --no-reduction --all --max-schedules 987654321; echo \"rc \$?\"" /dev/null >"$pty" 2>&1 &
    spid=$!
    for _ in $(seq 600); do
        grep -q 'exploring:' "$pty" && break
        sleep 0.1
    done
    pkill -INT -f -- "^$RL explore bill:racy .*--max-schedules 987654321"
    wait $spid
    has "$pty" 'FAILURE found \(search stopped by Ctrl-C\)' "Ctrl-C: the partial result"
    has "$pty" '^replay: ' "Ctrl-C: the replay command"
    has "$pty" 'reachable final states' "Ctrl-C: the states covered"
    has "$pty" '^rc 130' "Ctrl-C: exit 130"
    rm -f "$pty"
fi
# the other long verbs: runs and benchmark rows on a terminal, never piped
if command -v script >/dev/null 2>&1; then
    NO_COLOR=1 script -qec "$RL bill --strategy mutex --delay 1ms" /dev/null >"$out" 2>&1
    # the merchants' threads print by turns: which counts show is theirs to say
    has "$out" 'billing: [0-9]+ of 25 bills done, [0-9]+ applied' "bill: bills done on a terminal"
    NO_COLOR=1 script -qec "$RL bill --strategy racy --runs 3 --delay 1ms" /dev/null >"$out" 2>&1
    has "$out" 'run 1 of 3, 0 wrong so far' "bill --runs: progress on a terminal"
    NO_COLOR=1 script -qec "$RL scenario run overdraft --variant racy --runs 3" /dev/null >"$out" 2>&1
    has "$out" 'overdraft/racy: run 1 of 3' "scenario --runs: progress on a terminal"
    NO_COLOR=1 script -qec "$RL bench makespan --merchants 2 --customers 2 --delay 1ms" /dev/null \
        >"$out" 2>&1
    has "$out" 'measuring serial \(row 1 of [0-9]+\)' "bench: the row being measured"
    NO_COLOR=1 script -qec "$RL bench makespan --merchants 2 --customers 2 --delay 1ms --csv" \
        /dev/null >"$out" 2>&1
    if grep -q 'measuring' "$out"; then
        echo "FAIL: a progress line in --csv output"; failures=$((failures + 1)); fi
fi
expect 1 "bill --runs, piped" -- bill --strategy racy --runs 3 --lockstep
if grep -q 'run 1 of 3' "$out" || grep -q $'\r' "$out"; then
    echo "FAIL: a progress line in piped bill output"; failures=$((failures + 1)); fi
expect 0 "time limit, piped" -- $BIG --time-limit 300ms
if grep -q 'exploring:' "$out" || grep -q $'\r' "$out"; then
    echo "FAIL: a progress line in piped output"; failures=$((failures + 1)); fi
expect 0 "bounded says unreduced" -- explore bill:mutex
has "$out" 'unreduced: partial-order reduction needs --preemptions all' "bounded search says it is unreduced"
expect 1 "delays among 20 threads" -- explore startup:unordered --threads 20 --delays 1 --json
json_check 'd["search"] == "delays" and d["delay_bound"] == 1 and d["failed"] and d["schedules"] <= 1000' "delays json"
expect 3 "more threads than the explorer supports" -- explore startup:unordered --threads 70 --delays 1
has "$err" 'at most 64 threads' "too many threads said"
expect 1 "all, counted" -- explore bill:racy --preemptions all --all --json
json_check 'd["failing_schedules"] == sum(s["schedules"] for s in d["final_states"] if not s["held"]) and d["reduced"]' "failing schedules counted"
expect 1 "all, split" -- explore bill:racy --preemptions all --all
has "$out" 'reachable final states, passing' "passing states apart"
has "$out" 'reachable final states, FAILING' "failing states apart"
expect 1 "deadlock trace" -- explore deadlock:opposite-order
has "$out" '-  transfer \(1\) +lock +audit .*stuck here' "deadlock trace ends at the blocked lock"
expect 2 "replay past the end" -- explore bill:racy --replay 999999:7
has "$err" 'step 999999' "replay past the end named"
expect 0 "a big stack" -- explore bill:mutex --stack-size 16M
expect 1 "a stack overflow is a failure" -- explore stack:deep --stack-size 256K
has "$out" 'deep overflowed its stack of 256 KiB' "the overflowing thread named"
# (bad command lines: test_arguments.c, command_bad_usage)

# ---- bench explore: the explorer's own figures ----
expect 0 "bench explore, proofs capped" -- bench explore --csv --proof-cap 6000 --seconds 0.1 \
    -- "$(dirname "$RL")/programs/two_locks"
has "$out" '^mutex_3x3_reduced_schedules,5184,1$' "bill:mutex 3x3 proved with reduction"
has "$out" '^program_schedules_per_second,[1-9][0-9]*,1/s$' "a program's rate"
has "$out" '^fork_floor_schedules_per_second,[1-9][0-9]*,1/s$' "beside the machine's floor for it"
has "$out" '^mutex_3x3_unreduced_schedules,6000,lower bound$' "unreduced stops at the cap"
has "$out" '^startup_20_delays1_schedules,[0-9]+,1$' "delays find the late thread among 20"

# ---- trace --replay: a schedule the explorer found, drawn ----
svg=$(mktemp --suffix .svg)
expect 1 "trace replay svg" -- trace --replay "$schedule" --merchants 2 --customers 1 --svg "$svg"
grep -q '<g class="arrow">' "$svg" || { echo "FAIL: replayed lost update not drawn"; failures=$((failures + 1)); }
rm -f "$svg"

# ---- explore -- PROGRAM: a user's own program ----
PROGS="$(dirname "$RL")/programs"
expect 2 "explore with nothing after --" -- explore -- && one_line "nothing after --"
expect 2 "case options with a program" -- explore --merchants 2 -- "$PROGS/deadlock"
one_line "case options with a program"
expect 2 "program options without a program" -- explore bill:racy --schedule-timeout 1s
expect 2 "a target and a program" -- explore bill:racy -- "$PROGS/deadlock"
expect 3 "a program that is not there" -- explore -- /nonexistent/program
has "$err" "no such executable file" "a missing program is named"
expect 3 "too many threads" -- explore -- "$PROGS/many_threads"
has "$err" "at most 64" "the thread limit is named"
expect 1 "explore the deadlock" -- explore -- "$PROGS/deadlock"
has "$out" 'deadlock: main waits to join T1; T1 waits for lock lock_b held by T2' "who waits for what"
has "$out" 'replay: +racelab explore --replay [0-9:,]+ -- .*/deadlock$' "the replay command puts --replay before --"
expect 1 "explore the deadlock, JSON" -- explore --json -- "$PROGS/deadlock"
json_check 'd["failed"] and d["minimized"]["kind"] == "deadlock" and any("deadlock.c:" in s.get("source", "") for s in d["minimized"]["trace"])' \
    "the JSON trace has source lines"
expect 1 "replay the deadlock" -- explore --replay 5:2 -- "$PROGS/deadlock"
has "$out" 'held by T1' "the replay reproduces it"
expect 2 "a replay that does not fit" -- explore --replay 1:9 -- "$PROGS/deadlock"
has "$err" 'thread 9 cannot go' "the first choice that cannot be followed is named"
# (its proof within 2 preemptions, and the bounded queue's, are
# tests/test_programs.c's; 1 is enough for the command's report of it)
expect 0 "a correct program" -- explore --all --preemptions 1 -- "$PROGS/billing_locked"
has "$out" 'held +exit 0: balances 475 1275$' "its one final state"
has "$out" 'proved within 1 preemption over its synchronization calls; plain memory not scheduled' \
    "its verdict says what the proof does not cover, on the verdict line"
expect 0 "a correct program, JSON" -- explore --json --preemptions 1 -- "$PROGS/billing_locked"
json_check 'd["verdict"] == "proved_within_bound" and not d["memory_accesses_scheduled"] and "plain memory not scheduled" in d["coverage"]' \
    "the JSON says so too"
expect 3 "a program with no thread: no verdict" -- explore -- "$PROGS/no_threads"
has "$err" "ended without creating a thread.*no verdict.*exited with status 0" "why, and how it ended"
expect 3 "a statically linked program: no verdict" -- explore -- "$PROGS/static_threads"
has "$err" "is statically linked" "why"
# a livelock's long trace: the spinner named, and addr2line run once per
# source line, not once per step (a counting wrapper around the real one)
shim=$(mktemp -d)
real_addr2line=$(command -v addr2line)
printf '#!/bin/sh\necho run >>"%s/count"\nexec "%s" "$@"\n' "$shim" "$real_addr2line" >"$shim/addr2line"
chmod +x "$shim/addr2line"
PATH="$shim:$PATH" expect 1 "a livelock of 2,000 steps" -- explore --no-minimize --max-steps 2000 -- "$PROGS/yield_spin"
has "$out" 'did not end within 2000 steps \(yielding over and over: T1\)' "the spinner is named"
has "$out" '^ +2000 +T1 spin \(1\) +yield +yield_spin.c:12 in spin$' "every step keeps its line"
runs=$(wc -l <"$shim/count")
[ "$runs" -le 20 ] || { echo "FAIL: addr2line ran $runs times for a 2,000-step trace"; failures=$((failures + 1)); }
rm -rf "$shim"
# a long schedule's preemptions share one copy of its choices: 80,000
# steps, a preemption left at nearly every one (one copy each took 980 MB
# for three schedules; memory, not time, so the check cannot be flaky)
rss=$("$PY" -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
    "$RL" explore --max-steps 100000 --max-schedules 3 -- "$PROGS/long_locking")
if [ "${rss%% *}" != 0 ] || [ "${rss#* }" -gt 300000 ]; then
    echo "FAIL: three schedules of 80,000 steps: exit and max RSS (KiB) $rss, want 0 and under 300 MB"
    failures=$((failures + 1))
fi
# the schedule's wall-clock limit counts time without a step: 1,200
# steps, one every 2 ms or so, at least 1.2 s in all on any machine, pass
# under a 1 s limit (they were a livelock)
expect 0 "a long schedule that keeps stepping" -- explore --replay - --schedule-timeout 1s \
    -- "$PROGS/ping_pong"
has "$out" 'held +exit 0' "it ends as natively"
# --time-limit holds inside a schedule: 3,000 turns take at least 6 s of
# real time, so no schedule ends within a 300 ms search; it used to wait
# for the first to end and count it
expect 0 "a search's time limit inside one long schedule" -- explore --time-limit 300ms \
    -- "$PROGS/ping_pong" 3000
has "$out" '^0 schedules in' "the schedule under way at the limit cut, not counted"
has "$out" 'stopped at the time limit' "stopped by the limit"
# C++ threads (-O2): named after the user's function, each lock at the
# user's line, not libstdc++'s symbol and its inlined wrapper's header
if [ -x "$PROGS/cxx_threads" ]; then
    expect 1 "C++ std::thread" -- explore -- "$PROGS/cxx_threads"
    has "$out" '^ +4 +T1 bill \(1\) +lock +account_lock +cxx_threads.cc:17 in bill$' \
        "the thread named after bill, the lock at the user's line"
    has "$out" '^ +1 +main \(0\) +create +T1 bill +cxx_threads.cc:27 in main$' \
        "the std::thread made at the user's line, not in libstdc++"
    has "$out" '^ +3 +T1 bill \(1\) +start +in bill$' "its start: the user's function it runs"
    # -O0: the wrappers (std::mutex::lock, __gthread_mutex_lock) are
    # functions of the program, whose callers are the user's frames
    expect 1 "C++ std::thread at -O0" -- explore -- "$PROGS/cxx_threads_O0"
    has "$out" '^ +4 +T1 bill\(int\) \(1\) +lock +account_lock +cxx_threads.cc:17 in bill\(int\)$' \
        "-O0: the thread named after bill, the lock at the user's line"
    has "$out" '^ +14 +main \(0\) +join +T2 bill\(int\) +cxx_threads.cc:29 in main$' \
        "-O0: a join at the user's line, not in libstdc++"
else
    echo "note: no C++ compiler: the C++ check is skipped"
fi
# racelab cc: a plain program built so that its memory accesses are steps;
# its lost addition found, natively it runs as usual
built=$(mktemp -d)
expect 0 "racelab cc" -- cc -g -pthread -o "$built/counter" "$(dirname "$0")/../programs/counter_race.c"
"$built/counter" >/dev/null 2>&1
native=$? # natively it nearly always ends at 2 (exit 0), now and then at 1
if [ -x "$built/counter" ] && [ "$native" -le 1 ]; then
    expect 1 "a data race, racelab cc's build" -- explore -- "$built/counter"
    has "$out" '^data race on counter: main.s store in step [0-9]+ and T1.s load in step [0-9]+ are not ordered by any synchronization$' \
        "the race named, both accesses by step"
    # checked, not steps (races fail the schedule): each a line of the
    # step it was made in
    has "$out" '^ +T1 add_one \(1\) +load +counter +counter_race.c:15 in add_one +<< DATA RACE$' \
        "the load in the trace, marked"
    has "$out" '^ +main \(0\) +store +counter +counter_race.c:16 in add_one +<< DATA RACE$' \
        "the store it races with, marked"
    has "$out" '^proved|^failure: data race, 0 preemptions' "found in the default order"
    expect 1 "--every-access: the same race, its accesses steps" -- explore --every-access \
        -- "$built/counter"
    has "$out" '^ +[0-9]+ +T1 add_one \(1\) +load +counter +counter_race.c:15 in add_one +<< DATA RACE$' \
        "the load a step, marked"
    has "$out" '^ +[0-9]+ +main \(0\) +store +counter +counter_race.c:16 in add_one +<< DATA RACE$' \
        "the store a step, marked"
    has "$out" '^replay: +racelab explore --every-access --replay [^ ]+ -- ' "the replay keeps --every-access"
    expect 1 "races ignored: the lost addition" -- explore --races ignore -- "$built/counter"
    has "$out" '^ +[0-9]+ +main \(0\) +store +counter +counter_race.c:16 in add_one' "the store a step"
    has "$out" '^replay: +racelab explore --races ignore --replay [^ ]+ -- ' "the replay keeps --races ignore"
    has "$out" 'final state: exit 1: counter 1' "the lost addition"
    expect 1 "--preemptions all on racelab cc's build" -- explore --all --preemptions all \
        --races ignore -- "$built/counter"
    has "$out" 'exit 1: counter 1' "the lost addition among the final states"
    has "$out" 'exit 0: counter 2' "and the sum"
else
    echo "FAIL: racelab cc: no program built, or it does not run natively"; failures=$((failures + 1))
fi
rm -rf "$built"
expect 0 "racelab cc --libs" -- cc --libs
has "$out" '^-L/.* -Wl,-rpath,/.* -lrlmem$' "the runtime's link flags"
# more addresses than the race detector keeps: the verdict says races were
# not checked for every access (never a plain "proved")
expect 0 "more addresses than the race detector keeps" -- explore --preemptions 0 \
    -- "$PROGS/wide_memory_mem"
has "$out" '^proved within 0 preemptions over its synchronization calls and atomic operations, its plain loads and stores checked for data races \(up to a run.s first race, the order of those decides what each plain load reads\); a thread.s own stack not checked until another thread uses it; data races not checked for every access$' \
    "the verdict says races were not all checked"
# a try-lock finds a mutex held between a lock and its unlock, however
# little happens in between (the unlock is a step of its own): both
# outcomes, as built and built by racelab cc (reduced)
for kind in mutex rwlock spin; do
    expect 0 "a try-lock while the $kind is held" -- explore --all -- "$PROGS/trylock_held" $kind
    has "$out" 'held   exit 0: got 2$' "the try-lock finds the $kind held"
    has "$out" 'held   exit 0: got 1$' "the try-lock takes the $kind"
done
expect 0 "a try-lock while the mutex is held, reduced" -- explore --preemptions all --all \
    -- "$PROGS/trylock_held_mem"
has "$out" 'held   exit 0: got 2$' "reduced: the try-lock finds the mutex held"
has "$out" 'held   exit 0: got 1$' "reduced: the try-lock takes it"
# relaxed atomics are explored as sequentially consistent: the verdict
# says their reorderings (both loads of store buffering seeing 0) were not
# tried; with every access seq_cst the interleavings are all there is
expect 0 "relaxed atomics, said on the verdict" -- explore --preemptions all -- \
    "$PROGS/store_buffer_mem"
has "$out" '^proved: complete over .*; relaxed, acquire and release atomics explored as sequentially consistent \(the reorderings they allow not tried\); uninstrumented' \
    "weaker memory orders said"
expect 0 "relaxed atomics, in --json" -- explore --preemptions all --json -- \
    "$PROGS/store_buffer_mem"
json_check 'd["weak_memory_orders"] is True and "sequentially consistent" in d["coverage"]' \
    "weak_memory_orders in the JSON"
expect 0 "seq_cst atomics only" -- explore --preemptions all --json -- \
    "$PROGS/store_buffer_mem" seq_cst
json_check 'd["weak_memory_orders"] is False and "sequentially consistent" not in d["coverage"] and d["complete"]' \
    "no weaker order, nothing said"
# a spin that finds all it read unchanged, with a stack unchanged too,
# waits for a write to it: the reduced search of two spins ends within 400
# schedules (192), and says what it assumed. Fairness held the spinner
# back in some of them (a loop of loads, spinning on as a yield), where the
# reduction's classes may miss some: not exhaustive, and said. A loop
# that counts its own turns in memory (poll, built -O0) changes its stack:
# it spins on, and its giving up (natively its most common end) is found
expect 0 "spin-waits, reduced" -- explore --preemptions all --all --max-schedules 400 --json \
    -- "$PROGS/spin_wait_mem" two
json_check 'd["verdict"] == "not_exhaustive" and d["fairness_held_reduced_search"] and d["stopped_by"] is None and d["spin_waits"] is True and "a spin-wait went on only after a write changed what it read" in d["coverage"] and sorted(s["state"] for s in d["final_states"]) == ["exit 0: saw 1", "exit 0: saw 2"]' \
    "a spin-wait waits for a write, said"
expect 0 "fairness held a spinner back in a reduced search" -- explore --preemptions all \
    -- "$PROGS/spin_wait_mem" two
has "$out" '^no failure found, not exhaustive: fairness held back a thread looping on memory accesses, yields or failed tries' \
    "the reduced search proves nothing then, and says why"
for search in "--preemptions all" "--preemptions 1"; do
    expect 0 "a counting poll, $search" -- explore $search --all --json -- "$PROGS/spin_wait_mem" poll
    json_check '"exit 0: saw -1" in [s["state"] for s in d["final_states"]] and d["exhaustive"]' \
        "the poll gives up, $search"
done
# the setter's write between two looks of a one-read loop is not the same
# as one before both: the second look sees the flag (saw 101)
expect 0 "a counting poll, which look" -- explore --preemptions all --all --json \
    -- "$PROGS/spin_wait_mem" count
json_check 'sorted(s["state"] for s in d["final_states"]) == ["exit 0: saw 1", "exit 0: saw 101", "exit 0: saw 201", "exit 0: saw 300", "exit 0: saw 301"]' \
    "every look may see the flag first"
# a test-and-set lock of three threads: two spinners each swap in the 1
# already there, which changes nothing: neither wakes the other (they used
# to, forever: a false livelock at --max-steps)
expect 0 "two spinners on one test-and-set lock" -- explore --preemptions 1 \
    -- "$PROGS/spin_locks_mem" tas
has "$out" '^proved within 1 preemption over ' "the test-and-set lock proved"
expect 0 "no spin, nothing said" -- explore --preemptions all --json -- "$PROGS/store_buffer_mem" seq_cst
json_check 'd["spin_waits"] is False and "spin-wait" not in d["coverage"] and d["fair_yields"] is False and "yielded" not in d["coverage"]' \
    "no spin-wait, no yield said"
# fairness (CHESS's): a thread that sleeps again goes on only after the
# others that could run all along since its first sleep have moved; the
# verdict says it assumed so
expect 0 "a sleep made way" -- explore --json -- "$PROGS/billing_locked"
json_check 'd["fair_yields"] is True and "a thread that yielded, slept or spun again went on only after the others that could run all along had moved" in d["coverage"]' \
    "fairness said on the verdict"
expect 0 "a target's yield made way" -- explore locker:spinlock --threads 3
has "$out" '^proved within 2 preemptions: .*; a thread that yielded again went on only after the others that could run all along had moved\)$' \
    "a target's fairness said on the verdict"
expect 0 "a target without yields" -- explore locker:mutex --json
json_check 'd["fair_yields"] is False and "yielded" not in d["coverage"]' "no yield, nothing said"
expect 0 "one preemption beyond the bound" -- explore locker:mutex
has "$out" '\(1 preemption beyond the bound was not taken: ' "one preemption, singular"
expect 0 "--races ignore said on the verdict" -- explore --races ignore -- "$PROGS/peterson_mem"
has "$out" '; data races not looked for$' "races not looked for, said"
# partial-order reduction on a program built by racelab cc (and only there:
# see "every schedule of a program, unreduced" below)
expect 0 "a program built by racelab cc, reduced" -- explore --preemptions all \
    -- "$PROGS/reduce_mix_mem" trylock
has "$out" 'one per class of schedules that differ only in the order of independent steps' \
    "the reduced search said"
has "$out" '^proved: complete over its synchronization calls and atomic operations, its plain loads and stores checked for data races .*; uninstrumented library code taken as independent between threads$' \
    "the reduced proof says what it assumed"
has "$out" '^ *1  held   exit 0: shared 3$' "a try-lock's three outcomes reached, reduced"
expect 2 "racelab cc with nothing to compile" -- cc
expect 2 "--races with a target" -- explore bill:racy --races ignore
expect 2 "--races report, list or ignore" -- explore --races maybe -- "$PROGS/deadlock"
# --races list: races seen, named, not failures (the program's own end is)
expect 1 "--races list" -- explore --races list -- "$PROGS/counter_race_mem"
has "$out" '^failure: invariant broken' "a listed race fails no schedule: the lost addition does"
has "$out" '^data races seen \(listed, not failing a schedule\): [1-9]' "the races listed"
has "$out" "^  counter: main's store at counter_race.c:16 in add_one, and T1 add_one's (load at counter_race.c:15|store at counter_race.c:16) in add_one \(seen in [0-9]+ runs?\)$" \
    "a race listed with both places"
expect 0 "--races list, none there" -- explore --races list -- "$PROGS/message_flag_mem" acquire
has "$out" '^data races seen \(listed, not failing a schedule\): 0$' "no race made up"
has "$out" '; data races listed, not failures; relaxed, acquire and release atomics explored as sequentially consistent \(the reorderings they allow not tried\)$' \
    "the verdict says races are only listed (and the release/acquire flag's order)"
# a debugger at the failing step: the replay once more, stopped before its
# last step, gdb attached (its commands from standard input here)
if command -v gdb >/dev/null 2>&1; then
    printf 'info threads\nquit\n' | "$RL" explore --replay 5:2 --gdb -- "$PROGS/deadlock" \
        >"$out" 2>"$err"
    [ $? = 1 ] || { echo "FAIL: --gdb: the replay's exit status is not 1"; failures=$((failures + 1)); }
    has "$err" 'is stopped before step 6, where T2 b_then_a \(LWP [0-9]+\) goes; gdb attaches' "--gdb: where it stopped"
    [ "$(grep -c 'Attaching to process' "$out" "$err" | awk -F: '{s+=$2} END {print s}')" = 1 ] || {
        echo "FAIL: --gdb: gdb did not attach exactly once"; failures=$((failures + 1)); }
    [ "$(cat "$out" "$err" | grep -c '(LWP ')" -ge 3 ] || {
        echo "FAIL: --gdb: gdb did not see the program's three threads"; failures=$((failures + 1)); }
    # the thread that goes is gdb's current thread, though another one
    # (main, on its way out) made the decision and stopped the process
    printf 'info threads\nquit\n' | "$RL" explore --replay - --gdb -- "$PROGS/main_exits_first" \
        >"$out" 2>"$err"
    lwp=$(sed -n 's/.*where T1 worker (LWP \([0-9]*\)) goes.*/\1/p' "$err")
    [ -n "$lwp" ] && grep -q "^\* 2 .*(LWP $lwp)" "$out" || {
        echo "FAIL: --gdb: the worker about to go (LWP ${lwp:-?}) is not gdb's current thread"
        grep -E 'goes|^\*' "$out" "$err"; failures=$((failures + 1)); }
else
    echo "note: no gdb: the --gdb check is skipped"
fi
expect 2 "--gdb without --replay" -- explore --gdb -- "$PROGS/deadlock"
expect 1 "PCT on a program" -- explore --pct --iterations 200 --seed 3 -- "$PROGS/deadlock"
expect 1 "delays on a program" -- explore --delays 1 -- "$PROGS/deadlock"
has "$out" 'round robin with at most 1 delay' "delays on a program named"
expect 1 "every schedule of a program, unreduced" -- explore --preemptions all -- "$PROGS/deadlock"
has "$out" 'each order of independent steps too \(unreduced: a program is reduced only when built by racelab cc' \
    "a program built without racelab cc is not reduced, and says why"

if [ "$failures" -gt 0 ]; then
    echo "$failures explore check(s) failed"
    exit 1
fi
echo "all explore checks passed"
