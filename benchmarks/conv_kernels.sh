#!/usr/bin/env bash
# Per-kernel cost of the conv block, direct kernels against the GEMM form, on the paper's layer
# shapes (one thread, µs per image): the measurement behind PROFILING.md §10 and
# ConvBlockAlgorithm.preferred. OpenBLAS gets the kernel family repro would pick (unless
# OPENBLAS_CORETYPE is set). Usage: bash benchmarks/conv_kernels.sh [ISA]
# (ISA 0 baseline, 1 AVX2, 2 AVX-512; default the CPU's best). Needs gcc and libopenblas-dev.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/../Sources/CNumerics"
BIN="$(mktemp -d)/conv_kernels"
# The flags Package.swift gives the CNumerics target.
gcc -O3 -ffp-contract=off -I"$SRC/include" -I"$SRC" -o "$BIN" "$HERE/conv_kernels.c" "$SRC/conv_block.c" -lopenblas
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
    case "$flags" in
        *avx512_bf16*) export OPENBLAS_CORETYPE=Cooperlake ;;
        *avx512f*) export OPENBLAS_CORETYPE=SkylakeX ;;
        *avx2*) export OPENBLAS_CORETYPE=Haswell ;;
    esac
fi
echo "OpenBLAS kernels: ${OPENBLAS_CORETYPE:-chosen by OpenBLAS}"
OPENBLAS_NUM_THREADS=1 "$BIN" "$@"
