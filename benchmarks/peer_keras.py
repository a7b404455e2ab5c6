#!/usr/bin/env python3
"""Peer benchmark: the paper's small ConvNets trained with Keras 3 on the JAX backend (CPU).

For every network config (e.g. "4", "4,15", "16,32") and every input shape
(28x28x1 = Fashion-MNIST, 32x32x3 = CIFAR-10) it builds

    [Conv2D(F, 3x3, stride 1, "valid", bias) -> ReLU -> MaxPool(2x2, stride 2)] per F
    -> Flatten -> Dense(10, softmax)

trains it with SGD(lr=0.01, momentum=0.9) on sparse categorical cross-entropy,
batch 64, float32, on a fixed number of real training images held in memory,
and reports the MEDIAN training throughput over `--repeats` timed epochs (one
warm-up epoch, which includes XLA compilation, is excluded) and the MEDIAN
inference throughput of model.predict (batch 1000) after a warm-up call.

Output: one JSON object per line on stdout; a human-readable table on stderr.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time

os.environ["KERAS_BACKEND"] = "jax"  # must be set before keras is imported
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

TRAIN_BATCH = 64
INFER_BATCH = 1000

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
INPUT_ALIASES = {
    "28x28x1": "28x28x1",
    "fashion-mnist": "28x28x1",
    "fashion": "28x28x1",
    "32x32x3": "32x32x3",
    "cifar-10": "32x32x3",
    "cifar10": "32x32x3",
}


# --------------------------------------------------------------------------- data

def data_root():
    root = os.environ.get("REPRO_DATA")
    if root:
        return root
    return os.path.join(os.path.expanduser("~"), ".cache", "repro-data")


def read_idx_gz(path, header_bytes):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes)


def load_fashion_mnist(n):
    images = read_idx_gz(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"), 16)
    labels = read_idx_gz(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), 8)
    images = images.reshape(-1, 28, 28, 1)
    if n > images.shape[0]:
        raise SystemExit(f"--images {n} exceeds the {images.shape[0]} Fashion-MNIST training images")
    x = images[:n].astype(np.float32) / np.float32(255.0)
    y = labels[:n].astype(np.int32)
    return x, y


def load_cifar10(n):
    """CIFAR-10 binary: records of 1 label byte + 3072 planar (R,G,B 32x32) bytes."""
    folder = os.path.join(data_root(), "cifar-10-batches-bin")
    xs, ys, have = [], [], 0
    for i in range(1, 6):
        if have >= n:
            break
        path = os.path.join(folder, f"data_batch_{i}.bin")
        with open(path, "rb") as f:
            raw = np.frombuffer(f.read(), dtype=np.uint8)
        rec = raw.reshape(-1, 1 + 3072)
        ys.append(rec[:, 0])
        xs.append(rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))  # CHW -> HWC
        have += rec.shape[0]
    if have < n:
        raise SystemExit(f"--images {n} exceeds the {have} CIFAR-10 training images")
    x = np.concatenate(xs)[:n].astype(np.float32) / np.float32(255.0)
    y = np.concatenate(ys)[:n].astype(np.int32)
    return np.ascontiguousarray(x), y


def load_input(input_name, n):
    return load_fashion_mnist(n) if input_name == "28x28x1" else load_cifar10(n)


# --------------------------------------------------------------------------- model

def build_model(keras, filters, input_shape):
    layers = keras.layers
    model = keras.Sequential(name="convnet_" + "_".join(str(f) for f in filters))
    model.add(keras.Input(shape=input_shape, dtype="float32"))
    for f in filters:
        model.add(layers.Conv2D(f, (3, 3), strides=(1, 1), padding="valid", use_bias=True))
        model.add(layers.ReLU())
        model.add(layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=1,  # one jitted step per batch (honest per-step dispatch)
        jit_compile=True,
    )
    return model


def time_training(model, x, y, repeats):
    def one_epoch():
        t0 = time.perf_counter()
        hist = model.fit(x, y, batch_size=TRAIN_BATCH, epochs=1, shuffle=False, verbose=0)
        # History holds python floats -> the epoch's device work has finished.
        loss = float(hist.history["loss"][-1])
        return time.perf_counter() - t0, loss

    warm_s, warm_loss = one_epoch()  # includes tracing + XLA compilation; excluded
    secs, losses = [], []
    for _ in range(repeats):
        s, loss = one_epoch()
        secs.append(s)
        losses.append(loss)
    return warm_s, warm_loss, secs, losses


def time_inference(model, x, repeats):
    def one_pass():
        t0 = time.perf_counter()
        out = model.predict(x, batch_size=INFER_BATCH, verbose=0)  # returns numpy: synced
        _ = float(out[-1, 0])
        return time.perf_counter() - t0

    one_pass()  # warm-up: compiles the full and the trailing partial batch shapes
    return [one_pass() for _ in range(repeats)]


# --------------------------------------------------------------------------- main

def parse_configs(values):
    configs = []
    for v in values:
        for part in v.split(";"):
            part = part.strip()
            if not part:
                continue
            filters = [int(t) for t in part.split(",") if t.strip()]
            if not filters or any(f <= 0 for f in filters):
                raise SystemExit(f"bad config {part!r}")
            configs.append(",".join(str(f) for f in filters))
    return configs


def parse_inputs(values):
    out = []
    for v in values:
        for part in v.replace(";", " ").replace(",", " ").split():
            key = part.strip().lower()
            if key not in INPUT_ALIASES:
                raise SystemExit(f"unknown input {part!r}; use 28x28x1 or 32x32x3")
            out.append(INPUT_ALIASES[key])
    return out


def versions_info():
    import importlib.metadata as md
    info = {"python": platform.python_version()}
    for name in ("keras", "jax", "jaxlib", "numpy"):
        try:
            info[name] = md.version(name)
        except md.PackageNotFoundError:
            info[name] = None
    return info


def thread_info():
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return affinity, os.environ.get("XLA_FLAGS", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["4", "4,15", "16,32"],
                    help='filter counts per conv layer, e.g. --configs 4 4,15 16,32 (or "4;4,15")')
    ap.add_argument("--inputs", nargs="+", default=["28x28x1", "32x32x3"],
                    help="input shapes: 28x28x1 (Fashion-MNIST) and/or 32x32x3 (CIFAR-10)")
    ap.add_argument("--images", type=int, default=12800,
                    help="training images per epoch (rounded down to a multiple of 64); default 12800 = 200 batches")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs / inference passes (median reported)")
    ap.add_argument("--seed", type=int, default=0, help="weight-initialisation seed")
    ap.add_argument("--json-only", action="store_true", help="no human table on stderr")
    args = ap.parse_args()

    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    n = (args.images // TRAIN_BATCH) * TRAIN_BATCH
    if n <= 0:
        raise SystemExit(f"--images must be at least {TRAIN_BATCH}")
    if n != args.images and not args.json_only:
        print(f"note: --images {args.images} rounded down to {n} (whole batches of {TRAIN_BATCH})", file=sys.stderr)

    configs = parse_configs(args.configs)
    inputs = parse_inputs(args.inputs)

    import keras
    import jax

    keras.config.set_floatx("float32")
    versions = versions_info()
    threads, xla_flags = thread_info()
    device = str(jax.devices()[0])

    rows = []
    for input_name in inputs:
        x, y = load_input(input_name, n)
        shape = tuple(int(d) for d in input_name.split("x"))
        for config in configs:
            filters = [int(t) for t in config.split(",")]
            keras.utils.set_random_seed(args.seed)
            model = build_model(keras, filters, shape)
            warm_s, warm_loss, train_secs, losses = time_training(model, x, y, args.repeats)
            infer_secs = time_inference(model, x, args.repeats)
            train_med = statistics.median(train_secs)
            infer_med = statistics.median(infer_secs)
            rec = {
                "tool": "keras-jax",
                "config": config,
                "input": input_name,
                "batch": TRAIN_BATCH,
                "train_images_per_s": round(n / train_med, 1),
                "infer_images_per_s": round(n / infer_med, 1),
                "threads": threads,
                "versions": versions,
                "images": n,
                "repeats": args.repeats,
                "infer_batch": INFER_BATCH,
                "params": int(model.count_params()),
                "train_epoch_s": [round(s, 4) for s in train_secs],
                "warmup_epoch_s": round(warm_s, 4),
                "infer_pass_s": [round(s, 4) for s in infer_secs],
                "final_train_loss": round(losses[-1], 5),
                "device": device,
                "xla_flags": xla_flags,
            }
            print(json.dumps(rec), flush=True)
            rows.append(rec)
            del model
            keras.backend.clear_session()

    if not args.json_only:
        hdr = f"{'config':<8} {'input':<8} {'batch':>5} {'params':>7} {'train img/s':>12} {'infer img/s':>12} {'warm-up s':>9} {'loss':>7}"
        print("", file=sys.stderr)
        print(f"keras {versions['keras']} / jax {versions['jax']} on {device}, {threads} threads, "
              f"{n} images, median of {args.repeats}", file=sys.stderr)
        print(hdr, file=sys.stderr)
        print("-" * len(hdr), file=sys.stderr)
        for r in rows:
            print(f"{r['config']:<8} {r['input']:<8} {r['batch']:>5} {r['params']:>7} "
                  f"{r['train_images_per_s']:>12.1f} {r['infer_images_per_s']:>12.1f} "
                  f"{r['warmup_epoch_s']:>9.2f} {r['final_train_loss']:>7.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
