"""repro's data path in NumPy: the same files, images, subsets and floats as the Swift harness.

An exact port (numpy only, Python 3.11) of how `repro` reads and preprocesses its data, so that
another framework can feed a network saved by `repro run --weights` exactly the floats repro
fed it. Each function names the Swift code it ports; where this module and that code disagree,
the Swift code is right and this module has a bug.

API (other scripts import it: scripts/check_weights.py, examples/*_load.py, benchmarks/twin/):

``data_dir(explicit=None) -> pathlib.Path``
    The data directory as repro resolves it (Sources/Datasets/Loading.swift, DataDirectory):
    ``explicit`` (repro's ``--data-dir``) if given and not empty, else ``$REPRO_DATA`` if set
    and not empty, else ``~/.cache/repro-data``.

``load_splits(dataset, data_dir=None, cifar100_labels="fine") -> (x_train, y_train, x_test, y_test)``
    ``dataset`` is ``mnist``, ``fashion-mnist``, ``cifar10`` or ``cifar100``. Images are
    ``uint8`` NHWC arrays (N, 28, 28, 1) or (N, 32, 32, 3), labels ``int64``, in file order
    (CIFAR-10's five training batches concatenated in order). IDX files may be raw or gzipped
    (detected by the gzip magic, as repro does); Fashion-MNIST is read from
    ``<data_dir>/fashion-mnist`` if it holds any of its four files, else from
    ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
    ``cifar100_labels``: ``fine`` (100 classes) or ``coarse`` (20). Ports
    Sources/Datasets/Formats.swift and Loading.swift (with their main checks; not every
    corruption message).

``num_classes(dataset, cifar100_labels="fine") -> int``

``stratified_subset_indices(y, count=None, fraction=None, seed=0, num_classes=None) -> int64 array``
``stratified_subset(x, y, count=None, fraction=None, seed=0, num_classes=None) -> (x, y)``
    Exactly ``ImageDataset.stratifiedSubset(count:seed:)`` (give ``count``) or
    ``stratifiedSubset(fraction:seed:)`` (give ``fraction``): the same images, in the same
    (original) order. Sources/Datasets/ImageDataset.swift.

``validation_split_indices(y, fraction, seed, num_classes=None) -> (kept, held_out)``
``validation_split(x, y, fraction, seed, num_classes=None) -> ((x_kept, y_kept), (x_held, y_held))``
    Exactly ``ImageDataset.stratifiedSplitIndices`` / ``stratifiedSplit``
    (Sources/Datasets/ValidationSplit.swift).

``run_splits(run_params, data_dir=None, splits=None) -> RunSplits(train, validation, test)``
    The training, validation and test sets of a run exactly as ``ModelRunExecutor.execute``
    builds them (Sources/Experiments/Execution/ModelRunExecutor.swift): ``data.trainLimit``
    (a stratified subset of that many training images, seed 0), then ``data.validation``
    (a stratified hold-out of that fraction of them, keyed by the run seed), and
    ``data.testLimit`` (a stratified subset of the test set, seed 0). ``run_params`` is a run
    file's ``"run"`` object, or the whole run file (its ``"run"`` is used). Each field is an
    ``(x_uint8, y_int64)`` pair; ``validation`` is None without a validation split. ``splits``:
    the dataset's ``load_splits`` tuple when the caller has it already (not modified).

``channel_statistics(x_uint8) -> (mean float32[C], std float32[C])``
    ``ImageDataset.channelStatistics``: per-channel mean and population std of pixel/255,
    computed exactly from byte histograms in float64 (what ``standardize`` is fitted with:
    call it on the run's training images, after the validation split).

``preprocess(x_uint8, method, seed=0, mean=None, std=None) -> float32 array (same shape)``
    ``method`` is ``scale`` (pixel/255), ``standardize`` ((pixel/255 − mean[c]) / std[c];
    ``mean``/``std`` are required: the training set's ``channel_statistics``, or a run's saved
    ``input.mean.npy``/``input.std.npy``), ``raw`` (0…255) or ``raw-noise`` (0…255 plus U[0, 1)
    noise per pixel keyed by ``seed`` — the run seed — and the image's bytes). The byte→float
    tables are computed in float64 and rounded once, as ``ImageDataset.lookupTable``; the
    noise is ``RawNoise`` (Sources/Datasets/RawNoise.swift) over ``SeededRandom``
    (Sources/Numerics/Random.swift: xoshiro256** seeded by SplitMix64), vectorised over images
    with uint64 arithmetic, and added in float32 as repro adds it.

``run_inputs(run_params, x_uint8, x_train_uint8=None, arrays=None) -> float32``
    ``preprocess`` with the run's method and seed; for ``standardize``, the statistics are the
    run's saved ``input.mean``/``input.std`` (``arrays``, from ``load_run``) when given, else
    ``channel_statistics(x_train_uint8)``.

``load_run(run_file) -> (record, arrays)``
    A run file (``results/<spec>/runs/<id>.json``) as a dict, and its saved arrays
    (``{"conv1.w": ndarray, …}``, read with ``numpy.load`` from the files its ``"weights"``
    manifest names; empty when it saved none).

``network_layers(record, arrays) -> [("conv", w, b, relu) | ("standardize", mean, std) | ("dense", w, b, relu)]``
    The saved network of a run, layer by layer: conv 3×3 valid (weights HWIO (3,3,C,K)) + bias
    → ReLU unless ``dmn.activation`` is ``none`` (dmn, pca, hybrid) → 2×2 max-pool (floor) →
    per-channel (x − mean)·(1/std) where ``dmn.normalization`` is ``standardize`` → … →
    flatten (NHWC) → dense softmax (``softmax.w`` (inputs, classes)); mlp: dense → ReLU layers.
    Raises ``MissingStatistics`` for a standardised DMN saved before its statistics were
    (commit 3c0ae9c), ``ValueError`` when the arrays do not fit the run.

``last_epoch_test_accuracy(record) -> float``
    The test accuracy of the network a run saved: the last epoch's in ``outcome.history``
    (weights are saved after the last epoch, whatever ``data.selection`` reports).

``SeededRandom(seed, stream=None)``: repro's generator (``next()``, ``next_int(below)``).

Command line: ``python3 scripts/repro_data.py DATASET`` prints the splits' shapes and class
counts and a SHA-256 of each split's bytes and labels.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import pathlib
from typing import NamedTuple

import numpy as np

__all__ = [
    "DATASETS", "SYSTEM_FASHION_MNIST", "data_dir", "load_splits", "load_archive", "num_classes",
    "stratified_subset_indices", "stratified_subset", "validation_split_indices",
    "validation_split", "RunSplits", "run_splits", "channel_statistics", "lookup_table",
    "preprocess", "raw_noise", "raw_noise_keys", "run_inputs", "load_run", "SeededRandom",
    "last_epoch_test_accuracy", "network_layers", "MissingStatistics",
]

DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar100")
SYSTEM_FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
ENVIRONMENT_VARIABLE = "REPRO_DATA"

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


# --------------------------------------------------------------------------------------------
# Data directory and files (Sources/Datasets/Loading.swift)

def _resolve_data_dir(explicit=None) -> pathlib.Path:
    """repro's data directory: `explicit`, else $REPRO_DATA, else ~/.cache/repro-data."""
    if explicit is not None and str(explicit) != "":
        path = str(explicit)
    elif os.environ.get(ENVIRONMENT_VARIABLE, ""):
        path = os.environ[ENVIRONMENT_VARIABLE]
    else:
        home = os.environ.get("HOME", "") or os.path.expanduser("~")
        path = os.path.join(home, ".cache/repro-data")
    return pathlib.Path(os.path.expanduser(path))


data_dir = _resolve_data_dir


_IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
_SUBDIRECTORY = {"mnist": "mnist", "fashion-mnist": "fashion-mnist",
                 "cifar10": "cifar-10-batches-bin", "cifar100": "cifar-100-binary"}


def _file_names(dataset):
    if dataset in ("mnist", "fashion-mnist"):
        return _IDX_FILES
    if dataset == "cifar10":
        return [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    return ["train.bin", "test.bin"]


def _existing_file(directory, base):
    raw = os.path.join(directory, base)
    if os.path.isfile(raw):
        return raw
    if os.path.isfile(raw + ".gz"):
        return raw + ".gz"
    return None


def _dataset_directory(dataset, root):
    primary = os.path.join(str(root), _SUBDIRECTORY[dataset])
    if dataset != "fashion-mnist":
        return primary
    names = _file_names(dataset)
    if any(_existing_file(primary, f) for f in names):
        return primary
    if any(_existing_file(SYSTEM_FASHION_MNIST, f) for f in names):
        return SYSTEM_FASHION_MNIST
    return primary


def _read_bytes(path) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic (whatever its name)."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


class DatasetError(Exception):
    def __init__(self, file, problem):
        super().__init__(f"{file}: {problem}")
        self.file, self.problem = file, problem


def _idx(images_path, labels_path, classes):
    img = _read_bytes(images_path)
    if len(img) < 16 or int.from_bytes(img[0:4], "big") != 0x803:
        raise DatasetError(images_path, "not an IDX images file (magic 0x00000803)")
    n, rows, cols = (int.from_bytes(img[i:i + 4], "big") for i in (4, 8, 12))
    if (rows, cols) != (28, 28):
        raise DatasetError(images_path, f"image dimensions are {rows}×{cols}, expected 28×28")
    if len(img) != 16 + n * rows * cols:
        raise DatasetError(images_path, f"expected {16 + n * rows * cols} bytes, found {len(img)}")
    lab = _read_bytes(labels_path)
    if len(lab) < 8 or int.from_bytes(lab[0:4], "big") != 0x801:
        raise DatasetError(labels_path, "not an IDX labels file (magic 0x00000801)")
    m = int.from_bytes(lab[4:8], "big")
    if len(lab) != 8 + m:
        raise DatasetError(labels_path, f"expected {8 + m} bytes, found {len(lab)}")
    if m != n:
        raise DatasetError(labels_path, f"{m} labels for {n} images")
    y = np.frombuffer(lab, np.uint8, offset=8).astype(np.int64)
    if y.size and y.max() >= classes:
        raise DatasetError(labels_path, f"label out of range: {int(y.max())}, expected 0..<{classes}")
    x = np.frombuffer(img, np.uint8, offset=16).reshape(n, rows, cols, 1).copy()
    return x, y


def _cifar(paths, label_bytes, limits, use):
    xs, ys = [], []
    record = label_bytes + 3072
    for p in paths:
        b = _read_bytes(p)
        if len(b) == 0 or len(b) % record:
            raise DatasetError(p, f"size {len(b)} bytes is not a positive multiple of the {record}-byte record")
        a = np.frombuffer(b, np.uint8).reshape(-1, record)
        for k in range(label_bytes):  # every label byte is checked, used or not
            if a[:, k].max() >= limits[k]:
                raise DatasetError(p, f"label byte {k} out of range: {int(a[:, k].max())}, expected 0..<{limits[k]}")
        ys.append(a[:, use].astype(np.int64))
        # planar R, G, B (1024 each) → interleaved HWC
        xs.append(a[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return np.ascontiguousarray(np.concatenate(xs)), np.concatenate(ys)


def num_classes(dataset, cifar100_labels="fine") -> int:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    if dataset == "cifar100":
        return 20 if cifar100_labels == "coarse" else 100
    return 10


def load_splits(dataset, data_dir=None, cifar100_labels="fine"):
    """(x_train, y_train, x_test, y_test) as repro's `loadDataset` reads them."""
    num_classes(dataset)
    if cifar100_labels not in ("fine", "coarse"):
        raise ValueError(f"cifar100_labels must be fine or coarse, not {cifar100_labels!r}")
    root = _resolve_data_dir(data_dir)
    directory = _dataset_directory(dataset, root)
    files = []
    for name in _file_names(dataset):
        found = _existing_file(directory, name)
        if found is None:
            raise DatasetError(os.path.join(directory, name),
                               f"missing file ({dataset}; data directory {root}; see `repro data`)")
        files.append(found)
    if dataset in ("mnist", "fashion-mnist"):
        x_train, y_train = _idx(files[0], files[1], 10)
        x_test, y_test = _idx(files[2], files[3], 10)
    elif dataset == "cifar10":
        x_train, y_train = _cifar(files[:5], 1, [10], 0)
        x_test, y_test = _cifar(files[5:], 1, [10], 0)
    else:
        use = 0 if cifar100_labels == "coarse" else 1
        x_train, y_train = _cifar(files[:1], 2, [20, 100], use)
        x_test, y_test = _cifar(files[1:], 2, [20, 100], use)
    return x_train, y_train, x_test, y_test


def load_archive(path, sha256=None):
    """(x_train, y_train, x_test, y_test) of a dataset given by path as a NumPy archive (Keras's
    `load_data` names; images uint8 (N, H, W) or (N, H, W, C), made NHWC here), as repro reads
    it. `sha256`, when given, must be the file's (the run file's `dataset_hash`)."""
    import hashlib
    with open(path, "rb") as f:
        raw = f.read()
    if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
        raise DatasetError(path, "its SHA-256 is not the run's dataset_hash: the data changed since the run")
    with np.load(path) as archive:
        parts = [np.asarray(archive[k]) for k in ("x_train", "y_train", "x_test", "y_test")]
    x_train, y_train, x_test, y_test = parts
    if x_train.ndim == 3:
        x_train, x_test = x_train[..., None], x_test[..., None]
    return (np.ascontiguousarray(x_train, dtype=np.uint8), y_train.astype(np.int64),
            np.ascontiguousarray(x_test, dtype=np.uint8), y_test.astype(np.int64))


# --------------------------------------------------------------------------------------------
# SeededRandom (Sources/Numerics/Random.swift): xoshiro256** seeded through SplitMix64

def _splitmix_finish(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _fnv1a(text):
    h = _FNV_OFFSET
    for b in text.encode("utf-8"):
        h = ((h ^ b) * _FNV_PRIME) & _M64
    return h


class SeededRandom:
    """repro's `SeededRandom`: `SeededRandom(seed)` or `SeededRandom(seed, stream="subsample")`."""

    def __init__(self, seed, stream=None):
        seed = int(seed) & _M64
        if stream is not None:
            seed ^= _fnv1a(stream)
        s = []
        x = seed
        for _ in range(4):
            x = (x + _GOLDEN) & _M64
            s.append(_splitmix_finish(x))
        self.s = s

    def next(self) -> int:
        s0, s1, s2, s3 = self.s
        r = ((s1 * 5) & _M64)
        result = ((((r << 7) | (r >> 57)) & _M64) * 9) & _M64
        t = (s1 << 17) & _M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & _M64
        self.s = [s0, s1, s2, s3]
        return result

    def next_int(self, below) -> int:
        """Uniform in 0..<below, unbiased by rejection (`nextInt(below:)`)."""
        if below <= 0:
            raise ValueError("below must be positive")
        limit = _M64 - _M64 % below
        while True:
            r = self.next()
            if r < limit:
                return r % below


def _round_half_away(v: float) -> int:
    """Swift's `Double.rounded()` (to nearest, ties away from zero) for v ≥ 0, exactly."""
    f = math.floor(v)
    return int(f) + (1 if v - f >= 0.5 else 0)   # v − floor(v) is exact for doubles


# --------------------------------------------------------------------------------------------
# Stratified subsets and the validation split (ImageDataset.swift, ValidationSplit.swift)

def _indices_by_class(y, classes):
    y = np.asarray(y)
    if classes is None:
        classes = int(y.max()) + 1 if y.size else 0
    order = np.argsort(y, kind="stable")
    counts = np.bincount(y, minlength=classes) if y.size else np.zeros(classes, np.int64)
    lists, start = [], 0
    for c in range(classes):
        lists.append([int(i) for i in order[start:start + counts[c]]])
        start += counts[c]
    return lists


def _proportional_quotas(sizes, total):
    n = sum(sizes)
    if n <= 0 or total <= 0:
        return [0] * len(sizes)
    quotas, remainders = [], []
    for c, nc in enumerate(sizes):
        q, r = divmod(total * nc, n)
        quotas.append(q)
        remainders.append((r, c))
    left = total - sum(quotas)
    remainders.sort(key=lambda rc: (-rc[0], rc[1]))
    for k in range(left):
        quotas[remainders[k][1]] += 1
    return quotas


def stratified_subset_indices(y, count=None, fraction=None, seed=0, num_classes=None):
    """The sorted indices `ImageDataset.stratifiedSubset` keeps (give exactly one of count, fraction)."""
    if (count is None) == (fraction is None):
        raise ValueError("give exactly one of count and fraction")
    lists = _indices_by_class(y, num_classes)
    if count is not None:
        if not 0 <= count <= len(y):
            raise ValueError(f"count {count} outside 0...{len(y)}")
        quotas = _proportional_quotas([len(l) for l in lists], int(count))
    else:
        fraction = float(fraction)
        if not (math.isfinite(fraction) and 0 <= fraction <= 1):
            raise ValueError(f"fraction {fraction} outside [0, 1]")
        quotas = [0 if not l else min(len(l), max(1, _round_half_away(fraction * float(len(l)))))
                  for l in lists]
    rng = SeededRandom(seed, "subsample")
    chosen = []
    for lst, k in zip(lists, quotas):
        if k <= 0:
            continue
        lst = list(lst)
        n = len(lst)
        for i in range(k):
            j = i + rng.next_int(n - i)
            lst[i], lst[j] = lst[j], lst[i]
        chosen.extend(lst[:k])
    return np.array(sorted(chosen), dtype=np.int64)


def stratified_subset(x, y, count=None, fraction=None, seed=0, num_classes=None):
    """(x, y) of `ImageDataset.stratifiedSubset(count:seed:)` or `(fraction:seed:)`."""
    idx = stratified_subset_indices(y, count=count, fraction=fraction, seed=seed, num_classes=num_classes)
    return x[idx], np.asarray(y)[idx]


def validation_split_indices(y, fraction, seed, num_classes=None):
    """(kept, held_out) sorted index arrays of `ImageDataset.stratifiedSplitIndices`."""
    fraction = float(fraction)
    if not (math.isfinite(fraction) and 0 < fraction < 1):
        raise ValueError(f"fraction {fraction} outside (0, 1)")
    rng = SeededRandom(seed, "validation-split")
    kept, held = [], []
    for lst in _indices_by_class(y, num_classes):
        n = len(lst)
        k = 0 if n < 2 else min(n - 1, _round_half_away(fraction * float(n)))
        for i in range(k):
            j = i + rng.next_int(n - i)
            lst[i], lst[j] = lst[j], lst[i]
        held.extend(lst[:k])
        kept.extend(lst[k:])
    return np.array(sorted(kept), dtype=np.int64), np.array(sorted(held), dtype=np.int64)


def validation_split(x, y, fraction, seed, num_classes=None):
    """((x_kept, y_kept), (x_held_out, y_held_out)) of `ImageDataset.stratifiedSplit`."""
    kept, held = validation_split_indices(y, fraction, seed, num_classes)
    y = np.asarray(y)
    return (x[kept], y[kept]), (x[held], y[held])


class RunSplits(NamedTuple):
    train: tuple
    validation: tuple | None
    test: tuple


def _run(run_params):
    return run_params["run"] if "run" in run_params and "dataset" not in run_params else run_params


def run_splits(run_params, data_dir=None, splits=None) -> RunSplits:
    """Train, validation and test of a run, as `ModelRunExecutor.execute` builds them.
    `splits`: the dataset's `load_splits` result when already loaded (it is not modified)."""
    run = _run(run_params)
    data = run.get("data", {})
    dataset = run["dataset"]
    labels = data.get("cifar100Labels", "fine")
    x_train, y_train, x_test, y_test = splits if splits is not None else load_splits(dataset, data_dir, labels)
    # A dataset given by path (an archive) has as many classes as its labels name.
    classes = num_classes(dataset, labels) if dataset in DATASETS else int(max(y_train.max(), y_test.max())) + 1
    train_limit, test_limit = data.get("trainLimit"), data.get("testLimit")
    if train_limit is not None:
        x_train, y_train = stratified_subset(x_train, y_train, count=min(int(train_limit), len(y_train)),
                                             seed=0, num_classes=classes)
    validation = None
    fraction = float(data.get("validation", 0) or 0)
    if fraction > 0:
        (x_train, y_train), validation = validation_split(x_train, y_train, fraction, int(run["seed"]), classes)
    if test_limit is not None:
        x_test, y_test = stratified_subset(x_test, y_test, count=min(int(test_limit), len(y_test)),
                                           seed=0, num_classes=classes)
    return RunSplits((x_train, y_train), validation, (x_test, y_test))


# --------------------------------------------------------------------------------------------
# Preprocessing (ImageDataset.swift: channelStatistics, lookupTable, fillBatch; RawNoise.swift)

def channel_statistics(x):
    """Per-channel mean and population std of pixel/255, from byte histograms in float64."""
    x = np.asarray(x, dtype=np.uint8)
    c = x.shape[-1]
    if x.size == 0:
        return np.zeros(c, np.float32), np.zeros(c, np.float32)
    flat = x.reshape(-1, c)
    means, stds = [], []
    for ch in range(c):
        hist = np.bincount(flat[:, ch], minlength=256)
        n = 0.0
        total = 0.0
        for v in range(256):   # the same order of Double additions as repro
            k = float(hist[v])
            n += k
            total += k * (float(v) / 255)
        mean = total / n
        ss = 0.0
        for v in range(256):
            d = float(v) / 255 - mean
            ss += float(hist[v]) * d * d
        means.append(mean)
        stds.append(math.sqrt(ss / n))
    return np.array(means, np.float32), np.array(stds, np.float32)


METHODS = ("scale", "standardize", "raw", "raw-noise")


def lookup_table(method, channels, mean=None, std=None):
    """table[c, v]: the float32 byte v of channel c becomes (ImageDataset.lookupTable)."""
    v = np.arange(256, dtype=np.float64)
    if method == "scale":
        row = (v / 255).astype(np.float32)
        return np.tile(row, (channels, 1))
    if method == "standardize":
        if mean is None or std is None:
            raise ValueError("standardize needs mean and std (channel_statistics of the training images, "
                             "or the run's input.mean/input.std)")
        mean = np.asarray(mean, np.float32).reshape(-1)
        std = np.asarray(std, np.float32).reshape(-1)
        if mean.size != channels or std.size != channels:
            raise ValueError(f"{mean.size} means and {std.size} stds for {channels} channels")
        if not np.all(np.isfinite(std) & (std > 0)):
            raise ValueError("every std must be positive and finite")
        m = mean.astype(np.float64)[:, None]
        s = std.astype(np.float64)[:, None]
        return ((v[None, :] / 255 - m) / s).astype(np.float32)
    if method in ("raw", "raw-noise"):
        return np.tile(v.astype(np.float32), (channels, 1))
    raise ValueError(f"unknown preprocessing {method!r}; expected one of {', '.join(METHODS)}")


def raw_noise_keys(x, seed):
    """`RawNoise.key` of every image (uint64 array of len(x)): FNV-1a-style over 8-byte words."""
    x = np.ascontiguousarray(np.asarray(x, dtype=np.uint8))
    n = x.shape[0]
    flat = x.reshape(n, -1)
    count = flat.shape[1]
    words = count // 8
    with np.errstate(over="ignore"):
        h0 = _FNV_OFFSET ^ ((int(seed) * _GOLDEN) & _M64)
        h = np.full(n, h0, dtype=np.uint64)
        prime = np.uint64(_FNV_PRIME)
        if words:
            w = np.ascontiguousarray(flat[:, :words * 8]).view("<u8").astype(np.uint64)
            for i in range(words):
                h = (h ^ w[:, i]) * prime
                h ^= h >> np.uint64(31)
        for i in range(words * 8, count):
            h = (h ^ flat[:, i].astype(np.uint64)) * prime
        z = h + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _xoshiro_states(seeds):
    """SeededRandom(seed:) of each uint64 seed, as four uint64 arrays."""
    with np.errstate(over="ignore"):
        x = seeds.astype(np.uint64).copy()
        states = []
        for _ in range(4):
            x = x + np.uint64(_GOLDEN)
            z = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            states.append(z ^ (z >> np.uint64(31)))
    return states


def raw_noise(x, seed):
    """The float32 U[0, 1) noise `RawNoise.add` adds to each pixel of each image (shape of x)."""
    x = np.asarray(x, dtype=np.uint8)
    n = x.shape[0]
    count = int(np.prod(x.shape[1:]))
    draws = (count + 1) // 2
    r_all = np.empty((draws, n), np.uint64)     # draw d of every image, contiguous per draw
    s0, s1, s2, s3 = _xoshiro_states(raw_noise_keys(x, seed))
    c5, c9 = np.uint64(5), np.uint64(9)
    c7, c57, c17, c45, c19 = (np.uint64(v) for v in (7, 57, 17, 45, 19))
    r = np.empty(n, np.uint64)
    t = np.empty(n, np.uint64)
    with np.errstate(over="ignore"):
        for d in range(draws):            # xoshiro256** next(), in place
            np.multiply(s1, c5, out=r)
            np.bitwise_or(np.left_shift(r, c7), np.right_shift(r, c57), out=r)
            np.multiply(r, c9, out=r_all[d])
            np.left_shift(s1, c17, out=t)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            np.bitwise_or(np.left_shift(s3, c45), np.right_shift(s3, c19), out=s3)
    out = np.empty((n, 2 * draws), np.float32)
    scale = np.float32(2.0 ** -24)
    # first byte of a pair: Float(r >> 40)·2⁻²⁴; second: Float(r & 0xFFFFFF)·2⁻²⁴ (exact)
    out[:, 0::2] = (r_all >> np.uint64(40)).T.astype(np.float32) * scale
    out[:, 1::2] = (r_all & np.uint64(0xFFFFFF)).T.astype(np.float32) * scale
    return out[:, :count].reshape(x.shape)


def preprocess(x_uint8, method, seed=0, mean=None, std=None):
    """The float32 images repro feeds its network (`fillBatch` with the fitted preprocessing)."""
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        raise ValueError(f"images must be uint8, not {x.dtype}")
    if x.ndim == 3:
        x = x[..., None]
    channels = x.shape[-1]
    table = lookup_table(method, channels, mean, std)
    if np.all(table == table[0]):
        out = table[0][x]                       # one table for every channel
    else:
        out = table[np.arange(channels), x]     # table[c, x[..., c]]
    if method == "raw-noise" and x.shape[0]:
        # In chunks of images, so the generator state arrays stay small.
        chunk = 8192
        for b in range(0, x.shape[0], chunk):
            out[b:b + chunk] += raw_noise(x[b:b + chunk], seed)
    return out


def run_inputs(run_params, x_uint8, x_train_uint8=None, arrays=None):
    """`preprocess` with the run's method and seed (standardize: saved statistics, else fitted)."""
    run = _run(run_params)
    method = run.get("data", {}).get("preprocessing", "scale")
    mean = std = None
    if method == "standardize":
        if arrays and "input.mean" in arrays and "input.std" in arrays:
            mean, std = arrays["input.mean"], arrays["input.std"]
        elif x_train_uint8 is not None:
            mean, std = channel_statistics(x_train_uint8)
        else:
            raise ValueError("standardize needs the run's saved input.mean/input.std or its training images")
    return preprocess(x_uint8, method, int(run.get("seed", 0)), mean, std)


# --------------------------------------------------------------------------------------------
# Run files

def load_run(run_file):
    """(record, arrays): the run file as a dict and its saved arrays by name (numpy.load)."""
    run_file = pathlib.Path(run_file)
    record = json.loads(run_file.read_text())
    arrays = {}
    manifest = record.get("weights")
    if manifest:
        folder = run_file.parent / manifest["directory"]
        for entry in manifest.get("arrays", []):
            a = np.load(folder / entry["file"], allow_pickle=False)
            if list(a.shape) != list(entry["shape"]):
                raise ValueError(f"{folder / entry['file']}: shape {a.shape}, the run file says {entry['shape']}")
            arrays[entry["name"]] = a
    return record, arrays


# --------------------------------------------------------------------------------------------
# Saved networks (Sources/Experiments/Weights/RunWeights.swift, Sources/Models/DMN/DMNBuilder.swift)

class MissingStatistics(Exception):
    """A run saved before commit 3c0ae9c: a standardised DMN without its standardize<l>.* files."""


def network_layers(record, arrays):
    """The saved network of a run as a list of layers, from its run file and arrays (`load_run`):
    ``("conv", w (3,3,C,K), b (K,), relu)`` = conv 3×3 valid + bias, ReLU if `relu`, then 2×2
    max-pool (floor); ``("standardize", mean (C,), std (C,))`` = (x − mean)·(1/std), the
    reciprocal taken in float32; ``("dense", w (inputs, outputs), b, relu)`` on the NHWC-flattened
    input. The last layer is the softmax's dense layer (its logits). Raises
    `MissingStatistics` for a standardised network saved without its statistics, `ValueError`
    when the arrays do not fit the run's model."""
    run = record["run"]
    model = run["model"]
    filters = list(run.get("filters", []))
    dmn = run.get("dmn", {})
    names = set(arrays)
    used = set()

    def need(name):
        if name not in arrays:
            raise ValueError(f"the weights have no {name} (model {model}, filters {filters})")
        used.add(name)
        return arrays[name]

    layers = []
    if model == "mlp":
        for l in range(1, len(filters) + 1):
            layers.append(("dense", need(f"dense{l}.w"), need(f"dense{l}.b"), True))
    elif model != "baseline":
        built = model in ("dmn", "pca", "hybrid", "random")
        relu = not (built and dmn.get("activation", "relu") == "none")
        standardize = built and dmn.get("normalization", "none") == "standardize"
        for l in range(1, len(filters) + 1):
            layers.append(("conv", need(f"conv{l}.w"), need(f"conv{l}.b"), relu))
            if standardize:
                m, s = f"standardize{l}.mean", f"standardize{l}.std"
                if m not in names or s not in names:
                    raise MissingStatistics(f"a standardised {model} saved without its frozen statistics "
                                            f"({m}/.std; saved only since commit 3c0ae9c)")
                layers.append(("standardize", need(m), need(s)))
    layers.append(("dense", need("softmax.w"), need("softmax.b"), False))
    for stat in ("input.mean", "input.std"):
        if stat in names:
            used.add(stat)
    extra = names - used
    if extra:
        raise ValueError(f"arrays the network as described does not use: {', '.join(sorted(extra))}")
    return layers


def last_epoch_test_accuracy(record):
    """The test accuracy of the network a run saved: its last epoch's (the weights are saved after
    the last epoch, whatever epoch `data.selection` reports); the outcome's when it has no history."""
    outcome = record.get("outcome") or {}
    history = outcome.get("history") or []
    value = history[-1]["testAccuracy"] if history else outcome.get("testAccuracy")
    return float(value)   # "nan", "inf" strings included


def compare_saved_networks(paths, data_dir, framework, predict):
    """The check both example loaders (examples/keras_load.py, examples/pytorch_load.py) make:
    for every run with saved weights in `paths` (run files or results folders), rebuild its test
    inputs, get class predictions from `predict(layers, x)` (x NHWC float32, as repro saw it)
    and compare the number correct with the run file's test accuracy. Prints a line per run;
    returns (equal, differ, skipped)."""
    files = []
    for a in paths:
        p = pathlib.Path(a)
        files += [p] if p.is_file() else sorted((p / "runs").glob("*.json"))
    files = [f for f in files if (json.loads(f.read_text()).get("weights") or {}).get("arrays")]
    equal = differ = skipped = 0
    cache = {}
    for path in files:
        record, arrays = load_run(path)
        run = record["run"]
        name = f"{path.parent.parent.name}/{record['runId']}"
        try:
            layers = network_layers(record, arrays)
        except MissingStatistics as e:
            print(f"skip {name}: {e}")
            skipped += 1
            continue
        key = (run["dataset"], run.get("data", {}).get("cifar100Labels", "fine"))
        if key not in cache:
            cache[key] = load_splits(key[0], data_dir, key[1])
        splits = run_splits(run, data_dir, splits=cache[key])
        (x_test, y_test), x_train = splits.test, splits.train[0]
        x = run_inputs(run, x_test, x_train, arrays)
        correct = int((np.asarray(predict(layers, x)) == y_test).sum())
        expected = last_epoch_test_accuracy(record)
        same = correct == round(expected * len(y_test))
        equal += same
        differ += not same
        print(f"{'ok  ' if same else 'DIFF'} {name} {run['dataset']} {run['model']} "
              f"{'-'.join(map(str, run.get('filters', []))) or '-'} seed {run['seed']}: "
              f"{framework} {correct / len(y_test):.6g} ({correct}/{len(y_test)}), run file {expected:.6g}")
    return equal, differ, skipped


def _main(argv):
    import hashlib
    if len(argv) != 1 or argv[0] not in DATASETS:
        print(f"usage: repro_data.py {{{'|'.join(DATASETS)}}}")
        return 64
    x_train, y_train, x_test, y_test = load_splits(argv[0])
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        digest = hashlib.sha256(x.tobytes() + y.astype("<i8").tobytes()).hexdigest()[:16]
        print(f"{name}: {x.shape} {x.dtype}, classes {np.bincount(y).tolist()}, sha256 {digest}")
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(_main(sys.argv[1:]))
