#!/usr/bin/env python3
"""Peer benchmark: a straightforward numpy build of DMN layer-1 filters on Fashion-MNIST.

Build (timed; file loading is not):
  1. stratified, seeded selection of T_frac of each class's training images;
     scale to [0,1] as float64;
  2. per class c: rho_c = (1/N_c) * sum over ALL stride-1 3x3 patches h (9-vectors)
     of h h^T, computed chunk by chunk with sliding_window_view and one GEMM
     (P P^T, P = 9 x patches) per chunk of images, accumulated in float64;
  3. numpy.linalg.eigh per class, eigenpairs sorted descending, keep the leading
     eigenvectors until their eigenvalues explain T_v of the trace;
  4. merge across classes round-robin (rank 0 of class 0..9, then rank 1, ...),
     keeping a candidate only if |cos| with every kept filter is < T_PC.

Reports the median wall time over --repeats builds as one JSON line on stdout,
plus numpy/BLAS information (also in the JSON) and a summary on stderr.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
N_CLASSES = 10
K = 3  # filter side


def read_idx_gz(path, header_bytes):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes)


def load_fashion_train():
    images = read_idx_gz(os.path.join(FASHION_DIR, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 28, 28)
    labels = read_idx_gz(os.path.join(FASHION_DIR, "train-labels-idx1-ubyte.gz"), 8)
    return images, labels


def stratified_indices(labels, tfrac, seed):
    """For every class, a seeded random round(tfrac * n_c) subset of its indices (sorted)."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(N_CLASSES):
        idx = np.flatnonzero(labels == c)
        take = int(round(tfrac * idx.size))
        out.append(np.sort(rng.choice(idx, size=take, replace=False)))
    return out


def class_density_matrix(images_u8, chunk):
    """rho = (1/N) sum_h h h^T over all stride-1 KxK patches of the given uint8 images."""
    d = K * K
    acc = np.zeros((d, d), dtype=np.float64)
    n_patches = 0
    for start in range(0, images_u8.shape[0], chunk):
        block = images_u8[start:start + chunk].astype(np.float64) / 255.0  # scale to [0,1]
        win = sliding_window_view(block, (K, K), axis=(1, 2))  # (n, H-2, W-2, K, K) view
        # Materialise the patch matrix as (9, n*(H-2)*(W-2)): window offsets first, so the
        # copy moves whole image rows (about 1.8x faster than the (N, 9) layout here).
        p = win.transpose(3, 4, 0, 1, 2).reshape(d, -1)
        acc += p @ p.T  # one GEMM per chunk: sum of h h^T, float64 accumulation
        n_patches += p.shape[1]
    return acc / n_patches


def leading_eigvecs(rho, tv):
    w, v = np.linalg.eigh(rho)
    order = np.argsort(w)[::-1]
    w, v = w[order], v[:, order]
    cum = np.cumsum(w)
    k = int(np.searchsorted(cum, tv * np.trace(rho) * (1 - 1e-12))) + 1
    k = min(k, w.size)
    return w[:k], v[:, :k]


def merge_round_robin(per_class_vecs, tpc):
    kept = []
    max_rank = max(v.shape[1] for v in per_class_vecs)
    for r in range(max_rank):
        for vecs in per_class_vecs:
            if r >= vecs.shape[1]:
                continue
            cand = vecs[:, r]
            cand = cand / np.linalg.norm(cand)
            if all(abs(float(cand @ f)) < tpc for f in kept):
                kept.append(cand)
    return np.stack(kept, axis=0)  # (K_filters, 9)


def build(images, labels, tfrac, seed, tv, tpc, chunk):
    sel = stratified_indices(labels, tfrac, seed)
    per_class = []
    kept_per_class = []
    for c in range(N_CLASSES):
        rho = class_density_matrix(images[sel[c]], chunk)
        _, vecs = leading_eigvecs(rho, tv)
        per_class.append(vecs)
        kept_per_class.append(int(vecs.shape[1]))
    filters = merge_round_robin(per_class, tpc)
    return filters, kept_per_class, int(sum(s.size for s in sel))


def blas_info():
    info = {"numpy": np.__version__, "python": platform.python_version()}
    try:
        cfg = np.show_config(mode="dicts")
        deps = cfg.get("Build Dependencies", {})
        for key in ("blas", "lapack"):
            d = deps.get(key, {})
            info[key] = {k: d.get(k) for k in ("name", "version", "openblas configuration") if d.get(k)}
    except Exception as exc:  # older numpy
        info["blas"] = f"unavailable: {exc}"
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
                               for p in threadpool_info()]
    except ImportError:
        pass
    info["env"] = {k: os.environ[k] for k in sorted(os.environ)
                   if k.startswith("OPENBLAS") or k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfrac", type=float, default=0.3, help="fraction of each class's training images (T_frac)")
    ap.add_argument("--tv", type=float, default=0.98, help="explained-trace threshold T_v")
    ap.add_argument("--tpc", type=float, default=0.9, help="merge threshold T_PC on |cos|")
    ap.add_argument("--seed", type=int, default=0, help="selection seed")
    ap.add_argument("--chunk", type=int, default=64,
                    help="images per sliding-window GEMM chunk (64 keeps the patch matrix in cache)")
    ap.add_argument("--repeats", type=int, default=5, help="timed builds (median reported)")
    ap.add_argument("--json-only", action="store_true", help="no summary on stderr")
    args = ap.parse_args()
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")

    images, labels = load_fashion_train()  # not timed

    secs = []
    filters = kept = n_used = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        filters, kept, n_used = build(images, labels, args.tfrac, args.seed, args.tv, args.tpc, args.chunk)
        secs.append(time.perf_counter() - t0)

    info = blas_info()
    rec = {
        "tool": "numpy",
        "task": "dmn-build-layer1",
        "dataset": "fashion-mnist",
        "tfrac": args.tfrac,
        "seconds": round(statistics.median(secs), 4),
        "filters": int(filters.shape[0]),
        "images": n_used,
        "tv": args.tv,
        "tpc": args.tpc,
        "seed": args.seed,
        "chunk": args.chunk,
        "kept_per_class": kept,
        "repeats": args.repeats,
        "all_seconds": [round(s, 4) for s in secs],
        "threads": int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or os.cpu_count()),
        "versions": info,
    }
    print(json.dumps(rec), flush=True)
    if not args.json_only:
        print(f"numpy {info['numpy']}, BLAS {info.get('blas')}, env {info['env']}", file=sys.stderr)
        print(f"DMN layer-1 build, Fashion-MNIST, T_frac {args.tfrac} ({n_used} images): "
              f"median {rec['seconds']:.3f} s over {args.repeats} (all: {rec['all_seconds']}); "
              f"{rec['filters']} filters; kept per class {kept}", file=sys.stderr)


if __name__ == "__main__":
    main()
