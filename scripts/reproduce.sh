#!/usr/bin/env bash
# One command to reproduce the paper: runs every committed spec into results/<name>/, then
# regenerates every report and figure. Resumable: finished runs are never redone and the
# reports are regenerated only when a run is newer than them, so a second call changes
# nothing and takes seconds. Prints the wall time of each step.
#
#   bash scripts/reproduce.sh            # everything (real MNIST/CIFAR needed: see README, Data)
#   bash scripts/reproduce.sh --jobs 2   # extra arguments go to every `repro run`
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/artefacts.sh

swift build -c release >/dev/null
REPRO=.build/release/repro
# As repro's provenance does: changes under results/ are outputs, not code.
if [ -n "$(git status --porcelain --untracked-files=no -- ':(top)' ':(top,exclude)results' 2>/dev/null)" ]; then
  echo "warning: uncommitted changes; the results will be marked as not from a clean commit" >&2
fi

start=$(date +%s)
for spec in "${SPECS[@]}"; do
  t=$(date +%s)
  # Weights only where something reads them (WEIGHTS in scripts/artefacts.sh), the PCA cache
  # only where a claim measures it (PCA_CACHE); a --weights or --pca-cache among the extra
  # arguments comes later and wins.
  "$REPRO" run "experiments/$spec.json" --quiet --weights "$(weights_for "$spec")" --pca-cache "$(pca_cache_for "$spec")" "$@"
  echo "$spec: $(( $(date +%s) - t )) s"
done
t=$(date +%s)
# Regenerating every report and figure takes minutes; it is needed only when a run file or a
# provenance is newer than results/REPORT.md, which regenerate_artefacts writes last. (Delete
# results/REPORT.md to force it, e.g. after changing the report code.)
# (Without results/REPORT.md, find fails; `|| true` keeps set -e from ending the script there.)
newer=$( { find results -path '*/runs/*.json' -newer results/REPORT.md -print -quit
           find results -name provenance.json -newer results/REPORT.md -print -quit; } 2>/dev/null || true )
if [ -f results/REPORT.md ] && [ -z "$newer" ]; then
  echo "reports and figures: up to date (no run newer than results/REPORT.md)"
else
  regenerate_artefacts results
  readme_with_tables results > README.md.new && mv README.md.new README.md
  echo "reports and figures: $(( $(date +%s) - t )) s"
fi
echo "total: $(( $(date +%s) - start )) s"
git status --short results 2>/dev/null | sed 's/^/changed: /' || true
