# Fig. 2 (bottom): fluctuations of the class density matrices as training images are added.
# Left: histogram (density) of the scaled eigenvalue increments N·Δλ/λ with the normal density
# of the same mean and standard deviation (dashed). Right: their variance against N (log x).
#
#   gnuplot -c plot-scripts/fig2.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/fig2_histogram.csv and RESULTS_DIR/fig2_variance.csv, which `repro plot`
# writes from fluctuation.csv and fluctuation_summary.csv; writes OUT_DIR/fig2.png and
# OUT_DIR/fig2.svg (OUT_DIR defaults to RESULTS_DIR). A panel whose table is missing is left
# out; without either table, prints why and exits with status 0, writing nothing.
# fig2_histogram.csv: 1 lo, 2 hi, 3 center, 4 count, 5 density, 6 normal.
# fig2_variance.csv:  1 n_from, 2 n_to, 3 n_mid, 4 count, 5 mean, 6 variance.

if (ARGC < 1) { print "usage: gnuplot -c fig2.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
hist = indir."/fig2_histogram.csv"
vari = indir."/fig2_variance.csv"
count(f) = int(system("if [ -r '".f."' ]; then awk 'END { print NR - 1 }' '".f."'; else echo -1; fi"))
hrows = count(hist)
vrows = count(vari)
if (hrows < 1 && vrows < 1) {
    print sprintf("fig2: no data: neither %s nor %s has rows; they are written by 'repro plot %s' when the results hold fluctuation runs (fluctuation.csv, fluctuation_summary.csv). Nothing written.", hist, vari, indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
npanels = (hrows > 0) + (vrows > 0)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
if (vrows > 0) {
    # Log y as well when the variances span more than a factor of 20.
    vr = system("awk -F, 'NR > 1 && $6 > 0 { if (n == 0 || $6 < mn) mn = $6; if ($6 > mx) mx = $6; n++ } END { print (n && mx / mn > 20) ? 1 : 0 }' '".vari."'")
    logy = int(vr)
}

set grid lc rgb "#dddddd"
set key below horizontal noenhanced
set bmargin 6
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
    set output outdir."/fig2.".fmt
    set multiplot layout 1,npanels title "Fig. 2: fluctuations of the class density matrices" noenhanced
    if (hrows > 0) {
        unset logscale
        set style fill solid 0.5 border lc rgb "#1f77b4"
        set xlabel "scaled increment N Δλ_μ / λ_μ"
        set ylabel "density"
        set title "histogram of the scaled increments (central 99%)" noenhanced
        plot hist using 3:5:($2 - $1) with boxes lc rgb "#1f77b4" title "increments", \
             hist using 3:6 with lines dt 2 lw 2 lc rgb "black" title "normal, same mean and std"
    }
    if (vrows > 0) {
        set logscale x
        if (logy) { set logscale y }
        set xlabel "N (images in the density matrix)"
        set ylabel "variance of the scaled increments"
        set title "variance against N (buckets of N)" noenhanced
        plot vari using 3:6 with linespoints lw 2 pt 7 lc rgb "#d62728" notitle
        unset logscale
    }
    unset multiplot
    set output
}
