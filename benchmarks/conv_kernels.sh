#!/usr/bin/env bash
# Per-kernel cost of the conv block, direct kernels against the GEMM form, on the paper's layer
# shapes (one thread, µs per image): the measurement behind PROFILING.md §10 and
# ConvBlockAlgorithm.preferred. OpenBLAS picks its kernel family itself (printed); where it
# falls back to Prescott on a newer CPU, set OPENBLAS_CORETYPE as repro would (PROFILING.md §5).
# Usage: bash benchmarks/conv_kernels.sh [ISA]
# (ISA 0 baseline, 1 AVX2, 2 AVX-512; default the CPU's best). Needs libopenblas-dev and a C
# compiler: by default the Swift toolchain's clang, which is what compiles the CNumerics target
# (gcc vectorises these kernels differently: up to 2× slower here; CC=gcc to compare).
# CNUMERICS=DIR times the kernels of another checkout's Sources/CNumerics (before/after);
# benchmarks/conv_kernels_table.py takes the minimum per cell over several outputs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="${CNUMERICS:-$HERE/../Sources/CNumerics}"
BIN="$(mktemp -d)/conv_kernels"
CC="${CC:-clang}"
# The flags Package.swift gives the CNumerics target.
"$CC" -O3 -ffp-contract=off -I"$SRC/include" -I"$SRC" -o "$BIN" "$HERE/conv_kernels.c" "$SRC/conv_block.c" -lopenblas -lm
OPENBLAS_NUM_THREADS=1 "$BIN" "$@"
