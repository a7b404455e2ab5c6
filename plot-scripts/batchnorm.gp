# Batch normalisation (issue 24 item 6): test accuracy per Fig. 3 filter configuration of the
# ConvNet and the DMN without and with batch normalisation after each conv layer (mean over
# seeds, error bars ±1 std); one panel per dataset.
#
#   gnuplot -c plot-scripts/batchnorm.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/batchnorm.csv, which `repro plot` writes; writes OUT_DIR/batchnorm.png and
# OUT_DIR/batchnorm.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no rows
# in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 x, 3 label, 4 convnet_mean, 5 convnet_err, 6 convnet_bn_mean,
# 7 convnet_bn_err, 8 dmn_mean, 9 dmn_err, 10 dmn_bn_mean, 11 dmn_bn_err (percent).

if (ARGC < 1) { print "usage: gnuplot -c batchnorm.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/batchnorm.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("batchnorm: no data: %s %s; it is written by 'repro plot %s' when the results hold dmn and convnet runs with and without training.batchNorm. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
datasets = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(datasets)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"

set style fill solid 0.75 border -1
set boxwidth 0.19 absolute
set grid ytics lc rgb "#dddddd"
set key below horizontal noenhanced
set ylabel "test accuracy (%)"
set xlabel "filters per conv layer"
set xtics nomirror scale 0
set ytics nomirror
set bmargin 6

do for [fmt in "png svg"] {
    w = 120 + 480 * npanels
    w = w < 720 ? 720 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,520 font "Sans,11" enhanced } else { set terminal png size w,520 enhanced }
    } else {
        set terminal svg size w,520 font "Sans,11" enhanced
    }
    set output outdir."/batchnorm.".fmt
    set multiplot layout 1,npanels title "Batch normalisation: test accuracy per filter configuration\nmean ± std over seeds" noenhanced
    do for [ds in datasets] {
        # y range: the means ± std of this panel, padded.
        r = system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { for (i = 4; i <= 10; i += 2) if ($i != \"nan\") { lo = $i - $(i+1); hi = $i + $(i+1); if (n == 0 || lo < mn) mn = lo; if (n == 0 || hi > mx) mx = hi; n++ } } END { if (n) print mn, mx; else print \"0 100\" }' '".data."'")
        ylo = real(word(r, 1)); yhi = real(word(r, 2))
        pad = (yhi - ylo) * 0.25 > 1 ? (yhi - ylo) * 0.25 : 1
        ylo = ylo - pad < 0 ? 0 : ylo - pad
        yhi = yhi + pad > 100 ? 100 : yhi + pad
        set yrange [ylo:yhi]
        nconf = int(system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { n++ } END { print n }' '".data."'"))
        tics = system("awk -F, -v d='".ds."' 'NR > 1 && $1 == d { printf \"%s\\\"%s\\\" %s\", (k++ ? \", \" : \"\"), $3, $2 }' '".data."'")
        eval "set xtics (".tics.") noenhanced"
        set xrange [0.4:nconf + 0.6]
        set title ds noenhanced
        sel = "(strcol(1) eq '".ds."' ? $2"
        cmd = "data using ".sel." - 0.3 : NaN):4:5 with boxerrorbars lc rgb '#ff7f0e' title 'ConvNet'"
        cmd = cmd.", data using ".sel." - 0.1 : NaN):6:7 with boxerrorbars lc rgb '#ffbb78' title 'ConvNet+BN'"
        cmd = cmd.", data using ".sel." + 0.1 : NaN):8:9 with boxerrorbars lc rgb '#1f77b4' title 'DMN'"
        cmd = cmd.", data using ".sel." + 0.3 : NaN):10:11 with boxerrorbars lc rgb '#aec7e8' title 'DMN+BN'"
        eval "plot ".cmd
    }
    unset multiplot
    set output
}
