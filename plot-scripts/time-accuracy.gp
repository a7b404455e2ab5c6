# Time to a given accuracy (issue 24 item 2): test accuracy against wall seconds since the run's
# start, DMN (solid: build + one pass of frozen features + softmax epochs) and ConvNet (dashed:
# its epochs) of each Fig. 3 configuration in the same colour, one point per epoch (means over
# seeds); one panel per dataset, logarithmic time axis, the legend beside each panel.
#
#   gnuplot -c plot-scripts/time-accuracy.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/time_accuracy.csv, which `repro plot` writes; writes OUT_DIR/time-accuracy.png
# and OUT_DIR/time-accuracy.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no
# rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 series, 3 series_label, 4 model (dmn, convnet), 5 epoch, 6 n, 7 seconds,
# 8 acc (percent).

if (ARGC < 1) { print "usage: gnuplot -c time-accuracy.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/time_accuracy.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("time-accuracy: no data: %s %s; it is written by 'repro plot %s' when the results hold DMN and ConvNet runs with a per-epoch history. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
# Dataset names have no spaces but "-" (CIFAR-10); keep them as words.
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
label(d, s) = system("awk -F, -v d='".d."' -v s='".s."' 'NR > 1 && $1 == d && $2 == s { print $3; exit }' '".data."'")

set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced font ",9"
set ylabel "test accuracy (%)"
set xlabel "wall seconds since the run's start (log scale)"
set logscale x
set xtics nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 720 * npanels
    w = w < 860 ? 860 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,520 font "Sans,11" enhanced } else { set terminal png size w,520 enhanced }
    } else {
        set terminal svg size w,520 font "Sans,11" enhanced
    }
    set output outdir."/time-accuracy.".fmt
    set multiplot layout 1,npanels title "Time to a given accuracy: test accuracy against wall time, mean over seeds\nsolid: DMN (build + features + softmax epochs); dashed: ConvNet" noenhanced
    do for [d in datasets] {
        series = system("awk -F, -v d='".d."' 'NR > 1 && $1 == d && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        set title d noenhanced
        cmd = ""
        do for [s in series] {
            dsel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'dmn' ? $7 : NaN)"
            csel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'convnet' ? $7 : NaN)"
            cmd = cmd.sprintf(", data using %s:8 with linespoints lw 2 pt 7 ps 0.6 lc %d title 'DMN %s'", dsel, int(s), label(d, s))
            cmd = cmd.sprintf(", data using %s:8 with linespoints dt 2 lw 2 pt 6 ps 0.6 lc %d title 'ConvNet %s'", csel, int(s), label(d, s))
        }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
