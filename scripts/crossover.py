#!/usr/bin/env python3
"""When does the ConvNet overtake the DMN? (issue 23, item 4)

For each dataset, filter configuration and ConvNet initialiser of a results folder, pairs the
DMN and ConvNet runs by seed and finds, per seed, the first epoch from which the ConvNet's test
accuracy stays above the DMN's to the last epoch ("never" when it is not above at the last
epoch). Prints a Markdown table: the per-seed epochs, their mean and 95% t interval (n - 1
degrees of freedom) when every seed crosses, and the DMN - ConvNet difference at the last epoch.

    python3 scripts/crossover.py results/authors
"""
import glob
import json
import math
import os
import statistics
import sys

T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571}


def runs(folder):
    for path in sorted(glob.glob(os.path.join(folder, "runs", "*.json"))):
        with open(path) as f:
            record = json.load(f)
        outcome = record.get("outcome")
        if record.get("status") != "ok" or not outcome or not outcome.get("history"):
            continue
        yield record["run"], [h["testAccuracy"] for h in outcome["history"]]


def overtaking_epoch(dmn, convnet):
    """First 1-based epoch e with convnet > dmn at every epoch >= e, or None."""
    epochs = min(len(dmn), len(convnet))
    first = None
    for e in range(epochs - 1, -1, -1):
        if convnet[e] > dmn[e]:
            first = e + 1
        else:
            break
    return first


def main(folder):
    dmn, convnet = {}, {}
    for run, curve in runs(folder):
        key = (run["dataset"], "+".join(map(str, run["filters"])))
        if run["model"] == "dmn":
            dmn[key + (run["seed"],)] = curve
        elif run["model"] == "convnet":
            init = run.get("training", {}).get("init", "he")
            convnet[key + (init, run["seed"])] = curve
    order = {"mnist": 0, "fashion-mnist": 1, "cifar10": 2, "cifar100": 3}
    configs = sorted({k[:3] for k in convnet}, key=lambda k: (order.get(k[0], 9), len(k[1]), k[1], k[2]))
    print("| dataset | filters | ConvNet init | per seed | mean [95% CI] | DMN − ConvNet at the last epoch (pt) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dataset, filters, init in configs:
        seeds = sorted(s for (d, f, i, s) in convnet if (d, f, i) == (dataset, filters, init) and (d, f, s) in dmn)
        if not seeds:
            continue
        crossings, last = [], []
        for s in seeds:
            d, c = dmn[(dataset, filters, s)], convnet[(dataset, filters, init, s)]
            crossings.append(overtaking_epoch(d, c))
            last.append(100 * (d[-1] - c[-1]))
        shown = ", ".join("never" if e is None else str(e) for e in crossings)
        if all(e is not None for e in crossings) and len(crossings) > 1:
            m = statistics.mean(crossings)
            h = T975[len(crossings) - 1] * statistics.stdev(crossings) / math.sqrt(len(crossings))
            summary = f"{m:.1f} [{m - h:.1f}, {m + h:.1f}]"
        elif all(e is None for e in crossings):
            summary = "never"
        else:
            summary = f"{sum(e is not None for e in crossings)} of {len(crossings)} seeds"
        lm = statistics.mean(last)
        print(f"| {dataset} | {filters} | {init} | {shown} | {summary} | {lm:+.2f} |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
