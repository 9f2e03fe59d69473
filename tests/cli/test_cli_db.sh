#!/usr/bin/env bash
# test_cli_db.sh - the racelab command against databases: bad bank URLs,
# servers that cannot be reached or refuse the login, and the race forced
# on SQLite and on PostgreSQL. Usage: test_cli_db.sh PATH/TO/racelab PGDIR
# SECTION (PGDIR/conninfo is written by scripts/pg-server.sh, CTest's
# fixture). SECTION sqlite or postgresql: the checks of that engine (the
# URL checks go with sqlite, the server's words with postgresql), two CTest
# tests that run side by side.
# Every check is deterministic: runs that race are forced (--lockstep) or
# asked only for outcomes that hold whatever the timing.
set -u
USAGE="usage: test_cli_db.sh PATH/TO/racelab PGDIR sqlite|postgresql"
RL=${1:?$USAGE}
PGDIR=${2:?$USAGE}
SECTION=${3:?$USAGE}
case $SECTION in sqlite) ENGINE="sqlite:" ;; postgresql) ENGINE="" ;; *) echo "$USAGE" >&2; exit 2 ;; esac
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -s "$PGDIR/conninfo" ]; then
    echo "FAIL: PostgreSQL is needed and $PGDIR/conninfo is missing: the server did not start"
    exit 1
fi
PG=$(cat "$PGDIR/conninfo")
db=$(mktemp /tmp/racelab-cli-XXXXXX)
trap 'rm -f "$out" "$err" "$db" "$db-wal" "$db-shm"' EXIT
SQ="sqlite:$db"
on() { [ "$SECTION" = "$1" ]; }


if on sqlite; then
    # ---- bad input: exit 2, one line ----
    expect 2 "unknown scheme" -- bill --strategy racy --bank mysql://x && one_line "unknown scheme"
    has "$err" "no bank URL" "unknown scheme names what is expected"
    expect 2 "sqlite without a file" -- bill --strategy racy --bank sqlite: && one_line "sqlite:"
    expect 2 "empty bank" -- demo --bank "" && one_line "empty bank"
    expect 2 "bank on a memory-only scenario" -- scenario run overdraft --bank "$SQ"
    one_line "bank on overdraft"
    expect 2 "explorer refuses lost-update" -- explore lost-update:cas
    has "$err" "database server" "the explorer says why"
    expect 2 "lost-update in memory" -- scenario run lost-update --bank memory
fi

if on postgresql; then
    # ---- the server's own words: exit 3 for a server that may come back,
    # exit 2 for what can never work as written ----
    expect 3 "unreachable server" -- bill --strategy racy --bank "host=/nonexistent/racelab port=5432 dbname=x"
    has "$err" "No such file or directory" "unreachable: libpq's reason"
    expect 2 "refused login" -- bill --strategy racy --bank "$PG user=nosuchrole"
    has "$err" 'role "nosuchrole" does not exist \(SQLSTATE 28000\)' "refused login: the server's reason"
    expect 2 "missing database" -- demo --bank "$PG dbname=nosuchdb"
    has "$err" 'database "nosuchdb" does not exist \(SQLSTATE 3D000\)' "missing database: the server's reason"
    expect 2 "unopenable SQLite file" -- bill --strategy racy --bank sqlite:/nonexistent/dir/x.db
    has "$err" "cannot open SQLite database .*No such file or directory" "unopenable SQLite file"
    for url in "postgresql://localhost:notaport/x" "postgresql://[::1/x" "host=/tmp nosuchoption=1" \
        "postgresql://localhost/x?nosuchparam=1"; do
        expect 2 "malformed URL $url" -- bill --strategy racy --bank "$url" && one_line "malformed $url"
        has "$err" "connection string is malformed" "malformed $url: said so"
    done
    # a merchant gives up at once on what trying again cannot mend (it would
    # say 'trying again' before its first retry), and keeps trying a server
    # that may come back (test_cli_cycles: 'no server')
    for url in "sqlite:/nonexistent/dir/x.db" "$PG user=nosuchrole" "$PG dbname=nosuchdb" \
        "postgresql://localhost:notaport/x"; do
        expect 2 "merchant on $url" -- merchant Costco --bank "$url" --cycle 1 &&
            one_line "merchant on $url: one line, no retry"
    done
fi

# ---- the race, forced against each engine ----
# On SQLite every lock is the one write lock (BEGIN IMMEDIATE): global and
# advisory run mutex's SQL there, so they run on PostgreSQL only.
bank=$PG locks="mutex global advisory"
on sqlite && bank=$SQ locks=mutex
for bank in "$bank"; do
    expect 1 "racy forced on $bank" -- bill --strategy racy --lockstep --bank "$bank"
    has "$out" '^lost updates +20 *$' "racy loses exactly 20 updates on $bank"
    has "$out" 'the gate replaces the delay' "lockstep says the gate replaces timing"
    for s in $locks atomic cas trylock processor; do
        expect 0 "$s forced on $bank" -- bill --strategy "$s" --lockstep --bank "$bank"
        has "$out" 'verdict: correct' "$s correct on $bank"
    done
    expect 0 "serializable json on $bank" -- bill --strategy serializable --lockstep --json --bank "$bank"
    json_check 'd["all_expected"] and d["result"]["aborts"] >= 4 and d["result"]["lost_updates"] == 0' \
        "serializable reports its aborts on $bank"
done

if on sqlite; then
    expect 0 "SQLite says it has no row locks" -- bill --strategy mutex --lockstep --bank "$SQ"
    has "$out" '^note: SQLite has no row locks' "the SQLite note"
    expect 1 "trace on SQLite" -- trace --lockstep --bank "$SQ" --merchants 2 --customers 1
    has "$out" 'LOST UPDATE' "trace shows the lost update"
    expect 2 "trace --replay with a bank" -- trace --replay 5:2 --bank "$SQ"
    expect 2 "kill on SQLite" -- bill --strategy mutex --bank "$SQ" --kill-session Target:3
    expect 0 "bench db on SQLite" -- bench db --bank "$SQ" --clients 1 --accounts 2000 --seconds 0.05 --json
    json_check 'd["bank"] == "sqlite" and all(r["correct"] for r in d["rows"] if r["promises_correct"]) and not any(r["name"] == "pgbench" for r in d["rows"])' \
        "bench db on SQLite: every promising row correct"
fi

if on postgresql; then
    expect 0 "bill json names the bank" -- bill --strategy atomic --lockstep --json --bank "$PG"
    json_check 'd["bank"] == "postgresql"' "json bank field"
    # ---- the other verbs ----
    expect 0 "demo on PostgreSQL" -- demo --bank "$PG" --delay 1ms
    has "$out" 'lost updates +0 +[0-9]+ +0' "demo: serial and mutex lose nothing"
    expect 0 "lost-update for-update on PostgreSQL" -- scenario run lost-update --variant for-update --bank "$PG"
    has "$out" "waits for the other's lock" "for-update waits"
    expect 1 "lost-update read-committed on PostgreSQL" -- scenario run lost-update --variant read-committed --bank "$PG"
    has "$out" 'LOST UPDATE' "read committed loses the update"
    expect 0 "lost-update repeatable-read" -- scenario run lost-update --variant repeatable-read --bank "$PG" --json
    json_check 'd["all_held"] and "40001" in d["variants"][0]["story"]' "repeatable read aborts with 40001"

    # ---- a server session terminated in the middle of a run ----
    expect 3 "kill Target's session at its third bill" -- bill --strategy mutex --bank "$PG" --delay 1ms --kill-session Target:3
    has "$out" '^  applied: +Dave -25, Susan \+100$' "the bills applied are named"
    has "$out" '^  not applied: Mike -300, Steve \+45, James -1000$' "the bills not applied are named"
    has "$out" 'The database is consistent' "nothing half-applied"
    has "$err" 'lost a database connection' "exit 3 says why"
    expect 3 "the same run with --json" -- bill --strategy mutex --bank "$PG" --delay 1ms --kill-session Target:3 --json
    json_check 'd["result"]["consistent"] and d["result"]["bills_lost_connection"] == 3 and d["result"]["bills_applied"] == 22' "kill json"
    expect 2 "kill an unknown merchant" -- bill --strategy mutex --bank "$PG" --kill-session Nobody:1
    expect 2 "kill past the last bill" -- bill --strategy mutex --bank "$PG" --kill-session Target:6
    expect 0 "bench db on PostgreSQL" -- bench db --bank "$PG" --clients 2 --accounts 2000 --seconds 0.05 --json
    json_check 'd["bank"] == "postgresql" and all(r["correct"] for r in d["rows"] if r["promises_correct"]) and [r["name"] for r in d["rows"]][0] == "pgbench" and d["rows"][0]["per_second"] > 0 and not d["rows"][0]["checked"]' \
        "bench db on PostgreSQL: a pgbench row, every promising row correct"
    expect 2 "bench db without a bank" -- bench db
    expect 3 "bench db with a pgbench that is not there" -- bench db --bank "$PG" --clients 1 --accounts 100 --seconds 0.05 --pgbench /nonexistent/pgbench
    has "$err" "pgbench" "a missing pgbench is named"
fi

# ---- nothing of anybody's dropped: a table of the user's named racelab_*,
# and a bank made by 'bank init' with its ledger, are refused by every verb
# that makes a bank (exit 2, naming what is there) and left whole, as
# sqlite3 and psql see them; --force replaces them ----
keep=$(mktemp /tmp/racelab-keep-XXXXXX)
trap 'rm -f "$out" "$err" "$db" "$db-wal" "$db-shm" "$keep" "$keep-wal" "$keep-shm"' EXIT
if on postgresql; then
    psql -X -q "$PG" -c "DROP DATABASE IF EXISTS racelab_test_keep" -c "CREATE DATABASE racelab_test_keep" \
        >/dev/null 2>&1 || { echo "FAIL: cannot create racelab_test_keep"; failures=$((failures + 1)); }
fi
sql() { # BANK STATEMENT: run it on the bank's database, not through racelab
    case $1 in
    sqlite:*) sqlite3 "${1#sqlite:}" "$2" ;;
    *) psql -X -qtA "$1" -c "$2" ;;
    esac
}
still() { # BANK QUERY WANT WHAT: the query still answers WANT
    local got
    got=$(sql "$1" "$2" 2>&1 | tr '\n' ' ')
    if [ "$got" != "$3" ]; then
        echo "FAIL: $4: $2 gives '$got', want '$3'"
        failures=$((failures + 1))
    fi
}
bank="$PG dbname=racelab_test_keep"
on sqlite && bank="sqlite:$keep"
for bank in "$bank"; do
    name=${bank%%:*}
    [ "$name" = "sqlite" ] || name=postgresql
    sql "$bank" "CREATE TABLE racelab_accounts (who text, note text);
                 INSERT INTO racelab_accounts VALUES ('me', 'mine'), ('you', 'yours')" >/dev/null
    expect 2 "$name: init over a table of the user's" -- bank init --bank "$bank" &&
        one_line "$name: init refused"
    has "$err" "racelab_accounts \(2 rows\); --force drops every racelab_\* table there" \
        "$name: init names the user's table and --force"
    for verb in "bill --strategy atomic" "demo --delay 0" "scenario run bill" \
        "scenario run lost-update --variant cas" "trace --delay 0"; do
        # shellcheck disable=SC2086
        expect 2 "$name: $verb over a table of the user's" -- $verb --bank "$bank"
        has "$err" "racelab_accounts \(2 rows\)" "$name: $verb names the user's table"
    done
    still "$bank" "SELECT who || '=' || note FROM racelab_accounts ORDER BY who" "me=mine you=yours " \
        "$name: the user's table and its rows are still there"
    expect 0 "$name: init --force replaces it" -- bank init --bank "$bank" --force
    expect 0 "$name: a cycle billed" -- merchant Costco --bank "$bank" --cycle 1
    for verb in "bill --strategy atomic" "demo --delay 0" "scenario run bill" "trace --delay 0" \
        "bench db --clients 1 --accounts 100 --seconds 0.05"; do
        # shellcheck disable=SC2086
        expect 2 "$name: $verb over a bank init made" -- $verb --bank "$bank"
        has "$err" 'there is a bank there already \(5 accounts, 5 ledger rows, 1 finished cycle\)' \
            "$name: $verb names the bank, its ledger and its cycles"
    done
    expect 2 "$name: scenario run over a bank init made" -- scenario run lost-update --bank "$bank"
    has "$err" 'replace-bank drops' "$name: scenario run names its own option"
    still "$bank" "SELECT count(*) FROM racelab_ledger" "5 " "$name: the ledger is still there"
    expect 0 "$name: the bank still checks" -- bank check --bank "$bank"
    has "$out" '5 ledger rows, 1 finished cycle' "$name: its ledger and cycle"
    # a bank of bill's own: made again freely, but bank init keeps off it
    expect 0 "$name: bill --force replaces the bank" -- bill --strategy atomic --bank "$bank" --force
    expect 0 "$name: bill again replaces its own" -- bill --strategy atomic --bank "$bank"
    expect 2 "$name: init over a scratch bank" -- bank init --bank "$bank"
    has "$err" 'a scratch bank of an earlier run' "$name: init names the scratch bank"
done
on postgresql && psql -X -q "$PG" -c "DROP DATABASE IF EXISTS racelab_test_keep" >/dev/null 2>&1

if [ "$failures" -gt 0 ]; then
    echo "$failures CLI database check(s) failed"
    exit 1
fi
echo "all CLI database checks ($SECTION) passed"
