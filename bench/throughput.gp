# Throughput: bills per second against threads, every strategy and the two
# references (plain: unsynchronized, wrong; serial: one thread).
set terminal pngcairo size 1100,460 font "sans,10"
set output results."/throughput.png"
set datafile separator ","
load results."/../colours.gp"
set multiplot layout 1,2 title "throughput, 1,000,000 accounts (log scale; plain is wrong, the speed limit)"
set logscale y
set xlabel "threads"
set ylabel "bills per second"
set xtics 1
set grid
set key outside right top font ",8"
names = "serial plain racy mutex staggered global atomic cas trylock processor advisory repeatable-read serializable batch"
rows(n, f) = sprintf("< awk -F, '$1 == \"%s\"' %s", n, f)
do for [skew in "uniform zipf"] {
    set title skew
    file = results."/throughput-".skew.".csv"
    plot for [n in names] rows(n, file) using 2:9 with linespoints title n
}
unset multiplot
