#!/usr/bin/env python3
"""The repro − Keras gap of one twinned configuration over the seeds of several twin folders.

Usage:
  python3 benchmarks/twin/seed_gap.py MODEL FILTERS TWIN_DIR [TWIN_DIR ...]
  python3 benchmarks/twin/seed_gap.py convnet 4-15 results/twin/authors-clipped results/twin/authors-clipped-4-15

Reads each folder's twin.csv and prints, per seed, the best-epoch and final test accuracy of
both frameworks; which runs stuck at chance (a best epoch at or below STUCK: a ConvNet that
saturated its softmax under the clipped loss stays at exactly 1/classes); and, over the seeds
that train, each framework's mean and standard deviation and Keras − repro with its 95% Welch
interval. The numbers of results/twin/authors-clipped-4-15/FINDINGS.md come from this script.
Standard library only.
"""

import csv
import math
import statistics
import sys
from pathlib import Path

STUCK = 0.11      # CIFAR-10 chance is 0.10; a run that trains is far above it

# Two-sided 95% quantiles of Student's t by degrees of freedom (rounded down to a whole df).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
        10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110,
        18: 2.101, 19: 2.093, 20: 2.086}


def per_seed(folders, model, filters):
    seeds = {}
    for folder in folders:
        with open(Path(folder) / "twin.csv", newline="") as f:
            for r in csv.DictReader(f):
                if r["model"] == model and r["filters"] == filters:
                    seeds.setdefault(int(r["seed"]), []).append(r)
    out = {}
    for seed, rows in sorted(seeds.items()):
        rows.sort(key=lambda r: int(r["epoch"]))
        out[seed] = {side: (max(float(r[f"{side}_test_acc"]) for r in rows), float(rows[-1][f"{side}_test_acc"]))
                     for side in ("repro", "keras")}
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    model, filters, folders = sys.argv[1], sys.argv[2], sys.argv[3:]
    seeds = per_seed(folders, model, filters)
    print(f"{'seed':>4}  {'repro best':>10} {'final':>7}  {'Keras best':>10} {'final':>7}")
    for seed, s in seeds.items():
        cell = lambda side: f"{s[side][0] * 100:10.2f} {s[side][1] * 100:7.2f}" + (" stuck" if s[side][0] <= STUCK else "      ")
        print(f"{seed:>4}  {cell('repro')}  {cell('keras')}")
    print()
    summary = {}
    for side in ("repro", "keras"):
        trained = [s[side] for s in seeds.values() if s[side][0] > STUCK]
        stuck = len(seeds) - len(trained)
        best, final = [b for b, _ in trained], [f for _, f in trained]
        summary[side] = best
        print(f"{side:5}: stuck {stuck} of {len(seeds)}; over the {len(trained)} that train: best {statistics.mean(best) * 100:.2f}% "
              f"(sd {statistics.stdev(best) * 100:.2f}), final {statistics.mean(final) * 100:.2f}%")
    r, k = summary["repro"], summary["keras"]
    vr, vk = statistics.variance(r) / len(r), statistics.variance(k) / len(k)
    se = math.sqrt(vr + vk)
    df = (vr + vk) ** 2 / (vr ** 2 / (len(r) - 1) + vk ** 2 / (len(k) - 1))
    t = T975[min(20, max(1, int(df)))]
    d = statistics.mean(k) - statistics.mean(r)
    print(f"Keras − repro, best epoch, seeds that train: {d * 100:+.2f} points, 95% Welch interval "
          f"[{(d - t * se) * 100:+.1f}, {(d + t * se) * 100:+.1f}] (SE {se * 100:.2f}, {df:.1f} degrees of freedom)")


if __name__ == "__main__":
    main()
