# Database throughput: bills per second against clients, every strategy, on
# PostgreSQL (with pgbench running the atomic bill's UPDATE as the
# reference) and on SQLite.
set terminal pngcairo size 1100,460 font "sans,10"
set output results."/db.png"
set datafile separator ","
load results."/../colours.gp"
set multiplot layout 1,2 title "database throughput, 100,000 accounts, no slow step (log scale)"
set logscale y
set xlabel "clients (connections)"
set ylabel "bills per second"
set xtics 1
set grid
set key outside right top font ",8"
strategies = "racy mutex staggered global atomic cas trylock processor advisory repeatable-read serializable batch"
rows(n, f) = sprintf("< awk -F, '$1 == \"%s\"' %s", n, f)
do for [engine in "postgresql sqlite"] {
    set title engine
    file = results."/db-".engine.".csv"
    # pgbench is the reference on PostgreSQL only; a name keeps its colour
    names = "pgbench ".strategies
    first = engine eq "postgresql" ? 1 : 2
    plot for [i=first:words(names)] rows(word(names, i), file) using 2:9 \
        with linespoints lt i title word(names, i)
}
unset multiplot
