#!/usr/bin/env python3
"""Join repro's and the peers' JSON-line benchmark results into a markdown report.

Usage: python3 benchmarks/ratios.py FILE [FILE ...]

Every line of every file that parses as a JSON object is a record; other lines
are ignored. Records are matched by
  * training/inference: (config, input, batch) -> repro vs every other tool
    (higher images/s is better; ratio = repro / peer, > 1 means repro is faster);
  * builds: task (and dataset / tfrac when both sides give them) -> repro vs
    peer seconds (lower is better; speed-up = peer s / repro s, > 1 means repro
    is faster).
"""

import json
import sys
from collections import OrderedDict

REPRO = "repro"


def read_records(paths):
    recs = []
    for path in paths:
        try:
            with open(path, "r", encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.strip()
                    if not line.startswith("{"):
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(obj, dict) and "tool" in obj:
                        obj["_file"] = path
                        recs.append(obj)
        except OSError as exc:
            print(f"warning: cannot read {path}: {exc}", file=sys.stderr)
    return recs


def norm_config(c):
    if isinstance(c, (list, tuple)):
        return ",".join(str(int(x)) for x in c)
    return ",".join(t.strip() for t in str(c).split(",") if t.strip())


def sort_key(key):
    config, inp, batch = key
    try:
        filters = tuple(int(t) for t in config.split(","))
    except ValueError:
        filters = (10 ** 9,)
    return (inp, len(filters), filters, batch)


def fmt_num(v, digits=1):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    recs = read_records(argv[1:])

    # ---- training / inference throughput
    train = OrderedDict()  # key -> {tool: rec}
    peers_train = []
    for r in recs:
        if "train_images_per_s" not in r and "infer_images_per_s" not in r:
            continue
        key = (norm_config(r.get("config", "?")), str(r.get("input", "?")), int(r.get("batch", 0) or 0))
        train.setdefault(key, {})[r["tool"]] = r
        if r["tool"] != REPRO and r["tool"] not in peers_train:
            peers_train.append(r["tool"])

    # ---- builds (seconds)
    builds = OrderedDict()
    peers_build = []
    for r in recs:
        if "task" not in r or "seconds" not in r:
            continue
        builds.setdefault(str(r["task"]), {}).setdefault(r["tool"], []).append(r)
        if r["tool"] != REPRO and r["tool"] not in peers_build:
            peers_build.append(r["tool"])

    out = []
    warnings = []
    if train:
        out.append("### Training and inference throughput (images/s, higher is better)")
        out.append("")
        out.append("ratio = repro / peer (> 1: repro faster). Same data, batch, warm-up excluded, medians.")
        out.append("")
        for peer in peers_train or ["(no peer)"]:
            out.append(f"| config | input | batch | repro train | {peer} train | train ratio "
                       f"| repro infer | {peer} infer | infer ratio |")
            out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
            for (config, inp, batch), by_tool in sorted(train.items(), key=lambda kv: sort_key(kv[0])):
                rr = by_tool.get(REPRO, {})
                pr = by_tool.get(peer, {})
                if not rr and not pr:
                    continue
                rt, pt = rr.get("train_images_per_s"), pr.get("train_images_per_s")
                ri, pi = rr.get("infer_images_per_s"), pr.get("infer_images_per_s")
                out.append(f"| {config} | {inp} | {batch} | {fmt_num(rt)} | {fmt_num(pt)} | {fmt_ratio(rt, pt)} "
                           f"| {fmt_num(ri)} | {fmt_num(pi)} | {fmt_ratio(ri, pi)} |")
                if rr and pr and rr.get("images") and pr.get("images") and rr["images"] != pr["images"]:
                    warnings.append(f"{config} {inp}: repro timed {rr['images']} images, {peer} {pr['images']}")
                if rr and pr and rr.get("threads") and pr.get("threads") and rr["threads"] != pr["threads"]:
                    warnings.append(f"{config} {inp}: repro used {rr['threads']} threads, {peer} {pr['threads']}")
            out.append("")

    if builds:
        out.append("### Filter builds (seconds, lower is better)")
        out.append("")
        out.append("speed-up = peer s / repro s (> 1: repro faster).")
        out.append("")
        out.append("| task | dataset | T_frac | repro s | peer | peer s | speed-up | filters (repro / peer) |")
        out.append("|---|---|---:|---:|---|---:|---:|---|")
        for task, by_tool in builds.items():
            repro_list = by_tool.get(REPRO, [])
            peer_tools = [p for p in peers_build if p in by_tool] or ["—"]
            for peer in peer_tools:
                for pr in by_tool.get(peer, [None]):
                    # pick the repro record agreeing on dataset/tfrac when both sides say
                    rr = None
                    for cand in repro_list:
                        ok = True
                        for k in ("dataset", "tfrac"):
                            if pr and k in cand and k in pr and cand[k] != pr[k]:
                                ok = False
                        if ok:
                            rr = cand
                            break
                    ds = (pr or rr or {}).get("dataset", "—")
                    tf = (pr or rr or {}).get("tfrac", "—")
                    rs = rr.get("seconds") if rr else None
                    ps = pr.get("seconds") if pr else None
                    rf = rr.get("filters", "—") if rr else "—"
                    pf = pr.get("filters", "—") if pr else "—"
                    out.append(f"| {task} | {ds} | {tf} | {fmt_num(rs, 3)} | {peer} | {fmt_num(ps, 3)} "
                               f"| {fmt_ratio(ps, rs)} | {rf} / {pf} |")
                    if rr and pr and "filters" in rr and "filters" in pr and rr["filters"] != pr["filters"]:
                        warnings.append(f"{task}: repro kept {rr['filters']} filters, {peer} {pr['filters']}")
        out.append("")

    if not train and not builds:
        out.append("_no benchmark records found_")
        out.append("")

    # provenance
    vers = OrderedDict()
    for r in recs:
        v = r.get("versions")
        if v and r["tool"] not in vers:
            vers[r["tool"]] = v
    if vers:
        out.append("<details><summary>versions</summary>")
        out.append("")
        for tool, v in vers.items():
            out.append(f"- {tool}: `{json.dumps(v, sort_keys=True)}`")
        out.append("")
        out.append("</details>")
        out.append("")

    for w in warnings:
        out.append(f"> warning: {w}")
    print("\n".join(out).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
