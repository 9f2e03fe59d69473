#!/bin/sh
# make bench: both benchmarks with fixed parameters, CSV into
# bench/results/, charts drawn with gnuplot. Usage: bench/run.sh RACELAB
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

echo "explorer speed ..."
"$RL" bench explore --csv >"$out/explore.csv"
cat "$out/explore.csv"

gnuplot -e "results='$out'" "$here/makespan.gp"
gnuplot -e "results='$out'" "$here/throughput.gp"
echo "wrote $out: CSV files, makespan.png, throughput.png"
