#!/usr/bin/env python3
"""Medians over rounds of repro's and the peers' JSON-line results, with every ratio.

Usage: python3 benchmarks/medians.py ROUND_DIR [ROUND_DIR ...]

Each ROUND_DIR holds the *.jsonl files of one round of compare.sh (repro and every peer,
run one after another). For each (config, input) and tool the table gives the median over
rounds of training and inference images/s; for each peer, ratio = median repro / median
peer (> 1: repro faster), and the per-round ratios (repro and peer of the same round) so
that the spread is visible. Builds (task + seconds) likewise, speed-up = peer s / repro s.
"""

import glob
import json
import os
import statistics
import sys
from collections import OrderedDict

REPRO = "repro"


def records(folder):
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip()
                if not line.startswith("{"):
                    continue
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(r, dict) and "tool" in r:
                    yield r


def order(key):
    config, inp = key
    try:
        f = tuple(int(t) for t in config.split(","))
    except ValueError:
        f = (10 ** 9,)
    return (inp, len(f), f)


def train_flops(config, inp):
    """FLOPs (2 per multiply-add) of one SGD step per image: every conv output of each layer
    (valid 3x3), forward, weight gradient and, above layer 1, input gradient; then the
    dense softmax layer likewise. Pooling, ReLU, loss and the update are not counted."""
    h, w, c = (int(t) for t in inp.split("x"))
    macs = 0
    for i, f in enumerate(int(t) for t in config.split(",")):
        oh, ow = h - 2, w - 2
        fwd = oh * ow * 9 * c * f
        macs += fwd * (2 if i == 0 else 3)
        h, w, c = oh // 2, ow // 2, f
    macs += h * w * c * 10 * 3
    return 2 * macs


def fmt(v, d=0):
    return "—" if v is None else f"{v:,.{d}f}"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    rounds = argv[1:]
    # (config, input) -> tool -> metric -> [value per round or None]
    thr = OrderedDict()
    builds = OrderedDict()
    tools = []
    for i, folder in enumerate(rounds):
        for r in records(folder):
            tool = r["tool"]
            if "train_images_per_s" in r:
                key = (str(r.get("config")), str(r.get("input")))
                for m in ("train_images_per_s", "infer_images_per_s"):
                    thr.setdefault(key, {}).setdefault(tool, {}).setdefault(m, [None] * len(rounds))[i] = r.get(m)
                if tool not in tools:
                    tools.append(tool)
            elif "task" in r and "seconds" in r:
                builds.setdefault(r["task"], {}).setdefault(tool, [None] * len(rounds))[i] = r["seconds"]
    peers = [t for t in tools if t != REPRO]

    def med(xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    out = [f"Medians over {len(rounds)} round(s): {', '.join(os.path.basename(r.rstrip('/')) for r in rounds)}", ""]
    for metric, title in (("train_images_per_s", "SGD training"), ("infer_images_per_s", "inference")):
        out.append(f"### {title}, images/s (median over rounds; ratio = repro / peer)")
        out.append("")
        head = "| config | input | repro |"
        rule = "|---|---|---:|"
        for p in peers:
            head += f" {p} | ratio | per-round ratios |"
            rule += "---:|---:|---|"
        out += [head, rule]
        for key in sorted(thr, key=order):
            by = thr[key]
            rv = by.get(REPRO, {}).get(metric, [None] * len(rounds))
            row = f"| {key[0]} | {key[1]} | {fmt(med(rv))} |"
            for p in peers:
                pv = by.get(p, {}).get(metric, [None] * len(rounds))
                rm, pm = med(rv), med(pv)
                ratio = f"**{rm / pm:.2f}×**" if rm and pm else "—"
                per = ", ".join(f"{a / b:.2f}" for a, b in zip(rv, pv) if a and b)
                row += f" {fmt(pm)} | {ratio} | {per or '—'} |"
            out.append(row)
        out.append("")
    out.append("### Work per training image and achieved rate (median images/s × FLOPs)")
    out.append("")
    out.append("| config | input | MFLOP/image | " + " | ".join(f"{t} GFLOP/s" for t in [REPRO] + peers) + " |")
    out.append("|---|---|---:|" + "---:|" * (1 + len(peers)))
    for key in sorted(thr, key=order):
        try:
            fl = train_flops(*key)
        except ValueError:
            continue
        cells = []
        for t in [REPRO] + peers:
            m = med(thr[key].get(t, {}).get("train_images_per_s", []))
            cells.append(f"{m * fl / 1e9:.1f}" if m else "—")
        out.append(f"| {key[0]} | {key[1]} | {fl / 1e6:.2f} | " + " | ".join(cells) + " |")
    out.append("")
    if builds:
        out.append("### Builds, seconds (median over rounds; speed-up = peer / repro)")
        out.append("")
        out.append("| task | tool | median s | per round | speed-up vs repro |")
        out.append("|---|---|---:|---|---:|")
        for task, by in builds.items():
            rm = med(by.get(REPRO, []))
            for tool, xs in by.items():
                m = med(xs)
                sp = f"{m / rm:.1f}×" if tool != REPRO and m and rm else ""
                out.append(f"| {task} | {tool} | {fmt(m, 4)} | {', '.join(fmt(x, 4) for x in xs)} | {sp} |")
        out.append("")
    print("\n".join(out).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
