# T_frac from the convergence of ρ_c (issue 24 item 4): test accuracy against T_frac, one curve
# per DMN configuration (the numeric T_frac runs of the same settings: a T_frac sweep), with
# the automatic choice (dmn.tfrac "auto") marked as a filled diamond at the mean fraction its
# runs used, its horizontal bar spanning the fractions chosen over seeds and its vertical bar
# the 95% CI of its accuracy; one panel per dataset, the legend beside each panel.
#
#   gnuplot -c plot-scripts/tfrac-auto.gp RESULTS_DIR [OUT_DIR]
#
# Reads RESULTS_DIR/tfrac_auto.csv, which `repro plot` writes; writes OUT_DIR/tfrac-auto.png
# and OUT_DIR/tfrac-auto.svg (OUT_DIR defaults to RESULTS_DIR). Without that table, or with no
# rows in it, prints why and exits with status 0, writing nothing.
# Columns: 1 dataset, 2 series, 3 series_label, 4 kind (sweep, auto), 5 tfrac, 6 tfrac_lo,
# 7 tfrac_hi, 8 n, 9 acc, 10 acc_lo, 11 acc_hi (percent; 95% CI over seeds).

if (ARGC < 1) { print "usage: gnuplot -c tfrac-auto.gp RESULTS_DIR [OUT_DIR]"; exit status 2 }
indir = ARG1
outdir = (ARGC >= 2 && strlen(ARG2) > 0) ? ARG2 : ARG1
data = indir."/tfrac_auto.csv"
rows = int(system("if [ -r '".data."' ]; then awk 'END { print NR - 1 }' '".data."'; else echo -1; fi"))
if (rows < 1) {
    print sprintf("tfrac-auto: no data: %s %s; it is written by 'repro plot %s' when the results hold DMN runs with dmn.tfrac \"auto\". Nothing written.", data, (rows < 0 ? "does not exist" : "has no rows"), indir)
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
set xlabel "T_frac (fraction of each class's training images)"
set xrange [0:1.05]
set xtics 0.1 nomirror
set ytics nomirror

do for [fmt in "png svg"] {
    w = 120 + 720 * npanels
    w = w < 860 ? 860 : w
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,520 font "Sans,11" enhanced } else { set terminal png size w,520 enhanced }
    } else {
        set terminal svg size w,520 font "Sans,11" enhanced
    }
    set output outdir."/tfrac-auto.".fmt
    set multiplot layout 1,npanels title "T_frac from the convergence of ρ_c: accuracy against T_frac (lines: numeric T_frac, mean ± 95% CI)\ndiamond: dmn.tfrac \"auto\" at the mean fraction chosen (bar: range over seeds)" noenhanced
    do for [d in datasets] {
        series = system("awk -F, -v d='".d."' 'NR > 1 && $1 == d && !seen[$2]++ { printf \"%s \", $2 }' '".data."'")
        set title d noenhanced
        cmd = ""
        do for [s in series] {
            ssel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'sweep' ? $5 : NaN)"
            asel = "(strcol(1) eq '".d."' && $2 == ".s." && strcol(4) eq 'auto' ? $5 : NaN)"
            cmd = cmd.sprintf(", data using %s:9:10:11 with yerrorlines lw 2 pt 7 ps 0.6 lc %d title 'T_frac sweep %s'", ssel, int(s), label(d, s))
            cmd = cmd.sprintf(", data using %s:9:6:7:10:11 with xyerrorbars pt 13 ps 1.6 lw 2 lc %d title 'auto %s'", asel, int(s), label(d, s))
        }
        eval "plot ".cmd[3:]
    }
    unset multiplot
    set output
}
