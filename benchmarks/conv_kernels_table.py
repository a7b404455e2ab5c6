#!/usr/bin/env python3
"""Minimum per cell over several outputs of benchmarks/conv_kernels.sh, side by side.

Usage: python3 benchmarks/conv_kernels_table.py LABEL=FILE[,FILE...] [LABEL=FILE...]

Each LABEL is one build of the kernels (a commit, a compiler); its files are repeated runs of
the harness, alternated with the other labels' so that all saw the same machine. Prints a
Markdown table: per layer, the direct forward, weight gradient and input gradient of every
label ("a / b / c" in the order given), then the GEMM forward and input gradient of the last.
"""
import re
import sys


def minimum(files):
    rows = {}
    for path in files:
        for line in open(path):
            m = re.match(r"(\S+ → \d+)\s+([\d.\s|]+)$", line.strip())
            if not m:
                continue
            nums = [float(x) for x in m.group(2).replace("|", " ").split()]
            rows[m.group(1)] = [min(a, b) for a, b in zip(rows[m.group(1)], nums)] if m.group(1) in rows else nums
    return rows


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit(__doc__)
    labels = [a.split("=", 1) for a in sys.argv[1:]]
    tables = [(label, minimum(files.split(","))) for label, files in labels]
    names = " / ".join(label for label, _ in tables)
    print(f"| layer | direct fw {names} | dW {names} | dx {names} | GEMM fw | GEMM dx |")
    print("|---|---:|---:|---:|---:|---:|")
    last = tables[-1][1]
    for layer in last:
        cells = [" / ".join(f"{t[layer][col]:.2f}" for _, t in tables) for col in range(3)]
        print(f"| {layer} | {cells[0]} | {cells[1]} | {cells[2]} | {last[layer][3]:.2f} | {last[layer][5]:.2f} |")


if __name__ == "__main__":
    main()
