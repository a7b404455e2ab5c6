#!/usr/bin/env python3
"""Where a results folder's run time goes, and what changed between two folders.

Usage:
  python3 benchmarks/runs_summary.py RESULTS_DIR                # time per model and config
  python3 benchmarks/runs_summary.py RESULTS_DIR --against OLD  # also: which accuracies moved

RESULTS_DIR (and OLD) is a folder written by `repro run` (its runs.csv is read) or a runs.csv
itself; OLD may also be `git:REV:results/fig3` for the committed version at REV.

Prints, from the runs with status ok:
- run-seconds (the sum of total_s: load + build + training + evaluations) per model and
  per model and config;
- per dataset and config, the median over seeds of build_s + sgd_s of the ConvNet divided by
  that of the DMN (the DMN-vs-ConvNet end-to-end ratio of issue #13, goal 2);
- with --against: how many runs of the same run id have a different train or test accuracy or
  status, the largest |test accuracy difference| in points, and which models and configs moved.
"""

import argparse
import collections
import csv
import io
import os
import statistics
import subprocess
import sys


def read_runs(where):
    if where.startswith("git:"):
        _, rev, folder = where.split(":", 2)
        text = subprocess.run(["git", "show", f"{rev}:{folder.rstrip('/')}/runs.csv"], check=True,
                              capture_output=True, text=True).stdout
        return list(csv.DictReader(io.StringIO(text)))
    path = where if where.endswith(".csv") else os.path.join(where, "runs.csv")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def seconds(row, *keys):
    return sum(float(row[k]) for k in keys if row.get(k) not in (None, "", "nan"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results")
    ap.add_argument("--against", help="an older results folder, runs.csv or git:REV:FOLDER")
    args = ap.parse_args()
    rows = [r for r in read_runs(args.results) if r["status"] == "ok"]

    by_model = collections.Counter()
    by_config = collections.Counter()
    for r in rows:
        by_model[r["model"]] += seconds(r, "total_s")
        by_config[(r["model"], r["filters"] or "-")] += seconds(r, "total_s")
    print(f"run-seconds: {sum(by_model.values()):.0f} in {len(rows)} ok runs")
    for model, s in sorted(by_model.items(), key=lambda kv: -kv[1]):
        configs = ", ".join(f'"{f}" {v:.0f}' for (m, f), v in sorted(by_config.items(), key=lambda kv: -kv[1])
                            if m == model)
        print(f"  {model}: {s:.0f} ({configs})")

    train = collections.defaultdict(list)
    for r in rows:
        train[(r["dataset"], r["model"], r["filters"])].append(seconds(r, "build_s", "sgd_s"))
    print("ConvNet / DMN, median over seeds of build_s + sgd_s:")
    for dataset in sorted({d for d, _, _ in train}):
        ratios = [f'"{f}" {statistics.median(train[(d, "convnet", f)]) / statistics.median(train[(d, "dmn", f)]):.1f}x'
                  for (d, m, f) in sorted(train) if d == dataset and m == "dmn" and (d, "convnet", f) in train]
        if ratios:
            print(f"  {dataset}: {', '.join(ratios)}")

    if args.against:
        old = {r["run_id"]: r for r in read_runs(args.against)}
        new = {r["run_id"]: r for r in read_runs(args.results)}
        common = [k for k in new if k in old]
        moved = [k for k in common if any(old[k][c] != new[k][c] for c in ("train_acc", "test_acc", "status"))]
        def points(k):
            try:
                return abs(float(new[k]["test_acc"]) - float(old[k]["test_acc"])) * 100
            except ValueError:
                return 0.0
        largest = max((points(k) for k in moved), default=0.0)
        which = sorted({(new[k]["model"], new[k]["filters"] or "-") for k in moved})
        print(f"against {args.against}: {len(moved)} of {len(common)} runs moved, largest |test acc change| "
              f"{largest:.2f} points; {', '.join(f'{m} {f}' for m, f in which) or 'none'}")
        missing = len(old) - len(common)
        if missing:
            print(f"  {missing} runs of the older folder are not in this one")


if __name__ == "__main__":
    sys.exit(main())
