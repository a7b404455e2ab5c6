#!/usr/bin/env python3
"""Tests of scripts/check_weights.py (numpy only; CI runs it from .ci/run).

1. Every saved network of results/quick (Fashion-MNIST: Debian's package, always in CI) gives
   its run file's test accuracy: exit status 0, "5 passed, 0 failed, 0 skipped".
2. It catches a wrong network: in a scratch copy, one conv filter of a ConvNet negated and a
   DMN's softmax bias shifted must each fail, the first as not explained by rounding.
3. It skips, with the reason, a standardised DMN whose statistics are not saved (a run file
   edited to say `dmn.normalization: standardize`, as runs saved before 3c0ae9c are).
4. Its forward error bound holds: on those networks, computed in float32 with the inputs,
   weights and order of summation changed (reversed sums), every logit differs from the
   float64 one by at most the bound (a float32 computation in any order is within it).

Usage: python3 scripts/test_check_weights.py [--folder results/quick]
"""

import argparse
import io
import json
import pathlib
import shutil
import sys
import tempfile
from contextlib import redirect_stdout

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import check_weights as cw  # noqa: E402
import repro_data as rd  # noqa: E402

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(paths):
    buf = io.StringIO()
    with redirect_stdout(buf):
        status = cw.main([str(p) for p in paths])
    return status, buf.getvalue()


def float32_forward_reversed(layers, x):
    """The network in float32 with every sum taken in reversed order, one term at a time."""
    h = x.astype(np.float32)
    for layer in layers:
        if layer[0] in ("conv", "dense"):
            _, w, b, relu = layer
            if layer[0] == "conv":
                p = cw._patches(h)
                B, H, W = p.shape[:3]
                cols = p.reshape(B * H * W, -1)
                wm = w.reshape(-1, w.shape[-1])
            else:
                cols = h.reshape(h.shape[0], -1)
                wm = w
            acc = np.zeros((cols.shape[0], wm.shape[1]), np.float32)
            for i in reversed(range(cols.shape[1])):
                acc += cols[:, i:i + 1] * wm[i:i + 1, :]
            acc += b
            out = acc.reshape(B, H, W, -1) if layer[0] == "conv" else acc
            if relu:
                out = np.maximum(out, np.float32(0))
            if layer[0] == "conv":
                out = cw._pool(out)
            h = out
        else:
            _, mean, std = layer
            h = (h - mean.astype(np.float32)) * (np.float32(1) / std.astype(np.float32))
    return h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", default=str(HERE.parent / "results" / "quick"))
    folder = pathlib.Path(ap.parse_args().folder)

    status, text = run([folder])
    print(text, end="")
    check(status == 0 and " 0 failed, 0 skipped" in text, f"check_weights.py {folder}: every saved network agrees")

    with tempfile.TemporaryDirectory() as t:
        scratch = pathlib.Path(t) / folder.name
        shutil.copytree(folder, scratch)
        records = {p: json.loads(p.read_text()) for p in sorted((scratch / "runs").glob("*.json"))}
        convnet = next(p for p, r in records.items() if r["run"]["model"] == "convnet" and "weights" in r)
        dmn = next(p for p, r in records.items() if r["run"]["model"] == "dmn" and "weights" in r)

        w_file = convnet.parent / records[convnet]["weights"]["directory"] / "conv1.w.npy"
        w = np.load(w_file)
        w[..., 0] *= -1
        np.save(w_file, w)
        status, text = run([convnet])
        check(status == 1 and "NOT explained by float32 rounding" in text, "a negated conv filter fails, not as a near-tie")

        b_file = dmn.parent / records[dmn]["weights"]["directory"] / "softmax.b.npy"
        b = np.load(b_file)
        b[int(np.argmin(b))] += np.float32(5)
        np.save(b_file, b)
        status, text = run([dmn])
        check(status == 1 and "1 failed" in text, "a shifted softmax bias fails")

        r = dict(records[dmn])
        r["run"] = json.loads(json.dumps(r["run"]))
        r["run"]["dmn"]["normalization"] = "standardize"
        dmn.write_text(json.dumps(r))
        status, text = run([dmn])
        check(status == 0 and "1 skipped" in text and "3c0ae9c" in text,
              "a standardised DMN without saved statistics is skipped, with the reason")

    # 4. The bound: a float32 evaluation in another summation order stays within it.
    data = cw.Data(None)
    worst = 0.0
    for p in sorted((folder / "runs").glob("*.json")):
        record, arrays = rd.load_run(p)
        if not arrays:
            continue
        layers = rd.network_layers(record, arrays)
        x, _ = data.test_inputs(record, arrays)
        x = x[:100]
        z, e = cw.predictions(layers, x, bounds=True)
        z32 = float32_forward_reversed(layers, x)
        gap = np.abs(z32.astype(np.float64) - z.astype(np.float64))
        worst = max(worst, float((gap / np.maximum(e, 1e-300)).max()))
        check(bool((gap <= e).all()), f"{p.stem}: reversed-order float32 logits within the bound "
                                      f"(largest gap {gap.max():.3g}, bound there {e.flat[gap.argmax()]:.3g})")
    print(f"largest gap/bound ratio: {worst:.3g}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
