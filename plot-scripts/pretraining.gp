# DMN filters as pretraining (issue 24 item 5): test accuracy of the hybrid (started from the
# DMN's filters, fine-tuned end to end; solid) and the ConvNet (started from its initialiser;
# dashed) of each configuration and protocol in the same colour, one point per epoch (means
# over seeds): top row against epochs, bottom row against wall seconds since the run's start
# (the hybrid's include the DMN build; log scale); one column per dataset.
#
#   gnuplot -c plot-scripts/pretraining.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/pretraining.csv, which `repro plot` writes; writes OUT_DIR/pretraining.png
# and OUT_DIR/pretraining.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no
# rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 series, 3 series_label, 4 model (hybrid, convnet), 5 epoch, 6 n,
# 7 seconds, 8 acc (percent).

if (ARGC < 1) { print "usage: gnuplot -c pretraining.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/pretraining.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("pretraining: no data: %s %s; it is written by 'repro plot %s' when the results hold hybrid and ConvNet runs with a per-epoch history. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
label(d, s) = system("awk -F, -v d='".d."' -v s='".s."' 'NR > 1 && $1 == d && $2 == s { print $3; exit }' '".data."'")

set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced font ",9"
set ylabel "test accuracy (%)"
set xtics nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 760 * npanels
    w = w < 900 ? 900 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,900 font "Sans,11" enhanced } else { set terminal png size w,900 enhanced }
    } else {
        set terminal svg size w,900 font "Sans,11" enhanced
    }
    set output outdir."/pretraining.".fmt
    set multiplot layout 2,npanels columnsfirst title "DMN filters as pretraining: test accuracy, mean over seeds\nsolid: hybrid (DMN filters, fine-tuned); dashed: ConvNet (initialiser)" noenhanced
    do for [d in datasets] {
        series = system("awk -F, -v d='".d."' 'NR > 1 && $1 == d && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        do for [xcol in "5 7"] {
            if (xcol eq "5") { unset logscale x; set xlabel "epoch"; set title d noenhanced } else { set logscale x; set xlabel "wall seconds since the run's start (log scale)"; set title d." (time)" noenhanced }
            cmd = ""
            do for [s in series] {
                hsel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'hybrid' ? $".xcol." : NaN)"
                csel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'convnet' ? $".xcol." : NaN)"
                cmd = cmd.sprintf(", data using %s:8 with linespoints lw 2 pt 7 ps 0.5 lc %d title 'hybrid %s'", hsel, int(s), label(d, s))
                cmd = cmd.sprintf(", data using %s:8 with linespoints dt 2 lw 2 pt 6 ps 0.5 lc %d title 'ConvNet %s'", csel, int(s), label(d, s))
            }
            eval "plot ".cmd[3:]
        }
    }
    unset multiplot
    set output
}
