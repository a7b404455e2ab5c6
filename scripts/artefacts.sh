# The committed results and how each artefact is made from them; sourced by reproduce.sh and
# check-artefacts.sh so that the two can never disagree. REPRO is the repro binary to call.

# Every committed spec, in the order reproduce.sh runs them (cheap first); each writes results/<name>/.
SPECS=(quick own-data fig3-fashion fig1 fig2 fig2-seeds fig3-tpc fig3-tv fig3-tfrac pca-reuse-tpc pca-reuse-tv tfrac-auto dmn-thresholds inside ablations learning-curve fig3 learning-curve-steps pretraining batchnorm authors authors-clipped authors-clipped-4-15 fig3-dip protocols pretraining-authors)

# The specs whose folders keep their runs' saved weights (runs/<id>.weights/), each because
# something reads them:
#   quick     CI: scripts/test_check_weights.py rebuilds its networks from their .npy files
#   own-data  README, "Your own data": the example's figures (filter galleries, spectra, similarity)
#   inside    README, "Inside the models": its figures
#   fig3      the paper's Fig. 3 networks: scripts/check_weights.py (README, "Saved weights") and
#             the filter galleries, spectra and similarity of results/REPORT.md (results/figures/)
#   authors, authors-clipped, fig3-dip
#             the Keras twin (benchmarks/twin/twin.py) rebuilds their DMNs from the saved filters
#             and standardisation statistics (results/twin/)
# reproduce.sh runs every other spec with --weights none; README (Results) says how to
# regenerate their weights.
WEIGHTS=(quick own-data inside fig3 authors authors-clipped fig3-dip)

# The --weights value reproduce.sh runs spec $1 with.
weights_for() {
  local s
  for s in "${WEIGHTS[@]}"; do [ "$s" = "$1" ] && { echo auto; return; }; done
  echo none
}

# The specs reproduce.sh runs with --pca-cache on (repro run's default is off, so that build
# times stay from-scratch builds): the PCA-reuse claim measures the cache itself.
PCA_CACHE=(pca-reuse-tpc pca-reuse-tv)

# The --pca-cache value reproduce.sh runs spec $1 with.
pca_cache_for() {
  local s
  for s in "${PCA_CACHE[@]}"; do [ "$s" = "$1" ] && { echo on; return; }; done
  echo off
}

# `repro plot`, silent unless it fails; then its errors (not its "wrote" lines) go to stderr.
plot_quietly() {
  local err
  err=$("$REPRO" plot "$@" 2>&1 >/dev/null) && return 0
  echo "$err" | grep -v '^wrote ' >&2
  return 1
}

# The studies made for the claims beyond Fig. 3 (issue 24): results/REPORT.md judges those
# claims on them (`repro report --beyond-fig3`), while its Fig. 3 tables and the paper's own
# claims read the paper's folders only (a learning curve's 500-image runs are no Fig. 3 runs).
BEYOND_FIG3=(tfrac-auto learning-curve learning-curve-steps pretraining pretraining-authors batchnorm pca-reuse-tpc pca-reuse-tv)

# Reports and figures of every results folder under ROOT (results/ or a scratch copy of it).
regenerate_artefacts() {
  local root=$1 dir
  for dir in "$root"/*/; do
    dir=${dir%/}
    [ -d "$dir/runs" ] || continue
    # Figures first: the report links the ones it finds beside it.
    plot_quietly "$dir"
    "$REPRO" report "$dir" --quiet
  done
  # The paper's experiments together (the protocol studies feed its claim-robustness section and
  # figure), and Fig. 3 bottom from the three sweeps.
  plot_quietly "$root/fig3-tpc" "$root/fig3-tv" "$root/fig3-tfrac" --out "$root/fig3-bottom"
  local paper=("$root/fig3" "$root/fig3-tpc" "$root/fig3-tv" "$root/fig3-tfrac" "$root/fig1" "$root/fig2"
               "$root/fig2-seeds" "$root/authors" "$root/protocols")
  local beyond=("${BEYOND_FIG3[@]/#/$root/}")
  plot_quietly "${paper[@]}" --beyond-fig3 "${beyond[@]}" --out "$root/figures"
  "$REPRO" report "${paper[@]}" --beyond-fig3 "${beyond[@]}" --out "$root/REPORT.md" --quiet
}

# README.md with every generated table block refreshed from the reports under ROOT, on
# standard output. A block is
#   <!-- BEGIN table FILE "HEADING" ... -->
#   (the first pipe table after the line HEADING of ROOT/FILE, copied here)
#   <!-- END table -->
# so README quotes exactly what the reports say; check-artefacts.sh fails when it does not.
readme_with_tables() {
  # The root through the environment: awk -v would interpret backslashes.
  RESULTS_ROOT=$1 awk '
    /^<!-- BEGIN table / {
      print
      line = $0
      file = line; sub(/^<!-- BEGIN table /, "", file); sub(/ .*/, "", file)
      heading = substr(line, index(line, "\"") + 1); heading = substr(heading, 1, index(heading, "\"") - 1)
      path = ENVIRON["RESULTS_ROOT"] "/" file
      found = 0; copied = 0
      while ((getline l < path) > 0) {
        if (!found) { if (l == heading) found = 1; continue }
        if (l ~ /^\|/) { print l; copied = 1; continue }
        if (copied) break
      }
      close(path)
      if (!copied) { print "README.md: no table after \"" heading "\" in " path > "/dev/stderr"; failed = 1 }
      skip = 1; next
    }
    /^<!-- END table/ { skip = 0 }
    !skip { print }
    END { exit failed }' README.md
}
