# One PCA for all thresholds (issue 24 item 3): the build seconds of each point of the T_PC and
# T_v sweeps, per seed, on a logarithmic axis. Filled circles: the first point of a seed (the one
# that computed the class density matrices and their eigenvectors); open circles: the further
# points, which reuse them; small crosses mark 5% of each seed's first build (the claim's limit),
# so a further point below its cross is within it.
# One panel per swept parameter, one colour per sweep (dataset and filter configuration).
#
#   gnuplot -c plot-scripts/pca-reuse.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/pca_reuse.csv, which `repro plot` writes; writes OUT_DIR/pca-reuse.png and
# OUT_DIR/pca-reuse.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no rows in
# it, prints why and exits with status 0, writing nothing.
# Columns: 1 param (tpc, tv), 2 series, 3 series_label, 4 seed, 5 point, 6 value, 7 build_s,
# 8 role (first, further), 9 reuse (yes, no), 10 limit_s.

if (ARGC < 1) { print "usage: gnuplot -c pca-reuse.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/pca_reuse.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("pca-reuse: no data: %s %s; it is written by 'repro plot %s' when the results hold a T_PC or T_v sweep. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
params = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(params)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
label(p, s) = system("awk -F, -v p='".p."' -v s='".s."' 'NR > 1 && $1 == p && $2 == s { print $3; exit }' '".data."'")
name(p) = p eq "tpc" ? "T_{PC}" : p eq "tv" ? "T_v (every layer)" : p

set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced font ",9"
set ylabel "build seconds (log scale)"
set logscale y
set format y "%g"
set xtics nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 640 * npanels
    w = w < 860 ? 860 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,520 font "Sans,11" enhanced } else { set terminal png size w,520 enhanced }
    } else {
        set terminal svg size w,520 font "Sans,11" enhanced
    }
    set output outdir."/pca-reuse.".fmt
    set multiplot layout 1,npanels title "One PCA for all thresholds: build seconds per sweep point and seed\nfilled: first point (computes the PCA); open: further points (reuse it); +: 5% of the first" noenhanced
    do for [p in params] {
        series = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        set title "sweep of ".p noenhanced
        set xlabel name(p)
        cmd = ""
        do for [s in series] {
            first = sprintf("(strcol(1) eq '%s' && $2 == %s && strcol(8) eq 'first' ? $7 : NaN)", p, s)
            further = sprintf("(strcol(1) eq '%s' && $2 == %s && strcol(8) eq 'further' ? $7 : NaN)", p, s)
            lim = sprintf("(strcol(1) eq '%s' && $2 == %s ? $10 : NaN)", p, s)
            cmd = cmd.sprintf(", data using 6:%s with points pt 7 ps 1.2 lc %d title 'first, %s'", first, int(s), label(p, s))
            cmd = cmd.sprintf(", data using 6:%s with points pt 6 ps 0.9 lc %d title 'further'", further, int(s))
            cmd = cmd.sprintf(", data using 6:%s with points pt 1 ps 0.6 lc %d notitle", lim, int(s))
        }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
