#!/usr/bin/env bash
# sgemm GFLOP/s (1 thread) for OpenBLAS's own kernel choice and for each forced family, on
# the layer-2 shape of "16,32" and a square one: the measurement behind PROFILING.md §5.
# Usage: bash benchmarks/sgemm_coretypes.sh   (needs gcc and libopenblas-dev)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$(mktemp -d)/sgemm_coretypes"
gcc -O2 -o "$BIN" "$HERE/sgemm_coretypes.c" -lopenblas
for shape in "7744 32 144" "1024 1024 1024"; do
    echo "own choice:  $(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$BIN" $shape)"
    for core in Haswell SkylakeX Cooperlake; do
        echo "forced:      $(OPENBLAS_CORETYPE=$core OPENBLAS_NUM_THREADS=1 "$BIN" $shape)"
    done
done
