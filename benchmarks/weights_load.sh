#!/usr/bin/env bash
# Saved weights that load anywhere (issue 25 item 5): rebuilds every saved network of committed
# results folders in PyTorch (examples/pytorch_load.py) and in Keras 3 (examples/keras_load.py),
# and records how many runs' test accuracies equal their run files'.
#
# Usage: bash benchmarks/weights_load.sh [RESULTS_DIR …]   (default: results/quick results/inside results/protocols)
#        OUT=benchmarks/recorded/NAME.txt to choose the record (default: benchmarks/recorded/<UTC date>-weights-load.txt)
# Needs the peer packages (bash benchmarks/install_peer.sh) and the datasets the folders use.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(results/quick results/inside results/protocols)
out="${OUT:-benchmarks/recorded/$(date -u +%Y-%m-%d)-weights-load.txt}"
mkdir -p "$(dirname "$out")"

{
  echo "# benchmarks/weights_load.sh ${folders[*]}"
  echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(hostname)"
  echo
} > "$out"
status=0
for tool in pytorch keras; do
  for folder in "${folders[@]}"; do
    echo "## $tool: $folder" | tee -a "$out"
    start=$(date +%s)
    # Keras/JAX's start-up warnings go to stderr; the per-run lines and the count to the record.
    "$PYTHON" "examples/${tool}_load.py" "$folder" 2>/dev/null | tee -a "$out"
    s=${PIPESTATUS[0]}
    [ "$s" -ne 0 ] && status=1
    echo "# exit status $s, $(( $(date +%s) - start )) s" | tee -a "$out"
    echo >> "$out"
  done
done
echo "## summary" | tee -a "$out"
grep -E "^(## (pytorch|keras):|[0-9]+ equal)" "$out" | paste - - | sed 's/^## //' | tee -a "$out"
echo "recorded in $out"
exit $status
