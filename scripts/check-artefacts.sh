#!/usr/bin/env bash
# Checks that the committed reports and tables are exactly what today's code makes from the
# committed run files: rebuilds every table and report in a scratch copy of results/ (no
# training, seconds) and compares. Figures are regenerated and checked to render. Exit 1 on
# any difference, naming the file. Used by .ci/run.
#
#   bash scripts/check-artefacts.sh [RESULTS]   # RESULTS defaults to results/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/artefacts.sh
# The flags of the README's test command, so that after the tests nothing is rebuilt.
swift build -c release -Xswiftc -enable-testing >/dev/null
REPRO=.build/release/repro

root=${1:-results}
[ -d "$root" ] || { echo "check-artefacts: no folder $root" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$root" "$scratch/results"
# Rebuild the CSV tables from the run files (migrate does that for a current folder).
for dir in "$scratch"/results/*/; do
  [ -d "$dir/runs" ] && "$REPRO" migrate "$dir" >/dev/null
done
regenerate_artefacts "$scratch/results"

status=0
while IFS= read -r f; do
  rel=${f#"$root"/}
  if ! cmp -s "$f" "$scratch/results/$rel"; then
    echo "stale: $f differs from what the committed runs give:"
    diff -u "$f" "$scratch/results/$rel" | head -20 || true
    status=1
  fi
done < <(find "$root" -path '*/runs' -prune -o \( -name '*.md' -o -name '*.csv' \) -print | sort)
while IFS= read -r f; do
  rel=${f#"$root"/}
  if ! head -c 8 "$scratch/results/$rel" 2>/dev/null | grep -q PNG; then
    echo "figure $f did not render"; status=1
  fi
done < <(find "$root" -name '*.png' | sort)
if [ "$root" = results ] && ! readme_with_tables "$scratch/results" | cmp -s - README.md; then
  echo "stale: a table of README.md differs from the report it quotes:"
  readme_with_tables "$scratch/results" | diff -u README.md - | head -20 || true
  status=1
fi
[ "$status" -eq 0 ] && echo "artefacts: every committed report, table and figure matches the committed runs"
exit "$status"
