# Makespan: each strategy's wall time against the best it could possibly do.
set terminal pngcairo size 1100,460 font "sans,10"
set output results."/makespan.png"
set datafile separator ","
set multiplot layout 1,2 title "makespan: wall time / its best possible (lower is better; goal 1.10)"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.8
set yrange [0:*]
set ylabel "x bound"
set xtics rotate by -35 nomirror
set grid ytics
set key off
# green: correct; red: wrong balances (flagged). The bound: serial M*C*s,
# lock held in the slow step max(M,C)*s, otherwise C*s.
do for [f in "5x5 8x1000"] {
    set title "M x C = ".f
    file = results."/makespan-".f.".csv"
    plot file every ::1 using 0:9:($3 > 0 ? 0x59a14f : 0xe15759):xtic(1) with boxes lc rgb variable, \
         1.0 with lines lc rgb "black" dt 2, 1.1 with lines lc rgb "#b07aa1" dt 3
}
unset multiplot
