# Fig. 3 (bottom): DMN test accuracy as T_PC, T_v and T_frac vary (mean ± std over seeds),
# the baseline dashed, once per dataset (the series of a dataset share it); one panel per
# parameter that has a sweep in the results, each with its legend beside it.
#
#   gnuplot -c plot-scripts/fig3-bottom.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/fig3_sweep.csv, which `repro plot` writes; writes OUT_DIR/fig3-bottom.png
# and OUT_DIR/fig3-bottom.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no
# rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 param (tpc, tv, tfrac), 2 series, 3 series_label, 4 value, 5 n, 6 mean, 7 err,
# 8 baseline_mean, 9 baseline_err (accuracies in percent; err = std over seeds, 0 for one seed),
# 10 dataset (tables without it draw the baseline once per series).

if (ARGC < 1) { print "usage: gnuplot -c fig3-bottom.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/fig3_sweep.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("fig3-bottom: no data: %s %s; it is written by 'repro plot %s' when the results hold DMN runs in which T_PC, T_v or T_frac varies. Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
    exit
}

set datafile separator ","
set datafile missing "nan"
params = system("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%s \", $1 }' '".data."'")
npanels = words(params)
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
axis(p) = p eq "tpc" ? "T_{PC}" : p eq "tv" ? "T_v" : p eq "tfrac" ? "T_{frac}" : p
label(p, s) = system("awk -F, -v p='".p."' -v s='".s."' 'NR > 1 && $1 == p && $2 == s { print $3; exit }' '".data."'")


set grid lc rgb "#dddddd"
set key outside right top vertical noenhanced spacing 1.1
set ylabel "test accuracy (%)"
set xtics nomirror
set ytics nomirror
set offsets graph 0.04, graph 0.04, 0, 0

do for [fmt in "png svg"] {
    # Each panel: 460 px of plot and about 260 px of legend beside it.
    w = 120 + 720 * npanels
    w = w < 860 ? 860 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,460 font "Sans,11" enhanced } else { set terminal png size w,460 enhanced }
    } else {
        set terminal svg size w,460 font "Sans,11" enhanced
    }
    set output outdir."/fig3-bottom.".fmt
    set multiplot layout 1,npanels title "Fig. 3 (bottom): DMN accuracy against its thresholds\nmean ± std over seeds; dashed: baseline" noenhanced
    do for [p in params] {
        series = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        r = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p { lo = $6 - $7; hi = $6 + $7; if (n == 0 || lo < mn) mn = lo; if (n == 0 || hi > mx) mx = hi; n++; if ($8 != \"nan\") { if ($8 < mn) mn = $8; if ($8 > mx) mx = $8 } } END { print mn, mx }' '".data."'")
        ylo = real(word(r, 1)); yhi = real(word(r, 2))
        pad = (yhi - ylo) * 0.15 > 0.5 ? (yhi - ylo) * 0.15 : 0.5
        set yrange [ylo - pad : (yhi + pad > 100 ? 100 : yhi + pad)]
        set xlabel axis(p) enhanced
        set title "accuracy vs ".axis(p) enhanced
        # One line per series; then the baseline (dashed), once per dataset: drawn along the
        # first series of that dataset that has one (the dataset's series share it), so gnuplot
        # has no empty plots to warn about. Without a dataset column, once per series.
        cmd = ""
        do for [s in series] {
            sel = "(strcol(1) eq '".p."' && $2 == ".s." ? $4 : NaN)"
            cmd = cmd.sprintf(", data using %s:6:7 with yerrorlines lw 2 pt 7 ps 0.8 lc %s title '%s'", sel, s, label(p, s))
        }
        based = system("awk -F, -v p='".p."' 'NR > 1 && $1 == p && $8 != \"nan\" && !seen[(NF >= 10 ? $10 : $2)]++ { printf \"%s \", $2 }' '".data."'")
        k = 0
        do for [s in based] {
            k = k + 1
            sel = "(strcol(1) eq '".p."' && $2 == ".s." ? $4 : NaN)"
            ds = system("awk -F, -v p='".p."' -v s='".s."' 'NR > 1 && $1 == p && $2 == s { print (NF >= 10 ? $10 : $3); exit }' '".data."'")
            cmd = cmd.sprintf(", data using %s:8 with lines dt %d lw 2 lc rgb 'black' title '%s'", sel, k + 1, \
                              (words(based) > 1 ? "baseline, ".ds : "baseline"))
        }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
