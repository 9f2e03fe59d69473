#!/usr/bin/env bash
# test_cli_cycles.sh - merchants as separate processes on one bank (racelab
# bank init|show|check, racelab merchant), on SQLite and on the throwaway
# PostgreSQL: five merchant processes at once, each bill applied exactly
# once; merchants that kill themselves (SIGKILL) in the middle of a bill at
# seeded points and are started again; the checker naming what is wrong.
# Usage: test_cli_cycles.sh PATH/TO/racelab PGDIR SECTION [SEED]
# SECTION: sqlite or postgresql (the same checks on each engine, and what
# only that engine needs), restart (a server of its own restarted and shut
# down under merchants waiting inside a statement) or idle (a server of its
# own going away every way it can under merchants idle between two
# statements): four CTest tests that run side by side.
# Deterministic: which merchant dies at which bill comes from the seed
# (printed), and every assertion holds whatever the processes' timing.
set -u
USAGE="usage: test_cli_cycles.sh PATH/TO/racelab PGDIR sqlite|postgresql|restart|idle [SEED]"
RL=${1:?$USAGE}
PGDIR=${2:?$USAGE}
SECTION=${3:?$USAGE}
SEED=${4:-$$}
case $SECTION in sqlite|postgresql|restart|idle) ;; *) echo "$USAGE" >&2; exit 2 ;; esac
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
echo "seed $SEED (rerun: $0 $RL $PGDIR $SECTION $SEED)"
RANDOM=$SEED

if [ ! -s "$PGDIR/conninfo" ]; then
    echo "FAIL: PostgreSQL is needed and $PGDIR/conninfo is missing: the server did not start"
    exit 1
fi
PG="$(cat "$PGDIR/conninfo")"
db=$(mktemp /tmp/racelab-cycles-XXXXXX)
logs=$(mktemp -d /tmp/racelab-cycles-logs-XXXXXX)
trap 'rm -rf "$out" "$err" "$db" "$db-wal" "$db-shm" "$logs"' EXIT
# a database of its own on the server, so no other test's tables meet these
PGC="$PG dbname=racelab_test_cycles"
if [ "$SECTION" = postgresql ]; then
    psql -X -q "$PG" -c "DROP DATABASE IF EXISTS racelab_test_cycles" >/dev/null 2>&1
    if ! psql -X -q "$PG" -c "CREATE DATABASE racelab_test_cycles" >/dev/null; then
        echo "FAIL: cannot create the test database"
        exit 1
    fi
fi
MERCHANTS="Costco Target CVS GuitarCenter Starbucks"

# Run every merchant of the data set at once for a cycle, each with its
# own extra options ($2...); wait for all; the exit codes go to $logs/M.rc.
all_at_once() {
    local bank=$1 cycle=$2
    shift 2
    for m in $MERCHANTS; do
        ( "$RL" merchant "$m" --bank "$bank" --cycle "$cycle" "$@" >"$logs/$m.out" 2>&1
          echo $? >"$logs/$m.rc" ) &
    done
    wait
}

every_rc() { # every merchant's exit code is $1
    local want=$1 what=$2
    for m in $MERCHANTS; do
        if [ "$(cat "$logs/$m.rc")" != "$want" ]; then
            echo "FAIL: $what: merchant $m exited $(cat "$logs/$m.rc"), want $want"
            sed 's/^/  /' "$logs/$m.out"
            failures=$((failures + 1))
        fi
    done
}

# The check passes; with "all", every cycle in the ledger is finished and
# every balance is what the finished cycles make it.
check_passes() {
    local bank=$1 what=$2 all=${3:-all}
    expect 0 "$what: bank check" -- bank check --bank "$bank"
    has "$out" 'check passed' "$what: the check passed"
    if [ "$all" = all ] && grep -q 'differ' "$out"; then
        echo "FAIL: $what: a balance is not what its finished cycles make it:"
        sed 's/^/  /' "$out"
        failures=$((failures + 1))
    fi
}

# The checks every engine runs: one bank made, five merchants at once,
# crashes and reruns, the race forced across processes, the checker.
engine_checks() {
    local bank=$1 name=$SECTION cycle conflicts c k m s applied

    # ---- a bank made once ----
    expect 0 "$name: init" -- bank init --bank "$bank" --force
    expect 2 "$name: init again is refused" -- bank init --bank "$bank"
    has "$err" 'there is a bank there already' "$name: init says why"
    expect 0 "$name: a fresh bank checks" -- bank check --bank "$bank"
    has "$out" '0 ledger rows, 0 finished cycles' "$name: empty ledger"

    # ---- five merchant processes at once: exactly the expected table ----
    all_at_once "$bank" 1
    every_rc 0 "$name: cycle 1"
    check_passes "$bank" "$name after cycle 1"
    has "$out" '25 ledger rows, 5 finished cycles' "$name: 25 bills, 5 cycles"
    # the data set's expected table (DESIGN.md) after one cycle
    has "$out" '^Dave +400 +275 ' "$name: Dave 275"
    has "$out" '^Susan +1200 +1700 ' "$name: Susan 1700"
    has "$out" '^James +-32 +-5032 ' "$name: James -5032"

    # ---- the same cycle again applies nothing ----
    expect 0 "$name: rerun" -- merchant Costco --bank "$bank" --cycle 1
    has "$out" '5 bills, 0 applied, 5 already applied' "$name: a rerun applies nothing"

    # ---- crashes: each merchant kills itself inside a bill, at a seeded
    # point, then is started again ----
    for m in $MERCHANTS; do
        eval "die_$m=$((RANDOM % 5 + 1))"
    done
    for m in $MERCHANTS; do
        eval "k=\$die_$m"
        ( "$RL" merchant "$m" --bank "$bank" --cycle 2 --die-at "$k" >"$logs/$m.out" 2>&1
          echo $? >"$logs/$m.rc" ) &
    done
    wait
    every_rc 137 "$name: killed in the middle of a bill (SIGKILL)"
    check_passes "$bank" "$name after the crashes" some
    has "$out" '5 finished cycles' "$name: no crashed cycle counts as finished"
    all_at_once "$bank" 2 -v
    every_rc 0 "$name: cycle 2 after the crashes"
    for m in $MERCHANTS; do
        eval "k=\$die_$m"
        applied=$((5 - k + 1))
        if ! grep -q "5 bills, $applied applied, $((k - 1)) already applied" "$logs/$m.out"; then
            echo "FAIL: $name: $m died in bill $k: want $applied applied on the rerun, got:"
            sed 's/^/  /' "$logs/$m.out"
            failures=$((failures + 1))
        fi
    done
    check_passes "$bank" "$name after cycle 2"
    has "$out" '50 ledger rows, 10 finished cycles' "$name: 50 bills, 10 cycles"
    has "$out" '^Dave +400 +150 ' "$name: Dave after two cycles"

    # ---- the same crashes with strategies that read, wait and write in
    # their own transactions: the ledger row goes with the balance ----
    cycle=3
    for s in mutex cas serializable; do
        for m in $MERCHANTS; do
            eval "die_$m=$((RANDOM % 5 + 1))"
        done
        for m in $MERCHANTS; do
            eval "k=\$die_$m"
            ( "$RL" merchant "$m" --bank "$bank" --cycle $cycle --strategy $s --die-at "$k" \
                >"$logs/$m.out" 2>&1
              echo $? >"$logs/$m.rc" ) &
        done
        wait
        every_rc 137 "$name: $s killed in the middle of a bill"
        check_passes "$bank" "$name: $s after the crashes" some
        all_at_once "$bank" $cycle --strategy $s
        every_rc 0 "$name: $s cycle $cycle after the crashes"
        for m in $MERCHANTS; do
            eval "k=\$die_$m"
            if ! grep -q "5 bills, $((5 - k + 1)) applied, $((k - 1)) already applied" \
                "$logs/$m.out"; then
                echo "FAIL: $name: $s: $m died in bill $k, the rerun applied otherwise:"
                sed 's/^/  /' "$logs/$m.out"
                failures=$((failures + 1))
            fi
        done
        check_passes "$bank" "$name: $s after cycle $cycle"
        cycle=$((cycle + 1))
    done
    has "$out" '125 ledger rows, 25 finished cycles' "$name: 125 bills, 25 cycles"

    # ---- the race forced across processes: every merchant reads a bill's
    # balance, they all meet (a barrier in the database), then they write ----
    expect 0 "$name: init for the forced race" -- bank init --bank "$bank" --force
    all_at_once "$bank" 1 --strategy racy --no-ledger --meet 5
    every_rc 0 "$name: racy merchants meeting"
    expect 1 "$name: racy across processes loses updates" -- bank check --bank "$bank"
    for c in Dave Susan Mike Steve James; do
        has "$out" "wrong total: $c is" "$name: $c's lost updates named"
    done
    # four of five updates lost on every customer: the forced table
    has "$out" '^Dave +400 +375 ' "$name: racy Dave 375 (lost 4 of 5)"
    has "$out" '^James +-32 +-1032 ' "$name: racy James -1032"
    # the ledger does not mend the race: racy with it loses the same
    # updates, and the ledger shows the balances do not add up
    expect 0 "$name: init for racy with the ledger" -- bank init --bank "$bank" --force
    all_at_once "$bank" 1 --strategy racy --meet 5
    every_rc 0 "$name: racy merchants with the ledger meeting"
    expect 1 "$name: racy with the ledger loses updates" -- bank check --bank "$bank"
    has "$out" 'wrong balance: Dave is 375, its start 400 plus the ledger.s bills make 275' \
        "$name: racy with the ledger: Dave's loss named"
    # every correct strategy under the same meeting: nothing lost. The
    # optimistic ones (and trylock on PostgreSQL) show that the merchants did
    # meet: they conflict. Where a merchant waiting for a lock counts as met
    # (PostgreSQL), the lock-holding ones meet between reading and writing:
    # without their lock they lose the racy table's updates.
    # On SQLite every lock is the one write lock (BEGIN IMMEDIATE) and every
    # transaction is serializable, so global and advisory run mutex's SQL
    # there and repeatable-read runs serializable's: those three run on
    # PostgreSQL only, where each is SQL of its own.
    local strategies="atomic mutex trylock cas serializable"
    [ "$name" = postgresql ] && strategies="atomic mutex global advisory trylock cas repeatable-read serializable"
    for s in $strategies; do
        expect 0 "$name: init for $s meeting" -- bank init --bank "$bank" --force
        all_at_once "$bank" 1 --strategy $s --meet 5
        every_rc 0 "$name: $s merchants meeting"
        conflicts=0
        for m in $MERCHANTS; do
            c=$(sed -n 's/.* \([0-9][0-9]*\) conflicts\{0,1\},.*/\1/p' "$logs/$m.out")
            conflicts=$((conflicts + ${c:-0}))
        done
        check_passes "$bank" "$name: $s under the forced race"
        has "$out" '^Dave +400 +275 ' "$name: $s Dave 275"
        has "$out" '^James +-32 +-5032 ' "$name: $s James -5032"
        case $s in cas|repeatable-read|serializable)
            if [ "$conflicts" -lt 4 ]; then
                echo "FAIL: $name: $s merchants meeting had $conflicts conflicts: did they meet?"
                failures=$((failures + 1))
            fi ;;
        esac
    done

    # ---- the checker names what is wrong ----
    # racy merchants, one after another (no race): right totals, no ledger
    expect 0 "$name: init for racy" -- bank init --bank "$bank" --force
    for m in $MERCHANTS; do
        expect 0 "$name: racy $m" -- merchant "$m" --bank "$bank" --cycle 1 --strategy racy \
            --no-ledger
    done
    expect 1 "$name: racy leaves no ledger" -- bank check --bank "$bank"
    has "$out" 'missing: Costco cycle 1 is finished but its bill 1 \(Dave -25\)' "$name: missing named"
    if grep -q 'wrong total' "$out"; then
        echo "FAIL: $name: merchants one at a time lose nothing, yet:"
        sed 's/^/  /' "$out"
        failures=$((failures + 1))
    fi
}

scale_checks() {
    # ---- scale: 8 merchant processes, 4,000 accounts, 50 bills each,
    # three cycles, every merchant killed once in the second ----
    G="--generate 8x4000x50 --seed $SEED"
    # shellcheck disable=SC2086
    expect 0 "scale: init" -- bank init --bank "$PGC" --force $G
    for c in 1 2 3; do
        for i in 1 2 3 4 5 6 7 8; do
            k=$((RANDOM % 50 + 1))
            # shellcheck disable=SC2086
            ( if [ $c = 2 ]; then "$RL" merchant m$i --bank "$PGC" --cycle $c $G --die-at $k \
                  >/dev/null 2>&1; fi
              "$RL" merchant m$i --bank "$PGC" --cycle $c $G >"$logs/m$i.out" 2>&1
              echo $? >"$logs/m$i.rc" ) &
        done
        wait
        for i in 1 2 3 4 5 6 7 8; do
            if [ "$(cat "$logs/m$i.rc")" != 0 ]; then
                echo "FAIL: scale: m$i cycle $c exited $(cat "$logs/m$i.rc")"
                sed 's/^/  /' "$logs/m$i.out"
                failures=$((failures + 1))
            fi
        done
    done
    # shellcheck disable=SC2086
    expect 0 "scale: check" -- bank check --bank "$PGC" $G
    has "$out" '1200 ledger rows, 24 finished cycles' "scale: 1,200 bills, each once"
    has "$out" 'check passed' "scale: the check passed"
}

restart_checks() {
    # ---- the server restarted in the middle of a cycle ----
    # A server of this test's own (restarting the shared one would cut the
    # other tests' sessions). The merchants run in the background; the restart
    # comes while every one of them waits inside a bill, held there by a lock
    # of the test's, as the server itself reports: never a matter of timing.
    own=$(mktemp -d /tmp/racelab-cycles-pg-XXXXXX)
    PGS="$(dirname "$0")/../../scripts/pg-server.sh"
    HOLD="$(dirname "$0")/hold_stdout.py"
    trap 'rm -rf "$out" "$err" "$db" "$db-wal" "$db-shm" "$logs"; "$PGS" stop "$own" >/dev/null 2>&1; rm -rf "$own"' EXIT
    "$PGS" start "$own" --tcp >/dev/null || { echo "FAIL: a second throwaway server did not start"; exit 1; }
    P2="$(cat "$own/conninfo")"
    P2TCP="$(cat "$own/conninfo-tcp")"
    # commits durable again (pg-server.sh turns synchronous_commit off for
    # speed): a commit the server acknowledged must survive its crash, or an
    # immediate shutdown right after a merchant's bill loses that bill, and
    # the check rightly says so. (A per-database setting overrides the
    # server's command line.)
    psql -X -q "$P2" -c "ALTER DATABASE postgres SET synchronous_commit = on" >/dev/null ||
        { echo "FAIL: cannot make commits durable"; exit 1; }

    # over TCP on the loopback address, as merchants on other machines connect
    if [ "$SECTION" = restart ]; then
        expect 0 "tcp: init" -- bank init --bank "$P2TCP"
        all_at_once "$P2TCP" 1
        every_rc 0 "merchants over TCP"
        check_passes "$P2TCP" "over TCP"
        has "$out" '25 ledger rows, 5 finished cycles' "tcp: every bill once"
    fi

    in_background() { # bank cycle options...: every merchant, not waited for
        local bank=$1 cycle=$2
        shift 2
        for m in $MERCHANTS; do
            rm -f "$logs/$m.rc"
            ( "$RL" merchant "$m" --bank "$bank" --cycle "$cycle" "$@" >"$logs/$m.out" 2>&1
              echo $? >"$logs/$m.rc" ) &
        done
    }

    until_sql() { # query: wait (at most 60 s) until the server answers t to it
        for _ in $(seq 600); do
            [ "$(psql -X -qtA "$P2" -c "$1" 2>/dev/null)" = t ] && return 0
            sleep 0.1
        done
        echo "FAIL: the server never answered t to: $1"
        failures=$((failures + 1))
        return 1
    }

    # mid_cycle ACTION CYCLE OPTIONS...: the merchants bill the cycle in the
    # background while a session of the test's holds Dave's row locked, so each
    # of them is stopped inside its first bill (Dave's); once the server says
    # all five wait for that lock (not a matter of timing), the server gets
    # ACTION (pg-server.sh restart or halt), which ends every session; then wait.
    mid_cycle() {
        local action=$1 cycle=$2
        shift 2
        psql -X -q "$P2" -c "BEGIN; SELECT 1 FROM racelab_accounts WHERE name = 'Dave' FOR UPDATE;
                             SELECT pg_sleep(600)" >/dev/null 2>&1 &
        local holder=$!
        # the row is locked once the holder has a transaction id (FOR UPDATE
        # takes one when it locks the row)
        until_sql "SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%'
                   AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        in_background "$P2" "$cycle" -v "$@"
        until_sql "SELECT count(*) = 5 FROM pg_stat_activity WHERE wait_event_type = 'Lock'
                   AND datname = current_database()"
        $action
        wait "$holder" 2>/dev/null
        wait
    }

    # What happens to the server (ACTION of mid_cycle and held_idle).
    server() { # pg-server.sh COMMAND on the test's own server [MODE]
        "$PGS" "$1" "$own" ${2:+"$2"} >/dev/null ||
            { echo "FAIL: pg-server.sh $* failed"; failures=$((failures + 1)); }
    }
    restart_fast() { server restart fast; }
    restart_immediate() { server restart immediate; }
    halt() { server halt; }
    # every merchant's session ended by an administrator, each gone when
    # pg_terminate_backend returns
    terminate_all() {
        [ "$(psql -X -qtA "$P2" -c "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 30000))
                                    FROM pg_stat_activity WHERE application_name = 'racelab:main'")" = 5 ] ||
            { echo "FAIL: pg_terminate_backend did not end five sessions"; failures=$((failures + 1)); }
    }
    # one merchant's backend killed (SIGKILL): the server ends every other
    # session as after a crash (a WARNING, then the socket closed) and starts
    # again; done once no merchant's session is left
    kill_one() {
        local pid
        pid=$(psql -X -qtA "$P2" -c "SELECT pid FROM pg_stat_activity
                                      WHERE application_name = 'racelab:main' LIMIT 1")
        kill -KILL "$pid" || { echo "FAIL: cannot kill backend '$pid'"; failures=$((failures + 1)); }
        until_sql "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name LIKE 'racelab:%'"
    }

    # held_idle ACTION CYCLE OPTIONS...: the merchants bill the cycle, each
    # with its standard output a pipe that is already full (hold_stdout.py),
    # so that each stops in write(2) as it prints its first bill's line:
    # after that bill, before its next statement, its connection idle. Once
    # the kernel says all five are there (/proc/PID/syscall: a write to fd
    # 1), ACTION; then the pipes are drained and the merchants go on, their
    # next statement sent on a connection whose server went away while it
    # was idle. That is the case libpq reports, after an immediate shutdown
    # or a crash, as "server closed the connection unexpectedly" with no
    # SQLSTATE and PQstatus still CONNECTION_OK (see fail_stmt, pgbank.c):
    # a merchant that does not take it for a lost connection stops, exit 3.
    held_idle() {
        local action=$1 cycle=$2 pid at
        shift 2
        rm -f "$logs/gate"
        for m in $MERCHANTS; do
            rm -f "$logs/$m.pid" "$logs/$m.rc"
        done
        # shellcheck disable=SC2086
        "$HOLD" "$logs" "$logs/gate" $MERCHANTS -- \
            "$RL" merchant {} --bank "$P2" --cycle "$cycle" -v "$@" &
        for m in $MERCHANTS; do
            at=""
            for _ in $(seq 600); do
                pid=$(cat "$logs/$m.pid" 2>/dev/null) &&
                    at=$(cut -d' ' -f1,2 "/proc/$pid/syscall" 2>/dev/null)
                [ "$at" = "1 0x1" ] && break
                sleep 0.1
            done
            [ "$at" = "1 0x1" ] ||
                { echo "FAIL: merchant $m never stopped writing its first line"; failures=$((failures + 1)); }
        done
        $action
        touch "$logs/gate"
        wait
        for m in $MERCHANTS; do
            cat "$logs/$m.err" >>"$logs/$m.out"
        done
    }

    # every merchant reconnected and finished cycle $1; the bank holds
    # exactly the bills of cycles 1 to $1
    reconnected() {
        local cycle=$1 what=$2
        every_rc 0 "$what"
        for m in $MERCHANTS; do
            has "$logs/$m.out" 'lost the connection .*; reconnected after' "$what: $m reconnected"
        done
        check_passes "$P2" "$what"
        has "$out" "$((25 * cycle)) ledger rows, $((5 * cycle)) finished cycles" "$what: every bill once"
    }

    if [ "$SECTION" = restart ]; then
        expect 0 "restart: init" -- bank init --bank "$P2" --force
        mid_cycle restart_fast 1
        every_rc 0 "merchants through a server restart"
        for m in $MERCHANTS; do
            has "$logs/$m.out" 'lost the connection .*; reconnected after' "$m reconnected"
        done
        check_passes "$P2" "after the restart"
        has "$out" '25 ledger rows, 5 finished cycles' "restart: every bill once"

        # a server that does not come back: exit 3, and a later run completes
        mid_cycle halt 2 --reconnect-for 1s
        every_rc 3 "merchants whose server does not come back"
        for m in $MERCHANTS; do
            has "$logs/$m.out" 'could not connect again within 1 s' "$m says why it stopped"
        done
        # merchants started while the server is still down wait for it: once each
        # has said so (not a matter of timing), the server comes back
        in_background "$P2" 2 --reconnect-for 60s
        for m in $MERCHANTS; do
            for _ in $(seq 600); do
                grep -q 'cannot reach the bank' "$logs/$m.out" 2>/dev/null && break
                sleep 0.1
            done
            has "$logs/$m.out" 'cannot reach the bank .*; trying again for up to 60 s' "$m waits for the server"
        done
        "$PGS" resume "$own" >/dev/null || { echo "FAIL: resuming the server failed"; failures=$((failures + 1)); }
        wait
        every_rc 0 "cycle 2 run again, started before the server"
        check_passes "$P2" "cycle 2 complete"
        has "$out" '50 ledger rows, 10 finished cycles' "the server's absence lost no bill and doubled none"
        # an immediate shutdown under merchants waiting inside a statement
        mid_cycle restart_immediate 3
        reconnected 3 "an immediate shutdown under merchants waiting for a lock"
        return
    fi
    # every way a server can go away, under merchants idle between two
    # statements
    expect 0 "idle: init" -- bank init --bank "$P2" --force
    held_idle restart_immediate 1
    reconnected 1 "an immediate shutdown under idle merchants"
    held_idle kill_one 2
    reconnected 2 "a backend killed (SIGKILL) under idle merchants"
    held_idle terminate_all 3
    reconnected 3 "pg_terminate_backend of idle merchants"
    held_idle restart_fast 4
    reconnected 4 "a fast shutdown under idle merchants"
}

sqlite_checker() {
    # a balance changed behind the ledger's back: wrong balance and wrong total
    expect 0 "sqlite: init" -- bank init --bank "sqlite:$db" --force
    all_at_once "sqlite:$db" 1
    every_rc 0 "sqlite: cycle 1 again"
    sqlite3 "$db" "UPDATE racelab_accounts SET balance = balance + 25 WHERE name = 'Dave'"
    expect 1 "a balance off the ledger" -- bank check --bank "sqlite:$db"
    has "$out" 'wrong balance: Dave is 300, its start 400 plus the ledger.s bills make 275' "wrong balance named"
    has "$out" 'wrong total: Dave is 300' "wrong total named"
    sqlite3 "$db" "DELETE FROM racelab_ledger WHERE merchant = 'CVS' AND bill = 2"
    expect 1 "a ledger row gone" -- bank check --bank "sqlite:$db"
    has "$out" 'missing: CVS cycle 1 is finished but its bill 3' "missing bill named"
    sqlite3 "$db" "UPDATE racelab_accounts SET balance = -1 WHERE name = 'Steve'"
    sqlite3 "$db" "INSERT INTO racelab_ledger (merchant, cycle, bill, account, amount)
                   VALUES ('Target', 1, 98, 0, 5)"
    expect 1 "a negative balance and a bill from nowhere" -- bank check --bank "sqlite:$db"
    has "$out" 'negative: Steve is -1, which its bills never make it' "negative named"
    has "$out" 'unexpected: Target cycle 1 bill 99 is in the ledger' "unexpected named"
}

bench_checks() {
    # ---- what the ledger costs, merchants as processes ----
    expect 0 "bench db --processes" -- bench db --bank "$PGC" --force --processes --clients 1,2 --bills 100 \
        --strategies atomic,mutex --seconds 1
    has "$out" '^1 +atomic +[0-9]+ +[0-9]+ +[0-9.]+x +[0-9.]+$' "bench: atomic, one process"
    has "$out" '^2 +mutex +[0-9]+ +[0-9]+ +[0-9.]+x +[0-9.]+$' "bench: mutex, two processes"
    has "$out" '^2 +pgbench +[0-9]+ +- +- +1.00$' "bench: the pgbench reference beside them"
    expect 2 "bench db --processes with racy" -- bench db --bank "$PGC" --processes \
        --strategies racy
}

usage_checks() {
    # ---- bad usage: exit 2 ----
    expect 2 "merchant without a cycle" -- merchant Costco --bank "sqlite:$db" && one_line "no cycle"
    expect 2 "unknown merchant" -- merchant Walmart --bank "sqlite:$db" --cycle 1
    has "$err" "no merchant 'Walmart'" "unknown merchant named"
    expect 2 "memory bank" -- merchant Costco --bank memory --cycle 1
    has "$err" 'need a bank they share' "memory refused with the reason"
    expect 2 "bank without a sub-command" -- bank
    expect 2 "another data set" -- bank check --bank "sqlite:$db" --customers 3
    has "$err" 'another data set' "a bank of another data set named"
    expect 2 "unknown strategy" -- merchant Costco --bank "sqlite:$db" --cycle 1 --strategy lucky
    has "$err" "strategy is atomic, mutex" "the strategies listed"
    expect 2 "a crash without the ledger" -- merchant Costco --bank "sqlite:$db" --cycle 1 \
        --no-ledger --die-at 2
    has "$err" "needs the ledger" "--die-at needs the ledger"
    expect 2 "--die-at past the last bill" -- merchant Costco --bank "sqlite:$db" --cycle 1 \
        --die-at 99 && one_line "--die-at 99"
    has "$err" "--die-at 99: merchant Costco has 5 bills \(1 to 5\)" "--die-at names the bills"
    expect 2 "--die-at past one bill" -- merchant Costco --bank "sqlite:$db" --cycle 1 \
        --merchants 1 --customers 1 --die-at 2
    has "$err" "merchant Costco has 1 bill \(1 to 1\)" "one bill, singular"
    # one of everything, in the singular
    expect 0 "one account: init" -- bank init --bank "sqlite:$db" --force --merchants 1 --customers 1
    has "$out" 'made: 1 account, 1 merchant;' "init: 1 account, 1 merchant"
    expect 0 "one bill" -- merchant Costco --bank "sqlite:$db" --cycle 1 --merchants 1 --customers 1
    has "$out" 'cycle 1: 1 bill, 1 applied' "merchant: 1 bill"
    expect 0 "one of each: check" -- bank check --bank "sqlite:$db" --merchants 1 --customers 1
    has "$out" '^1 ledger row, 1 finished cycle$' "check: 1 ledger row, 1 finished cycle"
    expect 2 "a bank of one account" -- bank check --bank "sqlite:$db"
    has "$err" 'the bank holds 1 account, the data set 5 customers' "1 account, singular"
    expect 3 "no server" -- merchant Costco --bank "host=/nonexistent/racelab dbname=x" --cycle 1 \
        --reconnect-for 1s
    has "$err" 'trying again for up to 1 s' "no server: it tried again"
}

case $SECTION in
sqlite)
    engine_checks "sqlite:$db"
    sqlite_checker
    usage_checks
    ;;
postgresql)
    time engine_checks "$PGC"
    time scale_checks
    time bench_checks
    psql -X -q "$PG" -c "DROP DATABASE IF EXISTS racelab_test_cycles" >/dev/null 2>&1
    ;;
restart|idle)
    restart_checks
    ;;
esac
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed (seed $SEED)"
    exit 1
fi
echo "all merchant-process checks ($SECTION) passed (seed $SEED)"
