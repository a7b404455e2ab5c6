# Learning curves (issue 24 item 1, less data than SGD): test accuracy against the number of
# training images n (log axis), DMN (solid) and ConvNet (dashed) of each filter configuration in
# the same colour, mean over seeds with its 95% t interval as error bars; one column of panels
# per dataset, one row per training budget (equal epochs, or a fixed number of SGD steps).
#
#   gnuplot -c plot-scripts/learning-curve.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/learning_curve.csv, which `repro plot` writes; writes
# OUT_DIR/learning-curve.png and OUT_DIR/learning-curve.svg (OUT_DIR defaults to RESULTS_DIR).
# Without that table, or with no rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 panel, 3 panel_label, 4 series, 5 series_label, 6 model (dmn, convnet),
# 7 n, 8 seeds, 9 mean, 10 lo, 11 hi (percent).

if (ARGC < 1) { print "usage: gnuplot -c learning-curve.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/learning_curve.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("learning-curve: no data: %s %s; it is written by 'repro plot %s' when the results hold DMN and ConvNet runs at several data.trainLimit values. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
ncols = words(datasets)
nrows = int(system("awk -F, 'NR > 1 && $2 > m { m = $2 } END { print m }' '".data."'"))
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
field(d, p, col) = system("awk -F, -v d='".d."' -v p='".p."' 'NR > 1 && $1 == d && $2 == p { print $".col."; exit }' '".data."'")
serieslabel(d, p, s) = system("awk -F, -v d='".d."' -v p='".p."' -v s='".s."' 'NR > 1 && $1 == d && $2 == p && $4 == s { print $5; exit }' '".data."'")

set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced font ",9"
set ylabel "test accuracy (%)"
set xlabel "training images n (log scale)"
set logscale x
set xtics nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 720 * ncols
    h = 80 + 420 * nrows
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,h font "Sans,11" enhanced } else { set terminal png size w,h enhanced }
    } else {
        set terminal svg size w,h font "Sans,11" enhanced
    }
    set output outdir."/learning-curve.".fmt
    set multiplot layout nrows,ncols columnsfirst title "Learning curves: test accuracy against training images, mean over seeds with 95% CI\nsolid: DMN (filters from T_frac of the n images); dashed: ConvNet" noenhanced
    do for [d in datasets] {
        do for [p = 1:nrows] {
            series = system("awk -F, -v d='".d."' -v p='".p."' 'NR > 1 && $1 == d && $2 == p && !seen[$4]++ { printf \"%s \", $4 }' '".data."'")
            if (words(series) == 0) {
                set multiplot next
            } else {
                set title d.", ".field(d, p, 3) noenhanced
                cmd = ""
                do for [s in series] {
                    sel = "strcol(1) eq '".d."' && $2 == ".p." && $4 == ".s
                    dsel = "((".sel." && strcol(6) eq 'dmn') ? $7 : NaN)"
                    csel = "((".sel." && strcol(6) eq 'convnet') ? $7 : NaN)"
                    l = serieslabel(d, p, s)
                    cmd = cmd.sprintf(", data using %s:9:10:11 with yerrorlines lw 2 pt 7 ps 0.6 lc %d title 'DMN %s'", dsel, int(s), l)
                    cmd = cmd.sprintf(", data using %s:9:10:11 with yerrorlines dt 2 lw 2 pt 6 ps 0.6 lc %d title 'ConvNet %s'", csel, int(s), l)
                }
                eval "plot ".cmd[3:]
            }
        }
    }
    unset multiplot
    set output
}
