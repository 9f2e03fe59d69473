#!/bin/sh
# make bench: the benchmarks with fixed parameters, CSV into
# bench/results/, charts drawn with gnuplot. The database rows run against
# a throwaway PostgreSQL server (scripts/pg-server.sh) and a temporary
# SQLite file. Usage: bench/run.sh RACELAB
set -eu
RL=${1:?usage: bench/run.sh PATH/TO/racelab}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/results"
mkdir -p "$out"

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel: $(uname -r)"
    echo "commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$out/machine.txt"
cat "$out/machine.txt"

echo "makespan 5 x 5, 10 ms ..."
"$RL" bench makespan --merchants 5 --customers 5 --delay 10ms --csv >"$out/makespan-5x5.csv"
echo "makespan 8 x 1000, 1 ms (about 25 s) ..."
"$RL" bench makespan --merchants 8 --customers 1000 --delay 1ms --csv >"$out/makespan-8x1000.csv"
for skew in uniform zipf; do
    echo "throughput, 1000000 accounts, $skew (about a minute) ..."
    "$RL" bench throughput --threads 1,2,4 --accounts 1000000 --skew "$skew" --seconds 1 \
        --seed 1 --csv >"$out/throughput-$skew.csv"
done

pgdir=$(mktemp -d /tmp/racelab-bench-pg.XXXXXX)
sqlite=$(mktemp /tmp/racelab-bench-XXXXXX)
trap '"$here/../scripts/pg-server.sh" stop "$pgdir"; rm -rf "$pgdir" "$sqlite" "$sqlite-wal" "$sqlite-shm"' EXIT INT TERM
"$here/../scripts/pg-server.sh" start "$pgdir" >/dev/null
echo "database throughput, PostgreSQL, 100000 accounts, 1/2/4 clients (about 3 minutes) ..."
"$RL" bench db --bank "$(cat "$pgdir/conninfo")" --clients 1,2,4 --accounts 100000 \
    --seconds 2 --seed 1 --csv >"$out/db-postgresql.csv"
echo "database throughput, SQLite, 100000 accounts, 1/2/4 clients (about 2 minutes) ..."
"$RL" bench db --bank "sqlite:$sqlite" --clients 1,2,4 --accounts 100000 \
    --seconds 2 --seed 1 --csv >"$out/db-sqlite.csv"

echo "explorer speed, racelab's targets and a user's program ..."
cc -g -O2 -pthread -o "$pgdir/two_locks" "$here/../tests/programs/two_locks.c"
"$RL" bench explore --csv -- "$pgdir/two_locks" >"$out/explore.csv"
cat "$out/explore.csv"

gnuplot -e "results='$out'" "$here/makespan.gp"
gnuplot -e "results='$out'" "$here/throughput.gp"
gnuplot -e "results='$out'" "$here/db.gp"
# each table also as one web page of charts, drawn by racelab itself
for csv in "$out"/*.csv; do
    "$RL" draw "$csv" --html "${csv%.csv}.html"
done
echo "wrote $out: CSV files, makespan.png, throughput.png, db.png, a page of charts per CSV"
