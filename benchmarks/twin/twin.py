#!/usr/bin/env python3
"""The Keras twin: re-runs repro's runs in Keras 3 on JAX and puts the test-accuracy curves side by side.

For every ok classify run of a results folder (runs/<id>.json) on the chosen dataset and models:

* convnet: the run's protocol in Keras: [Conv2D(F, 3x3, valid) -> ReLU -> MaxPool 2x2] per layer,
  Flatten, Dense(classes, softmax); the run's initialiser (training.init: "he" = N(0, 2/fan_in)
  for the conv layers as repro draws it, untruncated; "glorot-uniform" = Keras's default; the
  softmax is Glorot-uniform under both; biases 0), optimiser (Adam with Keras's and repro's
  epsilon 1e-7, or SGD with momentum), batch size, epochs, a fresh shuffle every epoch, the
  run's preprocessing (raw-noise included), training subset and test set.
* dmn, pca, random: the frozen feature layers rebuilt in Keras from the run's saved .npy
  filters (conv<l>.w, HWIO), with ReLU or not (dmn.activation), 2x2 max-pool and, where the
  run standardised its layer outputs, the saved standardise<l>.mean/.std after the pool (the
  order of Sources/Models/DMN/DMNBuilder.swift); the softmax on top trained as above.
* baseline: the softmax on the pixels.

The data (reading, subsets, preprocessing, the raw-noise pixel noise) comes from
scripts/repro_data.py, the numpy port of repro's own. Keras draws its own initial weights and
batch order from the run's seed: the two frameworks are compared through their seed-to-seed
spreads, not run by run.

Writes into OUT_DIR: twin.csv (one row per run and epoch, resumable: run ids already there are
skipped; the file is rewritten atomically after every run), twin.json (the settings and
versions), summary.csv, claims.csv, REPORT.md and twin.png/twin.svg (gnuplot, twin.gp).

Usage:
  python3 benchmarks/twin/twin.py results/fig3 --out results/twin/fig3
  python3 benchmarks/twin/twin.py RESULTS --out OUT --models convnet --limit 1   # time one run
  python3 benchmarks/twin/twin.py RESULTS --out OUT --summary-only              # report only
"""

import argparse
import csv
import fcntl
import io
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

CSV_HEADER = ["run_id", "dataset", "model", "filters", "init", "seed", "epoch",
              "repro_test_acc", "keras_test_acc", "repro_loss", "keras_loss", "repro_seconds", "keras_seconds"]
MODELS = ["convnet", "dmn", "pca", "random", "baseline"]
MODEL_ORDER = {m: i for i, m in enumerate(MODELS)}
BUDGETS = [1, 3, 5, 10, 20, 50]          # ClaimRobustness.budgets
AGREE_SHARE = 0.8                         # share of epochs within the band for "agrees"
BAND = 2.0                                # band half-width in Keras seed-to-seed standard deviations


# --------------------------------------------------------------------------- arguments, threads

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="a repro results folder (with runs/<id>.json)")
    ap.add_argument("--out", required=True, help="output folder (twin.csv, summary, REPORT.md, figure)")
    ap.add_argument("--dataset", default="cifar10", help="dataset of the runs to twin (default cifar10)")
    ap.add_argument("--models", default="convnet,dmn",
                    help="comma-separated models to twin: convnet, dmn, pca, random, baseline (default convnet,dmn)")
    ap.add_argument("--runs", default="", help="only these run ids (comma-separated)")
    ap.add_argument("--limit", type=int, default=None, help="twin at most this many new runs, then summarise")
    ap.add_argument("--shard", default=None,
                    help="I/N: twin only every N-th of the runs (in the twin's order) starting at the I-th, 1-based; "
                         "N processes with 1/N ... N/N may share one --out folder (twin.csv is updated under a lock)")
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads for XLA/BLAS (default 1: the machine is shared)")
    ap.add_argument("--loss", choices=["keras", "logits"], default="keras",
                    help="keras (default): softmax output and Keras's cross-entropy on probabilities, which clips "
                         "them to [1e-7, 1-1e-7], as the authors' code; logits: linear output and the cross-entropy "
                         "from logits (no clipping), as repro computes it")
    ap.add_argument("--he", choices=["normal", "truncated"], default="normal",
                    help="for init 'he': normal (default) = N(0, 2/fan_in), repro's draw; truncated = Keras's "
                         "he_normal (truncated at 2 sigma, same variance)")
    ap.add_argument("--max-epochs", type=int, default=None,
                    help="train at most this many epochs per run (diagnosis and timing; the rows then cover fewer "
                         "epochs than the run, and the summary compares the epochs both have)")
    ap.add_argument("--data-dir", default=None, help="data folder (default: $REPRO_DATA, else ~/.cache/repro-data)")
    ap.add_argument("--keras-from", default=None, metavar="TWIN_DIR",
                    help="take the Keras curves of runs whose Keras protocol is the same as an already "
                         "twinned run of TWIN_DIR (same settings except repro's training.loss, same saved "
                         "weight bytes) instead of training them again; the reuse is recorded in twin.json")
    ap.add_argument("--summary-only", action="store_true", help="train nothing; rewrite the summary, report and figure")
    ap.add_argument("--no-figure", action="store_true", help="do not run gnuplot")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def configure_threads(n):
    """Pins XLA and the BLAS libraries to n threads; must run before jax is imported."""
    n = max(1, int(n))
    flags = os.environ.get("XLA_FLAGS", "")
    want = (["--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1"] if n == 1
            else [f"intra_op_parallelism_threads={n}"])
    os.environ["XLA_FLAGS"] = " ".join([flags] + [w for w in want if w.split("=")[0] not in flags]).strip()
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NPROC"):
        os.environ[v] = str(n)
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def log(args, *a):
    if not args.quiet:
        print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- run files

def filters_text(filters):
    return "-".join(str(f) for f in filters)


def run_init(run):
    """training.init as repro resolves it: absent = he; only convnet (and mlp) draw from it."""
    if run["model"] != "convnet":
        return ""
    return run.get("training", {}).get("init", "he")


def load_runs(results, dataset, models, only):
    runs = []
    for p in sorted((Path(results) / "runs").glob("*.json")):
        rec = json.loads(p.read_text())
        run = rec.get("run", {})
        if rec.get("status") != "ok" or run.get("kind") != "classify":
            continue
        if run.get("dataset") != dataset or run.get("model") not in models:
            continue
        if only and rec["runId"] not in only:
            continue
        rec["_path"] = p
        runs.append(rec)
    # Seed first: the raw-noise inputs depend on the seed, so runs sharing a seed share the cached
    # data; and a partial twin (--limit, or stopped) has every configuration at the first seeds.
    runs.sort(key=lambda r: (r["run"]["seed"], MODEL_ORDER[r["run"]["model"]], len(r["run"]["filters"]),
                             r["run"]["filters"], run_init(r["run"])))
    return runs


def load_weights(rec):
    w = rec.get("weights")
    if not w:
        return None
    import numpy as np
    folder = rec["_path"].parent / w["directory"]
    return {a["name"]: np.load(folder / a["file"]) for a in w["arrays"]}


# --------------------------------------------------------------------------- data

def import_repro_data():
    sys.path.insert(0, str(REPO / "scripts"))
    import repro_data  # noqa: E402  (scripts/repro_data.py: repro's data reading, subsets and preprocessing)
    return repro_data


def _xy(split):
    """(x, y) from one split as run_splits returns it (a pair, a dict or an object); None stays None."""
    if split is None:
        return None
    if isinstance(split, dict):
        return split["x"], split["y"]
    if hasattr(split, "x") and hasattr(split, "y"):
        return split.x, split.y
    x, y = split
    return x, y


class DataCache:
    """The preprocessed splits of the last data protocol asked for (one held at a time: CIFAR-10's
    training set is 600 MB as float32)."""

    def __init__(self, rd, data_dir):
        self.rd, self.data_dir = rd, data_dir
        self.key, self.value = None, None

    def get(self, rec, weights):
        import numpy as np
        run = rec["run"]
        method = run["data"]["preprocessing"]
        seed = int(run["seed"])
        stats = None
        if method == "standardize" and weights and "input.mean" in weights:
            stats = (weights["input.mean"].astype(np.float32), weights["input.std"].astype(np.float32))
        # What the arrays depend on: the dataset, the data section, and the seed where the split
        # (validation) or the pixels (raw-noise) depend on it.
        seeded = method == "raw-noise" or float(run["data"].get("validation", 0) or 0) > 0
        key = json.dumps([run["dataset"], run["data"], seed if seeded else None,
                          None if stats is None else [stats[0].tolist(), stats[1].tolist()]], sort_keys=True)
        if key == self.key:
            return self.value
        self.key = self.value = None
        splits = self.rd.run_splits(run, data_dir=self.data_dir)
        train, _validation, test = (_xy(s) for s in splits)
        if method == "standardize" and stats is None:
            stats = self.rd.channel_statistics(train[0])
        mean, std = stats if stats is not None else (None, None)
        xtr = self.rd.preprocess(train[0], method, seed, mean=mean, std=std)
        xte = self.rd.preprocess(test[0], method, seed, mean=mean, std=std)
        self.key = key
        self.value = (np.ascontiguousarray(xtr, dtype=np.float32), np.asarray(train[1], dtype=np.int32),
                      np.ascontiguousarray(xte, dtype=np.float32), np.asarray(test[1], dtype=np.int32))
        return self.value


# --------------------------------------------------------------------------- Keras models

def conv_initializer(keras, init, he):
    if init == "glorot-uniform":
        return keras.initializers.GlorotUniform()
    if init == "he":
        return keras.initializers.VarianceScaling(scale=2.0, mode="fan_in",
                                                  distribution="untruncated_normal" if he == "normal" else "truncated_normal")
    raise SystemExit(f"unknown training.init {init!r}")


def optimizer(keras, training):
    lr = float(training.get("learningRate", 0.001))
    if training.get("optimizer", "adam") == "adam":
        # repro's Adam: beta1 0.9, beta2 0.999, epsilon 1e-7 (Sources/Models/Training/Optimizer.swift).
        return keras.optimizers.Adam(learning_rate=lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
    return keras.optimizers.SGD(learning_rate=lr, momentum=float(training.get("momentum", 0.9)))


def head(keras, x, classes, loss):
    return keras.layers.Dense(classes, activation="softmax" if loss == "keras" else None,
                              kernel_initializer="glorot_uniform", bias_initializer="zeros", name="softmax")(x)


def compile_model(keras, model, training, loss):
    model.compile(optimizer=optimizer(keras, training),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=(loss == "logits")),
                  metrics=["sparse_categorical_accuracy"])
    return model


def convnet(keras, input_shape, classes, filters, init, args):
    L = keras.layers
    inp = keras.Input(shape=input_shape, dtype="float32")
    h = inp
    for l, f in enumerate(filters):
        h = L.Conv2D(f, (3, 3), padding="valid", kernel_initializer=conv_initializer(keras, init, args.he),
                     bias_initializer="zeros", name=f"conv{l + 1}")(h)
        h = L.ReLU()(h)
        h = L.MaxPooling2D((2, 2))(h)
    h = L.Flatten()(h)
    return keras.Model(inp, head(keras, h, classes, args.loss))


def frozen_features(keras, input_shape, run, weights):
    """The run's data-built layers from its saved arrays: per layer conv (saved filters and
    biases) -> ReLU when dmn.activation is relu -> 2x2 max-pool -> (x - mean) / std when it saved
    standardize<l>.mean/.std. Nothing in it is trained."""
    L = keras.layers
    ops = keras.ops
    inp = keras.Input(shape=input_shape, dtype="float32")
    h = inp
    activation = run.get("dmn", {}).get("activation", "relu")
    for l in range(len(run["filters"])):
        w = weights[f"conv{l + 1}.w"]
        b = weights.get(f"conv{l + 1}.b")
        if b is None:
            b = w[0, 0, 0, :] * 0
        conv = L.Conv2D(w.shape[-1], (w.shape[0], w.shape[1]), padding="valid", name=f"conv{l + 1}", trainable=False)
        h = conv(h)
        conv.set_weights([w, b])
        if activation == "relu":
            h = L.ReLU()(h)
        h = L.MaxPooling2D((2, 2))(h)
        m = weights.get(f"standardize{l + 1}.mean")
        if m is not None:
            s = weights[f"standardize{l + 1}.std"]
            h = L.Lambda(lambda t, m=m, s=s: (t - ops.convert_to_tensor(m)) / ops.convert_to_tensor(s),
                         name=f"standardize{l + 1}")(h)
    return keras.Model(inp, h)


class EpochClock:
    def __init__(self, keras, say=None):
        outer = self

        class CB(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer.t0 = time.perf_counter()
                outer.c0 = time.process_time()

            def on_epoch_end(self, epoch, logs=None):
                outer.seconds.append(time.perf_counter() - outer.t0)
                outer.cpu.append(time.process_time() - outer.c0)
                if say:
                    say(f"  epoch {epoch + 1}: test {logs.get('val_sparse_categorical_accuracy', float('nan')):.4f} "
                        f"loss {logs.get('loss', float('nan')):.4f} {outer.seconds[-1]:.1f} s (CPU {outer.cpu[-1]:.1f} s)")

        self.seconds, self.cpu = [], []
        self.callback = CB()


def twin_run(keras, rec, data, args):
    """Trains the Keras twin of one run; returns per-epoch (test accuracy, train loss, seconds)."""
    run = rec["run"]
    xtr, ytr, xte, yte = data
    classes = int(max(ytr.max(), yte.max()) + 1)
    training = run["training"]
    model_kind = run["model"]
    seed = int(run["seed"])
    keras.utils.set_random_seed(seed)
    keras.backend.clear_session()
    feature_seconds = 0.0
    if model_kind == "convnet":
        model = convnet(keras, xtr.shape[1:], classes, run["filters"], run_init(run), args)
        ftr, fte = xtr, xte
    elif model_kind == "baseline":
        inp = keras.Input(shape=xtr.shape[1:], dtype="float32")
        model = keras.Model(inp, head(keras, keras.layers.Flatten()(inp), classes, args.loss))
        ftr, fte = xtr, xte
    else:
        weights = load_weights(rec)
        if weights is None:
            raise RuntimeError("the run saved no weights (repro run --weights auto|all)")
        t0 = time.perf_counter()
        feats = frozen_features(keras, xtr.shape[1:], run, weights)
        ftr = feats.predict(xtr, batch_size=500, verbose=0)
        fte = feats.predict(xte, batch_size=500, verbose=0)
        feature_seconds = time.perf_counter() - t0
        # Training only the softmax on cached features is the same computation as training the
        # whole network with frozen layers (repro caches them too: FeatureCache).
        inp = keras.Input(shape=ftr.shape[1:], dtype="float32")
        model = keras.Model(inp, head(keras, keras.layers.Flatten()(inp), classes, args.loss))
    compile_model(keras, model, training, args.loss)
    clock = EpochClock(keras, None if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True)))
    hist = model.fit(ftr, ytr, batch_size=int(training.get("batchSize", 64)), epochs=min(int(training.get("epochs", 3)), args.max_epochs or 10**9),
                     shuffle=True, validation_data=(fte, yte), validation_batch_size=500, verbose=0,
                     callbacks=[clock.callback])
    acc = hist.history["val_sparse_categorical_accuracy"]
    loss = hist.history["loss"]
    secs = clock.seconds
    if secs:
        secs[0] += feature_seconds
    return list(zip(acc, loss, secs)), clock.cpu


# --------------------------------------------------------------------------- twin.csv

def read_csv(path):
    if not Path(path).exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_atomic(path, text):
    path = Path(path)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    with open(tmp, "w", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def csv_text(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        values = [r.get(h, "") for h in header] if isinstance(r, dict) else list(r)
        w.writerow([fmt(v) for v in values])
    return buf.getvalue()


def fmt(v):
    if isinstance(v, float):
        if not math.isfinite(v):
            return "nan"
        return repr(round(v, 6)) if abs(v) < 1e6 else repr(v)
    return str(v)


def twin_settings(args):
    import importlib.metadata as md
    vers = {}
    for name in ("keras", "jax", "jaxlib", "numpy"):
        try:
            vers[name] = md.version(name)
        except md.PackageNotFoundError:
            vers[name] = None
    return {"loss": args.loss, "he": args.he, "max_epochs": args.max_epochs, "threads": args.threads, "xla_flags": os.environ.get("XLA_FLAGS", ""),
            "python": platform.python_version(), "versions": vers, "host": platform.node()}


def run_twins(args, out):
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise SystemExit(f"unknown model(s) {bad}; choose from {MODELS} (hybrid cannot be twinned: its saved filters are the fine-tuned ones)")
    only = {r.strip() for r in args.runs.split(",") if r.strip()}
    runs = load_runs(args.results, args.dataset, models, only)
    if args.shard:
        try:
            i, n = (int(t) for t in args.shard.split("/"))
            assert 1 <= i <= n
        except (ValueError, AssertionError):
            raise SystemExit(f"--shard {args.shard!r}: expected I/N with 1 <= I <= N")
        runs = runs[i - 1::n]
    csv_path = out / "twin.csv"
    rows = read_csv(csv_path)
    done = {r["run_id"] for r in rows}
    todo = [r for r in runs if r["runId"] not in done]
    if args.keras_from:
        todo = reuse_keras_curves(args, out, todo)
    if args.limit is not None:
        todo = todo[:args.limit]
    log(args, f"twin: {len(runs)} runs of {args.dataset} {','.join(models)} in {args.results}; "
              f"{len(runs) - len([r for r in runs if r['runId'] not in done])} already in {csv_path}; twinning {len(todo)}")
    if not todo:
        return
    import keras
    keras.config.set_floatx("float32")
    settings = twin_settings(args)
    meta_path = out / "twin.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        for k in ("loss", "he", "max_epochs"):
            if old.get(k) != settings[k]:
                flag = "--" + k.replace("_", "-")
                raise SystemExit(f"{meta_path}: its rows were made with {flag} {old.get(k)}, not {settings[k]}: use another --out")
    settings["command"] = sys.argv
    settings["results"] = str(args.results)
    if meta_path.exists():
        settings["keras_reused"] = json.loads(meta_path.read_text()).get("keras_reused", {})
    write_atomic(meta_path, json.dumps(settings, indent=1) + "\n")
    cache = DataCache(import_repro_data(), args.data_dir)
    for i, rec in enumerate(todo, 1):
        run = rec["run"]
        t0 = time.perf_counter()
        weights = load_weights(rec) if run["model"] != "convnet" else None
        data = cache.get(rec, weights)
        t_data = time.perf_counter() - t0
        c0 = time.process_time()
        curve, cpu = twin_run(keras, rec, data, args)
        new = twin_rows(rec, curve)
        store_rows(out, rec["runId"], new)
        total = time.perf_counter() - t0
        log(args, f"[{i}/{len(todo)}] {rec['runId']} {run['model']} {filters_text(run['filters'])} "
                  f"{run_init(run) or '-'} seed {run['seed']}: final test repro {new[-1]['repro_test_acc']:.4f} "
                  f"keras {new[-1]['keras_test_acc']:.4f}; {total:.1f} s (data {t_data:.1f} s, "
                  f"{sum(c[2] for c in curve) / len(curve):.2f} s/epoch; CPU {time.process_time() - c0:.1f} s, "
                  f"{sum(cpu[1:]) / max(1, len(cpu) - 1):.2f} s/epoch after the first)")


def twin_rows(rec, curve):
    """twin.csv rows of one run: repro's per-epoch history beside the Keras curve [(acc, loss, s)]."""
    run = rec["run"]
    hist = rec["outcome"]["history"]
    rows = []
    for e, (acc, loss, sec) in enumerate(curve, 1):
        h = hist[e - 1] if e <= len(hist) else {}
        rows.append({"run_id": rec["runId"], "dataset": run["dataset"], "model": run["model"],
                     "filters": filters_text(run["filters"]), "init": run_init(run), "seed": run["seed"], "epoch": e,
                     "repro_test_acc": float(h.get("testAccuracy", float("nan"))), "keras_test_acc": float(acc),
                     "repro_loss": float(h.get("loss", float("nan"))), "keras_loss": float(loss),
                     "repro_seconds": float(h.get("seconds", float("nan"))), "keras_seconds": float(sec)})
    return rows


def store_rows(out, run_id, new):
    csv_path = out / "twin.csv"
    with open(out / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # shards share twin.csv: read, merge and replace under the lock
        rows = [r for r in read_csv(csv_path) if r["run_id"] != run_id] + new
        rows.sort(key=lambda r: (MODEL_ORDER.get(r["model"], 9), len(r["filters"].split("-")), r["filters"],
                                 r["init"], int(r["seed"]), r["run_id"], int(r["epoch"])))
        write_atomic(csv_path, csv_text(CSV_HEADER, rows))


def keras_protocol_key(rec):
    """What determines a run's Keras twin: exactly the settings that twin_run and DataCache read
    (with the defaults they apply, so that run files written before a key existed compare
    equal), and, for frozen-layer models, the bytes of the saved frozen layers and statistics.
    repro-only settings such as training.loss are not in it."""
    import hashlib
    run = rec["run"]
    training = run.get("training", {})
    key = {"dataset": run["dataset"], "model": run["model"], "filters": list(run["filters"]),
           "seed": int(run["seed"]), "init": run_init(run), "data": run.get("data", {}),
           "optimizer": training.get("optimizer", "adam"), "learningRate": float(training.get("learningRate", 0.001)),
           "momentum": float(training.get("momentum", 0.9)), "batchSize": int(training.get("batchSize", 64)),
           "epochs": int(training.get("epochs", 3)), "batchNorm": bool(training.get("batchNorm", False))}
    w = rec.get("weights")
    if run["model"] != "convnet":
        key["activation"] = run.get("dmn", {}).get("activation", "relu")
        folder = rec["_path"].parent / w["directory"] if w else None
        # The softmax is not among them: the twin trains its own (repro's, trained with repro's
        # loss, differs between two runs that share every frozen layer).
        key["weights"] = sorted((a["name"], hashlib.sha256((folder / a["file"]).read_bytes()).hexdigest())
                                for a in (w["arrays"] if w else []) if not a["name"].startswith("softmax."))
    return json.dumps(key, sort_keys=True)


def reuse_keras_curves(args, out, todo):
    """Fills the runs of `todo` whose Keras twin already exists in --keras-from; returns the rest."""
    src = Path(args.keras_from)
    meta = json.loads((src / "twin.json").read_text())
    for k in ("loss", "he", "max_epochs"):
        if meta.get(k) != getattr(args, k):
            raise SystemExit(f"--keras-from {src}: its Keras runs used --{k.replace('_', '-')} {meta.get(k)}, "
                             f"not {getattr(args, k)}: their curves are not this twin's")
    results = meta.get("results") or meta["command"][1]
    if not (Path(results) / "runs").is_dir():
        raise SystemExit(f"--keras-from {src}: its results folder {results} (from twin.json) is not here; "
                         f"run from the repository root")
    curves = {}
    for r in read_csv(src / "twin.csv"):
        curves.setdefault(r["run_id"], []).append(r)
    by_key = {}
    for rec in load_runs(results, args.dataset, MODELS, set(curves)):
        by_key[keras_protocol_key(rec)] = rec["runId"]
    meta_path = out / "twin.json"
    own = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    reused = own.get("keras_reused", {})
    rest = []
    for rec in todo:
        source = by_key.get(keras_protocol_key(rec))
        if source is None:
            rest.append(rec)
            continue
        rows = sorted(curves[source], key=lambda r: int(r["epoch"]))
        curve = [(float(r["keras_test_acc"]), float(r["keras_loss"]), float(r["keras_seconds"])) for r in rows]
        store_rows(out, rec["runId"], twin_rows(rec, curve))
        reused[rec["runId"]] = f"{src}:{source}"
        log(args, f"{rec['runId']}: Keras curve of {source} in {src} (same Keras protocol)")
    if reused:
        if not own:
            own = twin_settings(args) | {"command": sys.argv, "results": str(args.results)}
        own["keras_reused"] = reused
        write_atomic(meta_path, json.dumps(own, indent=1) + "\n")
    return rest


# --------------------------------------------------------------------------- statistics

T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df):
    return T975[df - 1] if df <= len(T975) else 1.96 + 2.5 / df


class Summary:
    """Mean and 95% t interval over seeds (repro's Summary)."""

    def __init__(self, values):
        v = [x for x in values if x is not None and math.isfinite(x)]
        self.n = len(v)
        self.mean = sum(v) / len(v) if v else float("nan")
        self.std = math.sqrt(sum((x - self.mean) ** 2 for x in v) / (len(v) - 1)) if len(v) >= 2 else float("nan")
        self.half = t975(self.n - 1) * self.std / math.sqrt(self.n) if self.n >= 2 else float("nan")

    @property
    def has_interval(self):
        return self.n >= 2 and math.isfinite(self.half)

    @property
    def lo(self):
        return self.mean - self.half

    @property
    def hi(self):
        return self.mean + self.half


POINT = 0.01


def above(a, b):
    if not (a.has_interval and b.has_interval):
        return "inconclusive"
    if a.lo > b.hi:
        return "supported"
    if a.hi < b.lo:
        return "not supported"
    return "inconclusive"


def within(a, b, tol, overlap_means_equal):
    if not (a.has_interval and b.has_interval):
        return "inconclusive"
    d = abs(a.mean - b.mean)
    gap = max(a.lo - b.hi, b.lo - a.hi)
    overlap = a.lo <= b.hi and b.lo <= a.hi
    if overlap_means_equal:
        if d <= tol or overlap:
            return "supported"
        return "not supported" if gap > tol else "inconclusive"
    if d <= tol:
        return "supported"
    return "inconclusive" if overlap else "not supported"


def margin(a, b, lo, hi):
    if not (a.has_interval and b.has_interval):
        return "inconclusive"
    d = a.mean - b.mean
    if a.lo > b.hi and lo <= d <= hi:
        return "supported"
    if a.hi - b.lo < lo or a.lo - b.hi > hi:
        return "not supported"
    return "inconclusive"


def combine(verdicts, need):
    if not verdicts:
        return "inconclusive"
    s = verdicts.count("supported")
    i = verdicts.count("inconclusive")
    if s >= need:
        return "supported"
    if s + i < need:
        return "not supported"
    return "inconclusive"


# The DMN-vs-ConvNet claims of Sources/Report/Claims.swift, as ClaimRobustness judges them:
# (id, dataset, layers or None, per-configuration judge(dmn, convnet), need(n)).
CLAIMS = [
    ("mnist-within-1pt", "mnist", None, lambda d, c: within(d, c, POINT, False), lambda n: max(1, n - 1)),
    ("cifar10-above", "cifar10", None, above, lambda n: n),
    ("cifar10-two-layer-5-10pt", "cifar10", 2, lambda d, c: margin(d, c, 5 * POINT, 10 * POINT), lambda n: n),
    ("cifar100-one-layer-above", "cifar100", 1, above, lambda n: n),
    ("cifar100-two-layer-equal", "cifar100", 2, lambda d, c: within(d, c, POINT, True), lambda n: n),
]


def select(curve, budget, rule):
    """Test accuracy of a run under `rule` within the first `budget` epochs (ClaimRobustness.accuracy)."""
    if len(curve) < budget or budget < 1:
        return float("nan")
    p = curve[:budget]
    if rule == "final":
        return p[-1]
    best = 0
    for i, v in enumerate(p):
        if v > p[best]:
            best = i
    return p[best]


# --------------------------------------------------------------------------- summary

def curves_by_run(rows):
    """{(model, filters, init): {seed: (repro curve, keras curve)}} from twin.csv rows."""
    out = {}
    for r in rows:
        key = (r["model"], r["filters"], r["init"])
        rr, kk = out.setdefault(key, {}).setdefault(int(r["seed"]), ([], []))
        e = int(r["epoch"])
        while len(rr) < e:
            rr.append(float("nan"))
            kk.append(float("nan"))
        rr[e - 1] = float(r["repro_test_acc"])
        kk[e - 1] = float(r["keras_test_acc"])
    return out


def mean(v):
    v = [x for x in v if math.isfinite(x)]
    return sum(v) / len(v) if v else float("nan")


def sd(v):
    v = [x for x in v if math.isfinite(x)]
    if len(v) < 2:
        return float("nan")
    m = sum(v) / len(v)
    return math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1))


def per_epoch(seeds, which):
    """Per epoch: (mean, sample std) over seeds of framework `which` (0 repro, 1 keras)."""
    E = min(len(c[which]) for c in seeds.values())
    return [(mean([c[which][e] for c in seeds.values()]), sd([c[which][e] for c in seeds.values()])) for e in range(E)]


# Classes per dataset the twin reads (chance accuracy = 1 / classes, balanced test sets).
CLASSES = {"mnist": 10, "fashion-mnist": 10, "cifar10": 10, "cifar100": 100}
STUCK_MARGIN = 0.01


def stuck(curve, classes):
    """Whether a run never learned: at every one of its (≥ 2) epochs its test accuracy is within
    STUCK_MARGIN (1 point) of chance, 1/classes, as a network that predicts one class throughout
    (Keras's clipped loss on saturated outputs gives no gradient: exactly 10.00% on CIFAR-10 for
    all 50 epochs, or 10.03% at one epoch). A network that trains leaves chance within an epoch."""
    v = [x for x in curve if math.isfinite(x)]
    return len(v) >= 2 and max(v) <= 1 / classes + STUCK_MARGIN


def config_label(model, filters, init):
    name = {"convnet": "ConvNet", "dmn": "DMN", "pca": "PCA", "random": "random", "baseline": "softmax"}[model]
    return name + (f" ({init})" if init else "")


def crossings(d):
    """Epochs (1-based) at which the sign of d changes: e where sign(d[e-1]) != sign(d[e-2])."""
    out = []
    for e in range(1, len(d)):
        a, b = d[e - 1], d[e]
        if math.isfinite(a) and math.isfinite(b) and (a > 0) != (b > 0) and a != 0 and b != 0:
            out.append(e + 1)
    return out


def summarise(results, out, dataset):
    rows = read_csv(out / "twin.csv")
    if not rows:
        print(f"twin: no rows in {out / 'twin.csv'}; nothing to summarise", file=sys.stderr)
        return
    by = curves_by_run(rows)
    keys = sorted(by, key=lambda k: (len(k[1].split("-")), k[1], MODEL_ORDER.get(k[0], 9), k[2]))

    # Per model and config: agreement of the curves.
    summary = []
    for key in keys:
        seeds = by[key]
        R, K = per_epoch(seeds, 0), per_epoch(seeds, 1)
        E = min(len(R), len(K))
        dmeans = [abs(R[e][0] - K[e][0]) for e in range(E)]
        inside = [dmeans[e] <= BAND * K[e][1] for e in range(E) if math.isfinite(K[e][1])]
        run_abs = [abs(c[0][e] - c[1][e]) for c in seeds.values() for e in range(min(len(c[0]), len(c[1])))]
        # Accuracies are multiples of 1/test-set size, so a nonzero SD over seeds is far above
        # 1e-9; below it the seeds are equal and the SD is rounding noise (no ratio).
        ratio = [dmeans[e] / K[e][1] for e in range(E) if math.isfinite(K[e][1]) and K[e][1] > 1e-9]
        share = (sum(inside) / len(inside)) if inside else float("nan")
        summary.append({
            "dataset": dataset, "model": key[0], "filters": key[1], "init": key[2], "seeds": len(seeds), "epochs": E,
            "mean_abs_delta": mean(run_abs), "mean_abs_delta_of_means": mean(dmeans),
            "max_abs_delta_of_means": max(dmeans) if dmeans else float("nan"),
            "repro_spread": mean([R[e][1] for e in range(E)]), "keras_spread": mean([K[e][1] for e in range(E)]),
            "within_share": share, "max_delta_over_keras_sd": max(ratio) if ratio else float("nan"),
            "agrees": ("yes" if share >= AGREE_SHARE else "no") if math.isfinite(share) else "n/a (one seed)",
            "repro_final": R[E - 1][0], "keras_final": K[E - 1][0],
            "repro_best": mean([max(c[0]) for c in seeds.values()]), "keras_best": mean([max(c[1]) for c in seeds.values()]),
            "repro_s_per_epoch": float("nan"), "keras_s_per_epoch": float("nan"),
            "repro_stuck": sum(stuck(c[0], CLASSES[dataset]) for c in seeds.values()),
            "keras_stuck": sum(stuck(c[1], CLASSES[dataset]) for c in seeds.values()),
        })
    secs = {}
    for r in rows:
        k = (r["model"], r["filters"], r["init"])
        s = secs.setdefault(k, ([], []))
        s[0].append(float(r["repro_seconds"]))
        s[1].append(float(r["keras_seconds"]))
    for s in summary:
        a, b = secs[(s["model"], s["filters"], s["init"])]
        s["repro_s_per_epoch"], s["keras_s_per_epoch"] = mean(a), mean(b)
    cols = list(summary[0].keys())
    write_atomic(out / "summary.csv", csv_text(cols, summary))

    # DMN - ConvNet per filters and ConvNet init, per framework: per epoch the difference of the means.
    pairs = []
    filters_all = sorted({k[1] for k in keys}, key=lambda f: (len(f.split("-")), [int(x) for x in f.split("-")] if f else []))
    for f in filters_all:
        dmn = by.get(("dmn", f, ""))
        if not dmn:
            continue
        for init in sorted({k[2] for k in keys if k[0] == "convnet" and k[1] == f}):
            conv = by[("convnet", f, init)]
            row = {"filters": f, "init": init}
            for w, name in ((0, "repro"), (1, "keras")):
                D, C = per_epoch(dmn, w), per_epoch(conv, w)
                E = min(len(D), len(C))
                d = [D[e][0] - C[e][0] for e in range(E)]
                row[name] = d
            pairs.append(row)

    # Claims under every budget and rule, per framework and per ConvNet init.
    claim_rows = []
    inits = sorted({k[2] for k in keys if k[0] == "convnet"})
    for cid, cds, layers, judge, need in CLAIMS:
        if cds != dataset:
            continue
        for init in inits:
            cfgs = [f for f in filters_all if ("dmn", f, "") in by and ("convnet", f, init) in by
                    and (layers is None or len(f.split("-")) == layers)]
            if not cfgs:
                continue
            top = min(min(len(c[w]) for c in by[(m, f, i)].values() for w in (0, 1))
                      for f in cfgs for (m, i) in (("dmn", ""), ("convnet", init)))
            budgets = [b for b in BUDGETS if b < top] + [top]
            for rule in ("final", "best-test"):
                for b in budgets:
                    row = {"claim": cid, "convnet_init": init, "rule": rule, "budget": b}
                    for w, name in ((0, "repro"), (1, "keras")):
                        verdicts, diffs = [], []
                        for f in cfgs:
                            ds = {s: select(c[w], b, rule) for s, c in by[("dmn", f, "")].items()}
                            cs = {s: select(c[w], b, rule) for s, c in by[("convnet", f, init)].items()}
                            verdicts.append(judge(Summary(list(ds.values())), Summary(list(cs.values()))))
                            paired = [ds[s] - cs[s] for s in ds if s in cs]
                            diffs.append(f"{f.replace('-', '+')} {100 * mean(paired):+.1f}")
                        row[name] = combine(verdicts, need(len(verdicts)))
                        row[name + "_diffs"] = "; ".join(diffs)
                    row["agree"] = "yes" if row["repro"] == row["keras"] else "NO"
                    claim_rows.append(row)
    if claim_rows:
        write_atomic(out / "claims.csv", csv_text(list(claim_rows[0].keys()), claim_rows))

    # The figure's table: per panel (filters) and series (model, init, framework), mean and +-1 sd per epoch.
    curve_rows = []
    for p, f in enumerate(filters_all):
        series = [k for k in keys if k[1] == f]
        for k in series:
            for w, name in ((0, "repro"), (1, "keras")):
                for e, (m, s) in enumerate(per_epoch(by[k], w), 1):
                    s0 = s if math.isfinite(s) else 0.0
                    curve_rows.append([p, f, k[0] + ("-" + k[2] if k[2] else ""),
                                       config_label(*k), name, e, 100 * m, 100 * (m - s0), 100 * (m + s0)])
    write_atomic(out / "twin_curves.csv",
                 csv_text(["panel", "filters", "series", "series_label", "framework", "epoch", "mean", "lo", "hi"], curve_rows))

    write_report(results, out, dataset, rows, summary, pairs, claim_rows, by)


def pct(v, digits=2):
    return f"{100 * v:.{digits}f}" if math.isfinite(v) else "–"


def write_report(results, out, dataset, rows, summary, pairs, claim_rows, by):
    meta = {}
    if (out / "twin.json").exists():
        meta = json.loads((out / "twin.json").read_text())
    L = []
    p = L.append
    shown = str(results).rstrip("/")
    if "results/" in shown:  # a repository's results folder, named from its results/ (whichever worktree holds it)
        shown = shown[shown.index("results/"):]
    p(f"# Keras twin of `{shown}` ({dataset})")
    p("")
    p("Written by `benchmarks/twin/twin.py` (see benchmarks/twin/README.md). Each repro run below was re-run in "
      "Keras 3 on JAX with the same protocol; DMN runs rebuilt from their saved filters. Keras draws its own initial "
      "weights and batch order from the run's seed, so runs are not paired draw by draw: the frameworks agree when "
      "their mean curves differ by no more than the seed-to-seed spread.")
    p("")
    if meta:
        v = meta.get("versions", {})
        p(f"Keras {v.get('keras')} / JAX {v.get('jax')} / numpy {v.get('numpy')}, {meta.get('threads')} thread(s) "
          f"(`XLA_FLAGS={meta.get('xla_flags')}`); loss: "
          + ("softmax output, Keras's cross-entropy on probabilities (clipped to [1e-7, 1 − 1e-7]), as the authors' code"
             if meta.get("loss") == "keras" else "cross-entropy from logits (no clipping), as repro")
          + "; He init: " + ("N(0, 2/fan_in) untruncated, as repro" if meta.get("he") == "normal"
                             else "Keras's he_normal (truncated)") + "."
          + (f" Keras trained only the first {meta['max_epochs']} epochs of each run (`--max-epochs`): the comparison "
             f"covers those epochs." if meta.get("max_epochs") else ""))
        p("")
    n_runs = len({r["run_id"] for r in rows})
    p(f"{n_runs} runs twinned, {len(rows)} run-epochs.")
    p("")
    p("## How agreement is measured")
    p("")
    p("Per model and configuration, over its seeds: *mean |Δ|* is the mean over seeds and epochs of |repro − Keras| "
      "test accuracy of the run with the same seed; *|Δ means|* the mean over epochs of |mean repro − mean Keras| "
      "(the means over seeds). A framework's *spread* is the sample standard deviation (n − 1) across seeds at each "
      "epoch, averaged over epochs. repro's mean curve is *within* Keras's spread at an epoch when "
      f"|mean repro − mean Keras| ≤ {BAND:g} × Keras's standard deviation across seeds at that epoch; the curves "
      f"*agree* when that holds at ≥ {int(AGREE_SHARE * 100)}% of the epochs. *Stuck*: the seeds whose test accuracy "
      f"stays within {STUCK_MARGIN * 100:g} point of chance (1/classes) at every epoch: a network that never learned, "
      "e.g. 10.00% on CIFAR-10 throughout. All numbers are "
      "test accuracy in points.")
    p("")
    p("## Agreement per model and configuration")
    p("")
    p("| model | filters | seeds | epochs | mean \\|Δ\\| | \\|Δ means\\| (max) | repro spread | Keras spread | "
      "epochs within | agrees | final repro / Keras | best repro / Keras | stuck repro / Keras | s/epoch repro / Keras |")
    p("|" + " --- |" * 14)
    for s in summary:
        p(f"| {config_label(s['model'], '', s['init'])} | {s['filters'].replace('-', ',') or '–'} | {s['seeds']} | "
          f"{s['epochs']} | {pct(s['mean_abs_delta'])} | {pct(s['mean_abs_delta_of_means'])} "
          f"({pct(s['max_abs_delta_of_means'])}) | {pct(s['repro_spread'])} | {pct(s['keras_spread'])} | "
          f"{pct(s['within_share'], 0)}% | {s['agrees']} | {pct(s['repro_final'])} / {pct(s['keras_final'])} | "
          f"{pct(s['repro_best'])} / {pct(s['keras_best'])} | {s['repro_stuck']} / {s['keras_stuck']} | "
          f"{s['repro_s_per_epoch']:.2f} / {s['keras_s_per_epoch']:.2f} |")
    p("")
    gaps = [s for s in summary if s["agrees"] == "no"]
    if gaps:
        p("Configurations whose curves differ by more than Keras's seed spread: "
          + "; ".join(f"{config_label(s['model'], '', s['init'])} {s['filters'].replace('-', ',')} "
                      f"(|Δ means| {pct(s['mean_abs_delta_of_means'])} points, "
                      + (f"at most {s['max_delta_over_keras_sd']:.1f} Keras SDs)" if math.isfinite(s['max_delta_over_keras_sd'])
                         else "Keras's seeds all at one accuracy: no spread)") for s in gaps)
          + ". See *Findings*.")
        p("")
    if pairs:
        p("## DMN − ConvNet in each framework")
        p("")
        p("Per epoch, the mean DMN test accuracy minus the mean ConvNet accuracy (means over seeds). *Crossings*: the "
          "epochs at which the sign of the difference changes (the first epoch with the new sign).")
        p("")
        p("| filters | ConvNet init | repro: epoch 1 → final | repro crossings | Keras: epoch 1 → final | Keras crossings |")
        p("| --- | --- | --- | --- | --- | --- |")
        for r in pairs:
            cells = []
            for name in ("repro", "keras"):
                d = r[name]
                cells.append(f"{100 * d[0]:+.1f} → {100 * d[-1]:+.1f}" if d else "–")
                c = crossings(d)
                cells.append(", ".join(str(e) for e in c) if c else "none")
            p(f"| {r['filters'].replace('-', ',')} | {r['init']} | " + " | ".join(cells) + " |")
        p("")
    if claim_rows:
        p("## Claims under every budget and selection rule")
        p("")
        p("Each DMN-vs-ConvNet claim of `Sources/Report/Claims.swift`, judged as the report's claim-robustness "
          "section does (per configuration the 95% t intervals over seeds of the selected test accuracies; budget E = "
          "the first E epochs; `final`: epoch E, `best-test`: the best test epoch ≤ E), on each framework's curves, with "
          "the DMN paired against each ConvNet initialiser. The cells give the verdict and the per-configuration mean "
          "DMN − ConvNet difference in points.")
        p("")
        n_agree = sum(r["agree"] == "yes" for r in claim_rows)
        p(f"The verdicts agree in {n_agree} of {len(claim_rows)} claim × ConvNet init × rule × budget cells.")
        thin = [f"{config_label(*k)} {k[1].replace('-', ',')} ({len(v)})" for k, v in by.items()
                if k[0] in ("dmn", "convnet") and len(v) < 2]
        if thin:
            p("")
            p("Configurations with fewer than 2 twinned seeds (a claim that needs them is inconclusive by construction, "
              "in both frameworks): " + "; ".join(thin) + ".")
        p("")
        p("| claim | ConvNet init | rule | E | repro | Keras | agree |")
        p("| --- | --- | --- | --- | --- | --- | --- |")
        for r in claim_rows:
            p(f"| {r['claim']} | {r['convnet_init']} | {r['rule']} | {r['budget']} | {r['repro']}: {r['repro_diffs']} | "
              f"{r['keras']}: {r['keras_diffs']} | {r['agree']} |")
        p("")
    p("## Figure")
    p("")
    p("![repro and Keras test accuracy per epoch](twin.png)")
    p("")
    p("`twin.png` / `twin.svg` (`gnuplot -c benchmarks/twin/twin.gp OUT_DIR`, from `twin_curves.csv`): one panel per "
      "filter configuration; solid lines repro, dashed Keras, each the mean over seeds with a band of ±1 standard "
      "deviation across seeds.")
    p("")
    notes = out / "FINDINGS.md"
    if notes.exists():
        p("## Findings")
        p("")
        p(notes.read_text().strip())
        p("")
    write_atomic(out / "REPORT.md", "\n".join(L) + "\n")


def figure(out):
    gp = HERE / "twin.gp"
    try:
        r = subprocess.run(["gnuplot", "-c", str(gp), str(out)], capture_output=True, text=True)
    except FileNotFoundError:
        print("twin: gnuplot not found (apt-get install gnuplot-nox); no figure", file=sys.stderr)
        return
    if r.returncode != 0 or r.stderr.strip():
        print(r.stderr.strip(), file=sys.stderr)


def main(argv=None):
    args = parse_args(argv)
    configure_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.summary_only and not (Path(args.results) / "runs").is_dir():
        raise SystemExit(f"{args.results}: no runs/ folder (not a repro results folder)")
    if not args.summary_only:
        run_twins(args, out)
    summarise(args.results, out, args.dataset)
    if not args.no_figure and (out / "twin_curves.csv").exists():
        figure(out)


if __name__ == "__main__":
    main()
