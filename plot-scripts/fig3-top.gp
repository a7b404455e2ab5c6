# Fig. 3 (top): test accuracy per filter configuration, DMN and ConvNet side by side
# (mean over seeds, error bars ±1 std), the baseline as a dashed line; one panel per dataset.
#
#   gnuplot -c plot-scripts/fig3-top.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/fig3_top.csv, which `repro plot` writes; writes OUT_DIR/fig3-top.png and
# OUT_DIR/fig3-top.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no rows
# in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 x, 3 label, 4 dmn_n, 5 dmn_mean, 6 dmn_err, 7 convnet_n, 8 convnet_mean,
# 9 convnet_err, 10 baseline_n, 11 baseline_mean, 12 baseline_err (accuracies in percent),
# 13 dmn_infeasible (DMN runs the method cannot build: marked "infeasible" where the bar would be).

if (ARGC < 1) { print "usage: gnuplot -c fig3-top.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/fig3_top.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("fig3-top: no data: %s %s; it is written by 'repro plot %s' when the results hold classify runs of dmn or convnet. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"


set style fill solid 0.75 border -1
set boxwidth 0.36 absolute
set grid ytics lc rgb "#dddddd"
set key below horizontal noenhanced
set ylabel "test accuracy (%)"
set xtics nomirror scale 0
# Room below for the tic labels (as many lines as the longest label has words), the axis label
# and the key, the same in every panel (gnuplot's own layout lets them overlap).
lines = int(system("awk -F, 'NR > 1 { n = split($3, w, \" \"); if (n > m) m = n } END { print m + 0 }' '".data."'"))
set bmargin 5 + lines
set xlabel "filters per conv layer" offset 0, -(lines - 1)
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 480 * npanels
    w = w < 720 ? 720 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,520 font "Sans,11" enhanced } else { set terminal png size w,520 enhanced }
    } else {
        set terminal svg size w,520 font "Sans,11" enhanced
    }
    set output outdir."/fig3-top.".fmt
    set multiplot layout 1,npanels title "Fig. 3: test accuracy per filter configuration\nmean ± std over seeds; dashed: baseline" noenhanced
    do for [ds in datasets] {
        # y range: the means ± std of this panel, padded; x tics: the configuration labels.
        r = system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { for (i = 5; i <= 11; i += 3) if ($i != \"nan\") { lo = $i - $(i+1); hi = $i + $(i+1); if (n == 0 || lo < mn) mn = lo; if (n == 0 || hi > mx) mx = hi; n++ } } END { if (n) print mn, mx; else print \"0 100\" }' '".data."'")
        ylo = real(word(r, 1)); yhi = real(word(r, 2))
        pad = (yhi - ylo) * 0.25 > 1 ? (yhi - ylo) * 0.25 : 1
        ylo = ylo - pad < 0 ? 0 : ylo - pad
        yhi = yhi + pad > 100 ? 100 : yhi + pad
        set yrange [ylo:yhi]
        nconf = int(system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { n++ } END { print n }' '".data."'"))
        # Tic labels: one line per word ("4+15 (tpc=0.5 …)" stacks its settings under the filters).
        tics = system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { l = $3; gsub(/ /, \"\\\\n\", l); printf \"%s\\\"%s\\\" %s\", (k++ ? \", \" : \"\"), l, $2 }' '".data."'")
        eval "set xtics (".tics.") noenhanced"
        set xrange [0.4:nconf + 0.6]
        set title ds noenhanced
        # Only the series this panel has (columns 5, 8, 11 not all nan), so gnuplot has no empty plots to warn about.
        has = system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { if ($5 != \"nan\") a = 1; if ($8 != \"nan\") b = 1; if ($11 != \"nan\") c = 1 } END { print a + 0, b + 0, c + 0 }' '".data."'")
        sel = "(strcol(1) eq '".ds."' ? $2"
        cmd = ""
        if (int(word(has, 1))) { cmd = cmd.", data using ".sel." - 0.19 : NaN):5:6 with boxerrorbars lc rgb '#1f77b4' title 'DMN'" }
        if (int(word(has, 2))) { cmd = cmd.", data using ".sel." + 0.19 : NaN):8:9 with boxerrorbars lc rgb '#ff7f0e' title 'ConvNet'" }
        if (int(word(has, 3))) { cmd = cmd.", data using ".sel." - 0.5 : NaN):11:(1.0):(0) with vectors nohead dt 2 lw 2 lc rgb 'black' title 'baseline'" }
        infeasible = int(system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d && $13 > 0 && $4 == 0 { n++ } END { print n + 0 }' '".data."'"))
        if (infeasible) { cmd = cmd.", data using ".sel." - 0.19 : NaN):(ylo + (yhi - ylo) * 0.05):((column(13) > 0 && column(4) == 0) ? 'infeasible' : '') with labels rotate by 90 left textcolor rgb '#1f77b4' notitle" }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
