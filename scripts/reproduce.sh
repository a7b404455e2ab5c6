#!/usr/bin/env bash
# One command to reproduce the paper: runs every committed spec into results/<name>/, then
# regenerates every report and figure. Resumable: finished runs are never redone, so a second
# call only regenerates the reports and figures (seconds). Prints the wall time of each step.
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
  "$REPRO" run "experiments/$spec.json" --quiet "$@"
  echo "$spec: $(( $(date +%s) - t )) s"
done
t=$(date +%s)
regenerate_artefacts results
readme_with_tables results > README.md.new && mv README.md.new README.md
echo "reports and figures: $(( $(date +%s) - t )) s"
echo "total: $(( $(date +%s) - start )) s"
git status --short results 2>/dev/null | sed 's/^/changed: /' || true
