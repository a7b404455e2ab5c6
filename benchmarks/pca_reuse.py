#!/usr/bin/env python3
"""Build seconds of each point of a T_PC or T_v sweep, first against further (issue 24 item 3).

Usage:
  python3 benchmarks/pca_reuse.py RESULTS_DIR PARAM       # PARAM: tpc or tv

Reads RESULTS_DIR/runs.csv (a folder written by `repro sweep --param PARAM` or `repro run` of a
spec with a PARAM grid) and prints, per filter configuration and seed, the ok DMN runs' build_s
in the order of the swept values, the first point (the costliest build: the one that computed
the class density matrices and their eigenvectors; with --jobs 1 the first value run) and the
largest further build as a percentage of it, then the same over every configuration. The goal of
issue 24: each further point at most 5% of the first.
"""

import csv
import statistics
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    folder, param = sys.argv[1], sys.argv[2]
    with open(f"{folder}/runs.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["model"] == "dmn" and r["status"] == "ok"]
    series = {}
    for r in rows:
        series.setdefault((r["filters"], int(r["seed"])), []).append((float(r[param].split("-")[0]), float(r["build_s"])))
    print(f"{'filters':8} {'seed':>4}  build ms per {param} value (first point starred)          further max / first")
    worst = {}
    for (filters, seed), pts in sorted(series.items(), key=lambda kv: (len(kv[0][0]), kv[0][0], kv[0][1])):
        pts.sort()
        first = max(range(len(pts)), key=lambda i: pts[i][1])
        further = [b for i, (_, b) in enumerate(pts) if i != first]
        ratio = max(further) / pts[first][1] if further else float("nan")
        cells = " ".join(f"{v:g}:{b * 1000:.2f}{'*' if i == first else ''}" for i, (v, b) in enumerate(pts))
        print(f"{filters:8} {seed:>4}  {cells}   {ratio * 100:.1f}%")
        worst[filters] = max(worst.get(filters, 0), ratio)
        worst.setdefault(("first", filters), []).append(pts[first][1])
        worst.setdefault(("further", filters), []).extend(further)
    print()
    print(f"{'filters':8}  first build (median)  further builds (median)  largest further / first")
    for filters in sorted({k[0] for k in series}, key=lambda x: (len(x), x)):
        print(f"{filters:8}  {statistics.median(worst[('first', filters)]) * 1000:17.2f} ms"
              f"  {statistics.median(worst[('further', filters)]) * 1000:20.3f} ms  {worst[filters] * 100:21.1f}%")


if __name__ == "__main__":
    main()
