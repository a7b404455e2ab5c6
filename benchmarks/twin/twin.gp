# The Keras twin: repro's and Keras's test accuracy against epochs, one panel per filter
# configuration. Per model (and ConvNet initialiser), repro is a solid line, Keras a dashed line
# of the same colour, each the mean over seeds; the band around each is ±1 standard deviation
# across seeds (Keras's band is the seed-to-seed spread the twin judges agreement by).
#
#   gnuplot -c benchmarks/twin/twin.gp OUT_DIR
#
# Reads OUT_DIR/twin_curves.csv, which benchmarks/twin/twin.py writes; writes OUT_DIR/twin.png
# and OUT_DIR/twin.svg. Without that table, or with no rows in it, prints why and exits with
# status 0, writing nothing.
# Columns: 1 panel, 2 filters ("4-15"), 3 series, 4 series_label, 5 framework, 6 epoch, 7 mean, 8 lo, 9 hi (percent).

if (ARGC < 1) { print "usage: gnuplot -c twin.gp OUT_DIR"; exit status 2 }
outdir = ARG1
data = outdir."/twin_curves.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("twin: no data: %s %s; it is written by benchmarks/twin/twin.py. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"))
    exit
}

set datafile separator ","
set datafile missing "nan"
panels = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(panels)
# Series in order of first appearance over the whole table, so a series keeps its colour in every panel.
allseries = system("awk -F, 'NR > 1 && !seen[$3]++ { printf \"%s \", $3 }' '".data."'")
colour(s) = (s eq "dmn") ? "#1f77b4" : (s eq "convnet-glorot-uniform") ? "#d62728" : (s eq "convnet-he") ? "#ff7f0e" : (s eq "pca") ? "#2ca02c" : (s eq "random") ? "#9467bd" : "#555555"
seriesof(p) = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p && !seen[$3]++ { printf \"%s \", $3 }' '".data."'")
labelof(s) = system("awk -F, -v s='".s."' 'NR > 1 && $3 == s { print $4; exit }' '".data."'")
filtersof(p) = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p { f = $2; gsub(/-/, \",\", f); print f; exit }' '".data."'")
maxepoch = int(system("awk -F, 'NR > 1 && $6 + 0 > m + 0 { m = $6 } END { print m + 0 }' '".data."'"))
ncols = npanels < 3 ? npanels : 3
nrows = int((npanels + ncols - 1) / ncols)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"

set grid lc rgb "#dddddd"
set key bottom right vertical noenhanced font ",8" spacing 0.9 samplen 2.5
set ylabel "test accuracy (%)"
set xlabel "epochs"
set xtics nomirror
set ytics nomirror
if (maxepoch <= 10) { set xtics 1 }
set xrange [1:maxepoch]
set style fill transparent solid 0.12 noborder

do for [fmt in "png svg"] {
    w = 80 + 480 * ncols
    h = 140 + 400 * nrows
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,h font "Sans,11" enhanced } else { set terminal png size w,h enhanced }
    } else {
        set terminal svg size w,h font "Sans,11" enhanced
    }
    set output outdir."/twin.".fmt
    set multiplot layout nrows,ncols title "Keras twin: repro (solid) and Keras (dashed) test accuracy per epoch, mean over seeds; bands ±1 SD across seeds" noenhanced
    do for [p in panels] {
        set title "filters ".filtersof(p) noenhanced
        cmd = ""
        do for [s in seriesof(p)] {
            c = colour(s)
            lab = labelof(s)
            do for [fw in "repro keras"] {
                sel = "(($1 == ".p." && strcol(3) eq '".s."' && strcol(5) eq '".fw."') ? $6 : NaN)"
                dash = (fw eq "repro") ? 1 : 2
                pt = (fw eq "repro") ? 7 : 6
                cmd = cmd.sprintf(", data using %s:8:9 with filledcurves lc rgb '%s' notitle", sel, c)
                cmd = cmd.sprintf(", data using %s:7 with linespoints lw 2 dt %d pt %d ps 0.45 lc rgb '%s' title '%s %s'", sel, dash, pt, c, lab, (fw eq "repro" ? "repro" : "Keras"))
            }
        }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    unset output
}
