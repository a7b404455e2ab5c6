# Why T_v keeps the count it does: for a DMN run, per layer (rows), the eigenvalue spectrum of
# each class's density matrix ρ_c as the share of its trace per rank (left, log scale), and the
# cumulative explained share (right) with T_v as a dashed line; a dot marks where each class's
# cumulative share first reaches T_v, i.e. how many of its eigenvectors the T_v cut keeps.
#
#   gnuplot -c plot-scripts/spectra.gp RESULTS_DIR OUT_DIR DATASET [TITLE]
#
# Reads spectra_DATASET.csv (1 layer, 2 class, 3 rank (1-based), 4 eigenvalue, 5 share,
# 6 cumulative, 7 tv) and spectra_DATASET_kept.csv (1 layer, 2 class, 3 kept, 4 tv,
# 5 cumulative_at_kept, 6 dimension); writes OUT_DIR/spectra-DATASET.png and .svg.

if (ARGC < 3) { print "usage: gnuplot -c spectra.gp RESULTS_DIR OUT_DIR DATASET [TITLE]"; exit status 2 }
indir = ARG1
outdir = ARG2
ds = ARG3
ttl = ARGC >= 4 ? ARG4 : ds
f = indir."/spectra_".ds.".csv"
k = indir."/spectra_".ds."_kept.csv"
if (int(system("[ -r '".f."' ] && echo 1 || echo 0")) == 0) { print "spectra: no data: no ".f." (written by repro plot from DMN runs that saved weights). Nothing written."; exit }

set datafile separator ","
stats f using 1 skip 1 nooutput
layers = int(STATS_max)
stats f using 2 skip 1 nooutput
classes = int(STATS_max) + 1
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced
set xtics nomirror
set ytics nomirror
h = 120 + 340 * layers
do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size 1200,h font "Sans,10" } else { set terminal png size 1200,h }
    } else {
        set terminal svg size 1200,h font "Sans,10"
    }
    set output outdir."/spectra-".ds.".".fmt
    set multiplot layout layers,2 title "Class spectra and the T_v cut: ".ttl noenhanced
    do for [L=1:layers] {
        stats f using ($1 == L ? $7 : NaN) skip 1 nooutput
        tv = STATS_max
        set logscale y
        set format y "%g"
        set xlabel sprintf("eigenvalue rank (layer %d)", L)
        set ylabel "share of the trace of ρ_c"
        set title sprintf("layer %d: spectrum of each class", L) noenhanced
        unset key
        plot for [c=0:classes-1] f using ($1 == L && $2 == c ? $3 : NaN):($5 > 0 ? $5 : NaN) skip 1 with linespoints pt 7 ps 0.4 lc c+1 notitle
        unset logscale y
        set format y "%g"
        set ylabel "cumulative share"
        set title sprintf("layer %d: cumulative share, T_v = %g dashed; dot = count kept", L, tv) noenhanced
        set key outside right top vertical
        set yrange [*:1.005]
        plot for [c=0:classes-1] f using ($1 == L && $2 == c ? $3 : NaN):6 skip 1 with lines lc c+1 title sprintf("class %d", c), \
             tv with lines dt 2 lw 2 lc rgb "black" title "T_v", \
             k using ($1 == L ? $3 : NaN):5:($2 + 1) skip 1 with points pt 7 ps 1.2 lc variable notitle
        set autoscale y
    }
    unset multiplot
    set output
}
