# Filter gallery: the first-layer filters of dmn, pca, random, convnet and hybrid side by side
# (one row per model), each 3×3 tile scaled by its own largest |w| (mid-grey = 0; colour for
# CIFAR). DMN (and hybrid, whose filters start from DMN's) tiles are labelled "c<class> r<rank>":
# the class whose density matrix gave the filter and its eigenvalue rank (r0 = leading).
#
#   gnuplot -c plot-scripts/gallery.gp RESULTS_DIR OUT_DIR DATASET [TITLE]
#
# Reads RESULTS_DIR/gallery_DATASET.csv (x, y, r, g, b: a full pixel grid, white between
# tiles) and gallery_DATASET_labels.csv (x, y, text), which `repro plot` writes from the
# weights saved in runs/<id>.weights/; writes OUT_DIR/gallery-DATASET.png and .svg.

if (ARGC < 3) { print "usage: gnuplot -c gallery.gp RESULTS_DIR OUT_DIR DATASET [TITLE]"; exit status 2 }
indir = ARG1
outdir = ARG2
ds = ARG3
ttl = ARGC >= 4 ? ARG4 : ds
pix = indir."/gallery_".ds.".csv"
lab = indir."/gallery_".ds."_labels.csv"
if (int(system("[ -r '".pix."' ] && echo 1 || echo 0")) == 0) { print "gallery: no data: no ".pix." (written by repro plot from runs that saved weights). Nothing written."; exit }

set datafile separator ","
stats pix using 1:2 skip 1 nooutput
xmax = STATS_max_x
ymin = STATS_min_y
# Labels at x ≥ 0 are the tiles' (class, rank); the model names sit left of the tiles.
stats lab using ($1 >= 0 ? 1 : 0) skip 1 nooutput
tiles = STATS_sum
pngterm = strstrt(GPVAL_TERMINALS, "pngcairo") > 0 ? "pngcairo" : "png"
unset border
unset tics
unset key
unset colorbox
set size ratio -1
set xrange [-7:xmax + 0.5]
set yrange [ymin - 1.6:0.5]
w = 160 + 70 * (xmax + 8)
w = w < 640 ? 640 : w
h = 90 + 70 * (1.6 - ymin)
do for [fmt in "png svg"] {
    if (fmt eq "png") {
        if (pngterm eq "pngcairo") { set terminal pngcairo size w,h font "Sans,11" } else { set terminal png size w,h }
    } else {
        set terminal svg size w,h font "Sans,11"
    }
    set output outdir."/gallery-".ds.".".fmt
    set title "First-layer filters: ".ttl." (each tile scaled to its own max |w|; grey = 0)" noenhanced
    # gnuplot 5.4 crashes on a labels plot whose every point is NaN: tile labels only if any.
    if (tiles > 0) {
        plot pix using 1:2:3:4:5 skip 1 with rgbimage, \
             lab using 1:($1 < 0 ? $2 : NaN):3 skip 1 with labels right noenhanced, \
             lab using 1:($1 >= 0 ? $2 : NaN):3 skip 1 with labels center font ",8" noenhanced
    } else {
        plot pix using 1:2:3:4:5 skip 1 with rgbimage, \
             lab using 1:2:3 skip 1 with labels right noenhanced
    }
    set output
}
