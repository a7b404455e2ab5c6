# Fig. 1: smoothed de-trended convergence rate λ of each hidden layer against the number of
# training images seen, one panel per dataset (mean over the dataset's convergence runs).
#
#   gnuplot -c plot-scripts/fig1.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/fig1_lambda.csv, which `repro plot` writes (lambda.csv joined with runs.csv
# for kind convergence); writes OUT_DIR/fig1.png and OUT_DIR/fig1.svg (OUT_DIR defaults to
# RESULTS_DIR). Without that table, or with no rows in it, prints why and exits with status 0,
# writing nothing.
# Columns: 1 dataset, 2 layer, 3 step, 4 images_seen, 5 smoothed, 6 runs.

if (ARGC < 1) { print "usage: gnuplot -c fig1.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/fig1_lambda.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("fig1: no data: %s %s; it is written by 'repro plot %s' when the results hold convergence runs with lambda records. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
layers = system("awk -F, 'NR > 1 { print $2 }' '".data."' | sort -n | uniq | tr '\\n' ' '")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"

set grid lc rgb "#dddddd"
set key below horizontal maxrows 1 samplen 2 noenhanced
set bmargin 5
set xlabel "training images seen"
set ylabel "smoothed de-trended λ"
set format x "%.0s%c"
set xtics nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 460 * npanels
    w = w < 720 ? 720 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,440 font "Sans,11" enhanced } else { set terminal png size w,440 enhanced }
    } else {
        set terminal svg size w,440 font "Sans,11" enhanced
    }
    set output outdir."/fig1.".fmt
    set multiplot layout 1,npanels title "Fig. 1: convergence rate λ per hidden layer\nde-trended (λ / mean over layers − 1), moving average; dotted: first 10% of steps" noenhanced
    do for [ds in datasets] {
        # The early window of the report's Fig. 1 check: the first 10% of recorded steps.
        x10 = real(system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d && $3 > m { m = $3; x = $4 } END { printf \"%.6g\", x * 0.1 }' '".data."'"))
        unset arrow
        set arrow from x10, graph 0 to x10, graph 1 nohead dt 3 lc rgb "#888888"
        set arrow from graph 0, first 0 to graph 1, first 0 nohead lc rgb "#bbbbbb"
        set title ds noenhanced
        plot for [l in layers] data using (strcol(1) eq ds && $2 == l + 0 ? $4 : NaN):5 with lines lw 1.5 title "layer ".l
    }
    unset multiplot
    set output
}
