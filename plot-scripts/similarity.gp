# The T_PC duplicate test made visible: the |similarity| (the run's measure, cosine or Pearson)
# between every pair of a DMN run's kept first-layer filters, each labelled class:rank. The
# colour scale breaks at T_PC: a candidate at or above it against any kept filter is dropped,
# so off-diagonal cells are below T_PC unless the fixed filter count had to relax T_v.
#
#   gnuplot -c plot-scripts/similarity.gp RESULTS_DIR OUT_DIR DATASET [TITLE] [TPC]
#
# Reads similarity_DATASET.csv (i, j, similarity) and similarity_DATASET_labels.csv (i, label);
# writes OUT_DIR/similarity-DATASET.png and .svg.

if (ARGC < 3) { print "usage: gnuplot -c similarity.gp RESULTS_DIR OUT_DIR DATASET [TITLE] [TPC]"; exit status 2 }
indir = ARG1
outdir = ARG2
ds = ARG3
ttl = ARGC >= 4 ? ARG4 : ds
tpc = ARGC >= 5 ? real(ARG5) : 0.9
f = indir."/similarity_".ds.".csv"
lab = indir."/similarity_".ds."_labels.csv"
if (int(system("[ -r '".f."' ] && echo 1 || echo 0")) == 0) { print "similarity: no data: no ".f." (written by repro plot from DMN runs that saved weights). Nothing written."; exit }

set datafile separator ","
stats f using 1 skip 1 nooutput
n = int(STATS_max) + 1
tics = system("awk -F, 'NR > 1 { printf \"%s\\\"%s\\\" %s\", (NR > 2 ? \", \" : \"\"), $2, $1 }' '".lab."'")
eval "set xtics (".tics.") rotate by 45 right noenhanced"
eval "set ytics (".tics.") noenhanced"
set xrange [-0.5:n - 0.5]
set yrange [n - 0.5:-0.5]
set cbrange [0:1]
set palette defined (0 "#ffffff", tpc "#3182bd", tpc "#fd8d3c", 1 "#a50f15")
set cbtics add ("T_PC" tpc)
set size ratio -1
unset key
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size 760,640 font "Sans,10" } else { set terminal png size 760,640 }
    } else {
        set terminal svg size 760,640 font "Sans,10"
    }
    set output outdir."/similarity-".ds.".".fmt
    set title sprintf("Kept filters' similarity, T_PC = %g: %s", tpc, ttl) noenhanced
    plot f using 1:2:3 skip 1 with image, \
         f using 1:2:(n <= 16 ? sprintf("%.2f", $3) : "") skip 1 with labels font ",8"
    set output
}
