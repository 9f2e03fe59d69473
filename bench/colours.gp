# Fourteen distinguishable line colours, one per row name of the charts.
set linetype 1 lc rgb "#000000" pt 1
set linetype 2 lc rgb "#e41a1c" pt 2
set linetype 3 lc rgb "#377eb8" pt 3
set linetype 4 lc rgb "#4daf4a" pt 4
set linetype 5 lc rgb "#984ea3" pt 5
set linetype 6 lc rgb "#ff7f00" pt 6
set linetype 7 lc rgb "#a6761d" pt 7
set linetype 8 lc rgb "#f781bf" pt 8
set linetype 9 lc rgb "#999999" pt 9
set linetype 10 lc rgb "#1b9e77" pt 10
set linetype 11 lc rgb "#7570b3" pt 11
set linetype 12 lc rgb "#e6ab02" pt 12
set linetype 13 lc rgb "#66a61e" pt 13
set linetype 14 lc rgb "#d95f02" pt 14
set linetype cycle 14
