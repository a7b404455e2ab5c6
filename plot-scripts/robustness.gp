# Claim robustness: DMN − ConvNet test accuracy (points) against epochs, one line per protocol
# with its 95% interval over seeds as a band; one panel per dataset. Per seed, the difference is
# averaged over the protocol's filter configurations; the accuracy at epoch E is that epoch's
# (rule "final" at budget E). A dotted line marks 0.
#
#   gnuplot -c plot-scripts/robustness.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/robustness_curves.csv, which `repro plot` writes; writes
# OUT_DIR/robustness.png and OUT_DIR/robustness.svg (OUT_DIR defaults to RESULTS_DIR). Without
# that table, or with no rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 series, 3 series_label, 4 epoch, 5 n, 6 mean, 7 lo, 8 hi (points).

if (ARGC < 1) { print "usage: gnuplot -c robustness.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/robustness_curves.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("robustness: no data: %s %s; it is written by 'repro plot %s' when the results hold DMN and ConvNet runs with a per-epoch history. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
# Dataset names have no spaces but "-" (CIFAR-10); keep them as words.
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
# Legend text: the series label with the column names shortened.
label(d, s) = system("awk -F, -v d='".d."' -v s='".s."' 'NR > 1 && $1 == d && $2 == s { l = $3; gsub(/preprocessing=/, \"\", l); gsub(/activation=/, \"act=\", l); gsub(/normalization=/, \"norm=\", l); gsub(/patch_stride=/, \"stride=\", l); gsub(/similarity=/, \"\", l); gsub(/batch_size=/, \"batch=\", l); gsub(/validation=/, \"val=\", l); gsub(/train_limit=/, \"n=\", l); print l; exit }' '".data."'")

set grid lc rgb "#dddddd"
set key below vertical maxcols 1 noenhanced font ",8"
set ylabel "DMN − ConvNet test accuracy (points)"
set xlabel "epochs"
set xtics nomirror
set ytics nomirror
set style fill transparent solid 0.15 noborder

do for [fmt in "png svg"] {
    w = 120 + 520 * npanels
    w = w < 720 ? 720 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,820 font "Sans,11" enhanced } else { set terminal png size w,820 enhanced }
    } else {
        set terminal svg size w,820 font "Sans,11" enhanced
    }
    set output outdir."/robustness.".fmt
    set multiplot layout 1,npanels title "Claim robustness: DMN − ConvNet against training epochs, one line per protocol\nmean over seeds of the per-seed difference (averaged over filter configurations); band: 95% t interval" noenhanced
    do for [d in datasets] {
        series = system("awk -F, -v d='".d."' 'NR > 1 && $1 == d && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        set title d noenhanced
        cmd = ""
        do for [s in series] {
            sel = "(strcol(1) eq '".d."' && $2 == ".s." ? $4 : NaN)"
            cmd = cmd.sprintf(", data using %s:7:8 with filledcurves lc %d notitle", sel, int(s) + 1)
            cmd = cmd.sprintf(", data using %s:6 with linespoints lw 2 pt 7 ps 0.5 lc %d title '%s'", sel, int(s) + 1, label(d, s))
        }
        cmd = cmd.", 0 with lines dt 3 lc rgb 'black' notitle"
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
