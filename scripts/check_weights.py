#!/usr/bin/env python3
"""Rebuild every saved network of a results folder from its .npy files and recompute its test
accuracy, which must equal the run file's (numpy only).

Usage: python3 scripts/check_weights.py [--data-dir DIR] RESULTS_DIR|RUN_FILE …

For every run file `runs/<id>.json` whose `"weights"` manifest names `.npy` files, the network
is rebuilt from those files alone and the run's own test set (scripts/repro_data.py:
`run_splits`, `run_inputs`; the same images and float32 inputs as repro) is classified.
The count of correct predictions must equal the run file's accuracy of the saved network: the
LAST epoch's test accuracy in `outcome.history`. Weights are saved after the last epoch
(ModelRunExecutor.trainModel hands the network over after `fit`), so when `data.selection`
reports another epoch, `outcome.testAccuracy` is not the saved network's.

The networks (Sources/Models/Networks/Architecture.swift, Sources/Models/DMN/DMNBuilder.swift):
  input → per conv layer l: conv 3×3 valid (`conv<l>.w` HWIO (3,3,C,K), `conv<l>.b`)
  → ReLU (none for dmn, pca and hybrid with `dmn.activation: none`; random resets the dmn
  section to its defaults) → 2×2 max-pool (floor) → (x − mean)·(1/std) per channel with
  `standardize<l>.mean/.std` when `dmn.normalization: standardize` (ChannelStandardize, after
  the pool; it multiplies by the float32 reciprocal, as here) → … → flatten (NHWC)
  → dense softmax (`softmax.w` (inputs, classes), `softmax.b`); mlp: `dense<l>` → ReLU → softmax.
  baseline: the softmax on the pixels.

Arithmetic. The inputs, the preprocessing and the standardisation are float32 exactly as repro
computes them. The sums of the conv and dense layers are taken in float64 and each layer's
output is rounded once to float32, which is at least as close to the exact value as repro's
float32 sums in any order; so the two can differ only at predictions whose top two logits
are within float32 rounding of each other. When the counts differ, the check repeats the
forward pass with a rigorous forward error bound (|repro − this| per logit: γ_n·Σ|w·x| for
each float32 sum of n terms, γ_n = n·u/(1 − n·u), u = 2⁻²⁴, propagated through |W|, ReLU,
max-pool and the standardisation), prints how many predictions could flip within it and their
logit margins, and says whether the difference is consistent with rounding (a near-tie) or
not (a bug). Either way the run fails and the exit status is 1.

Skipped, with the reason: runs without weights are not counted; a run whose data is missing;
a standardised DMN saved before commit 3c0ae9c, which has no `standardize<l>.*` files.
Closing line: `N passed, M failed, K skipped`.
"""

from __future__ import annotations

import argparse
import collections
import os
import pathlib
import sys

# The layers here are small: one BLAS thread is faster than several competing for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import repro_data as rd  # noqa: E402

U = 2.0 ** -24            # float32 unit roundoff
CHUNK = 500               # images per forward chunk (memory: CHUNK·H·W·9C float64)


class Skip(Exception):
    pass


class Broken(Exception):
    pass


def gamma(n):
    return n * U / (1 - n * U)


# --------------------------------------------------------------------------------------------
# The network from the run file and its arrays

def layers_of(record, arrays):
    try:
        return rd.network_layers(record, arrays)
    except rd.MissingStatistics as e:
        raise Skip(str(e))
    except ValueError as e:
        raise Broken(str(e))


# --------------------------------------------------------------------------------------------
# Forward pass (and, on request, a bound on |repro − this| per value)

def _patches(x):
    """(B, H−2, W−2, 3, 3, C): the 3×3 patches in (row, column, channel) order, as im2col."""
    return sliding_window_view(x, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)


def _conv(x64, w64):
    """Valid 3×3 convolution (cross-correlation, im2col · W as repro), in float64."""
    p = _patches(x64)
    b, h, w = p.shape[:3]
    return (p.reshape(b * h * w, -1) @ w64.reshape(-1, w64.shape[-1])).reshape(b, h, w, -1)


def _pool(y):
    b, h, w, k = y.shape
    h2, w2 = h // 2, w // 2
    return y[:, :2 * h2, :2 * w2].reshape(b, h2, 2, w2, 2, k).max(axis=(2, 4))


def forward(layers, x, bounds=False):
    """Logits (float32) of float32 inputs x (B, H, W, C); with `bounds`, also a float64 array of
    the same shape bounding |repro's logit − this logit|."""
    h = x
    e = np.zeros(x.shape) if bounds else None
    for layer in layers:
        kind = layer[0]
        if kind in ("conv", "dense"):
            _, w, b, relu = layer
            w64, b64 = w.astype(np.float64), b.astype(np.float64)
            if kind == "conv":
                y = _conv(h.astype(np.float64), w64) + b64
                n = 9 * h.shape[-1] + 1
            else:
                flat = h.reshape(h.shape[0], -1)
                if flat.shape[1] != w.shape[0]:
                    raise Broken(f"{flat.shape[1]} inputs reach a dense layer of shape {w.shape}")
                y = flat.astype(np.float64) @ w64 + b64
                n = w.shape[0] + 1
            out = y.astype(np.float32)
            if bounds:
                aw = np.abs(w64)
                if kind == "conv":
                    mag = _conv(np.abs(h.astype(np.float64)) + e, aw) + np.abs(b64)
                    prop = _conv(e, aw)
                else:
                    ef = e.reshape(e.shape[0], -1)
                    mag = (np.abs(h.reshape(h.shape[0], -1).astype(np.float64)) + ef) @ aw + np.abs(b64)
                    prop = ef @ aw
                e = gamma(n) * mag + prop + U * np.abs(y) * (1 + U) + 2.0 ** -50 * mag
            if relu:
                out = np.maximum(out, np.float32(0))
            if kind == "conv":
                out = _pool(out)
                if bounds:
                    e = _pool(e)
            h = out
        elif kind == "standardize":
            _, mean, std = layer
            inv = np.float32(1) / std.astype(np.float32)
            d = h - mean.astype(np.float32)
            if bounds:
                e = np.abs(inv).astype(np.float64) * (e + 4 * U * (np.abs(d.astype(np.float64)) + e)) * (1 + 2 * U)
            h = d * inv
    return (h, e) if bounds else h


def predictions(layers, x, bounds=False):
    logits, errs = [], []
    for b in range(0, x.shape[0], CHUNK):
        r = forward(layers, x[b:b + CHUNK], bounds)
        if bounds:
            logits.append(r[0])
            errs.append(r[1])
        else:
            logits.append(r)
    z = np.concatenate(logits)
    return (z, np.concatenate(errs)) if bounds else z


# --------------------------------------------------------------------------------------------
# Data, cached across runs

class Data:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.raw = {}
        self.last_inputs = (None, None)

    def splits(self, dataset, labels, record=None):
        key = (dataset, labels)
        if key not in self.raw:
            try:
                if dataset in rd.DATASETS:
                    self.raw[key] = rd.load_splits(dataset, self.data_dir, labels)
                else:
                    self.raw[key] = self.archive(record)
            except (rd.DatasetError, FileNotFoundError) as e:
                self.raw[key] = e
        got = self.raw[key]
        if isinstance(got, Exception):
            raise Skip(f"no {dataset} data: {got}")
        return got

    @staticmethod
    def archive(record):
        """A dataset given by path: the spec wrote it relative to the spec file (or absolute)."""
        run = record["run"]
        path = run.get("dataset_path") or run["dataset"]
        if not os.path.isabs(path):
            path = os.path.join(os.path.dirname(record.get("spec", {}).get("file", "")), path)
        if not path.endswith(".npz"):
            raise Skip(f"{path}: only NumPy archives are read here, not image folders")
        if run.get("data", {}).get("resize"):
            raise Skip(f"{path}: data.resize (repro's area-averaging resize) is not ported to numpy here")
        return rd.load_archive(path, run.get("dataset_hash"))

    def test_inputs(self, record, arrays):
        """(float32 test images, labels, training images or None) of a run."""
        run = record["run"]
        data = run.get("data", {})
        method = data.get("preprocessing", "scale")
        labels = data.get("cifar100Labels", "fine")
        stats = None
        if method == "standardize":
            stats = (arrays.get("input.mean"), arrays.get("input.std"))
            stats = None if stats[0] is None or stats[1] is None else tuple(a.tobytes() for a in stats)
        key = (run["dataset"], labels, data.get("trainLimit"), float(data.get("validation", 0) or 0),
               data.get("testLimit"), method, run.get("seed") if method in ("raw-noise", "standardize") else None,
               stats)
        if self.last_inputs[0] == key:
            return self.last_inputs[1]
        splits = rd.run_splits(run, self.data_dir, splits=self.splits(run["dataset"], labels, record))
        x_test, y_test = splits.test
        x_train = splits.train[0] if method == "standardize" else None
        if method == "standardize" and stats is not None:
            mean, std = rd.channel_statistics(x_train)
            if not (np.array_equal(mean, arrays["input.mean"]) and np.array_equal(std, arrays["input.std"])):
                raise Broken("the saved input.mean/input.std differ from the training images' statistics")
        inputs = (rd.run_inputs(run, x_test, x_train, arrays), y_test)
        self.last_inputs = (key, inputs)
        return inputs


# --------------------------------------------------------------------------------------------

def diagnose(layers, x, y, expected_correct, got_correct):
    """Lines explaining a differing count: which predictions could flip within float32 rounding."""
    z, e = predictions(layers, x, bounds=True)
    z = z.astype(np.float64)
    ours = np.argmax(z, axis=1)
    top = z[np.arange(len(z)), ours]
    etop = e[np.arange(len(z)), ours]
    # class j could be repro's answer when z_top − z_j ≤ e_top + e_j
    could = (top[:, None] - z) <= (etop[:, None] + e)
    could[np.arange(len(z)), ours] = False
    uncertain = could.any(axis=1)
    correct = ours == y
    can_lose = int((uncertain & correct).sum())
    can_gain = int((~correct & could[np.arange(len(z)), y]).sum())
    delta = expected_correct - got_correct
    z_sorted = np.sort(z, axis=1)
    margin = z_sorted[:, -1] - z_sorted[:, -2]
    order = np.argsort(margin)[:5]
    lines = [f"    {abs(delta)} prediction(s) at least differ (run file {expected_correct} correct, here {got_correct}); "
             f"{int(uncertain.sum())} of {len(z)} predictions could flip within float32 rounding "
             f"(could lose {can_lose}, gain {can_gain})",
             "    smallest top-two logit margins (margin, rounding bound): "
             + ", ".join(f"{margin[i]:.3g} ({etop[i] + np.max(np.where(could[i], e[i], 0)):.2g})" for i in order)]
    if -can_lose <= delta <= can_gain:
        lines.append("    consistent with float32 rounding at near-ties (not a bug in the rebuilt network)")
    else:
        lines.append("    NOT explained by float32 rounding: the rebuilt network or its inputs differ from repro's")
    return lines


def check_run(path, data):
    record, arrays = rd.load_run(path)
    run = record["run"]
    label = f"{path.parent.parent.name}/{record['runId']} {run['dataset']} {run['model']} " \
            f"{'-'.join(map(str, run.get('filters', []))) or '-'} seed {run.get('seed')}"
    if record.get("status") != "ok":
        raise Skip(f"status {record.get('status')}")
    layers = layers_of(record, arrays)
    x, y = data.test_inputs(record, arrays)
    z = predictions(layers, x)
    got = int((np.argmax(z, axis=1) == y).sum())
    accuracy = rd.last_epoch_test_accuracy(record)
    expected = int(round(accuracy * len(y)))
    if abs(expected - accuracy * len(y)) > 1e-6 * len(y):
        raise Broken(f"accuracy {accuracy} is not a count out of {len(y)} test images: wrong test set")
    if got == expected:
        return label, True, [f"{got}/{len(y)} = {accuracy:.6g}"]
    return label, False, [f"{got}/{len(y)} correct, run file {accuracy:.6g} = {expected}/{len(y)}"] + \
        diagnose(layers, x, y, expected, got)


def run_files(args):
    files = []
    for a in args:
        p = pathlib.Path(a)
        if p.is_file():
            files.append(p)
        elif (p / "runs").is_dir():
            files += sorted((p / "runs").glob("*.json"))
        elif p.is_dir() and p.name == "runs":
            files += sorted(p.glob("*.json"))
        else:
            raise SystemExit(f"check_weights.py: {a}: not a results folder (no runs/) nor a run file")
    return files


def data_order(path):
    """Sort key grouping runs that share a test set and preprocessing (fewer recomputations)."""
    import json
    r = json.loads(path.read_text())
    run, d = r.get("run", {}), r.get("run", {}).get("data", {})
    return (str(path.parent.parent), run.get("dataset", ""), str(d.get("testLimit")), str(d.get("trainLimit")),
            d.get("preprocessing", ""), str(d.get("validation")), run.get("seed", 0), path.name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", metavar="RESULTS_DIR")
    ap.add_argument("--data-dir", default=None, help="as repro's --data-dir (else $REPRO_DATA, else ~/.cache/repro-data)")
    args = ap.parse_args(argv)
    data = Data(args.data_dir)
    passed = failed = 0
    skipped = collections.Counter()
    files = [f for f in run_files(args.paths)]
    import json
    with_weights = [f for f in files if (json.loads(f.read_text()).get("weights") or {}).get("arrays")]
    for path in sorted(with_weights, key=data_order):
        try:
            label, ok, lines = check_run(path, data)
        except Skip as s:
            skipped[str(s)] += 1
            print(f"skip {path.parent.parent.name}/{path.stem}: {s}")
            continue
        except Broken as b:
            failed += 1
            print(f"FAIL {path.parent.parent.name}/{path.stem}: {b}")
            continue
        if ok:
            passed += 1
            print(f"ok   {label}: {lines[0]}")
        else:
            failed += 1
            print(f"FAIL {label}: {lines[0]}")
            for line in lines[1:]:
                print(line)
    n_skipped = sum(skipped.values())
    reasons = "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
    print(f"{passed} passed, {failed} failed, {n_skipped} skipped" + (f" ({reasons})" if reasons else "")
          + f"; {len(files) - len(with_weights)} run files without weights not counted")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
