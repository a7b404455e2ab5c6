#!/usr/bin/env python3
"""Peer benchmark: the paper's small ConvNets trained with PyTorch on the CPU, eager mode.

The same networks, data, optimiser and figures as peer_keras.py: for every config
(e.g. "4", "4,15", "16,32") and input (28x28x1 = Fashion-MNIST, 32x32x3 = CIFAR-10)

    [Conv2d(F, 3x3, stride 1, no padding, bias) -> ReLU -> MaxPool2d(2)] per F
    -> Flatten -> Linear(10)   (softmax inside the cross-entropy loss)

trained with SGD(lr=0.01, momentum=0.9) on cross-entropy, batch 64, float32, on the
first --images real training images held in memory as tensors (no DataLoader, no
shuffling), one warm-up epoch excluded, MEDIAN of --repeats timed epochs; inference
under torch.inference_mode() in batches of 1000, median of --repeats after a warm-up.

torch.set_num_threads(--threads), default: the CPUs this process may run on (2 here).
The layout is PyTorch's default NCHW, as a researcher would write it; the images are
transposed from HWC once, before timing.

Output: one JSON object per line on stdout (tool "torch"); a table on stderr.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# The data loaders and argument parsing are peer_keras.py's, so both peers read the same
# images; importing it does not import keras or jax.
from peer_keras import load_input, parse_configs, parse_inputs  # noqa: E402

TRAIN_BATCH = 64
INFER_BATCH = 1000


def build_model(torch, filters, shape):
    nn = torch.nn
    h, w, c = shape
    layers = []
    for f in filters:
        layers += [nn.Conv2d(c, f, 3), nn.ReLU(), nn.MaxPool2d(2)]
        h, w, c = (h - 2) // 2, (w - 2) // 2, f
    layers += [nn.Flatten(), nn.Linear(h * w * c, 10)]
    return nn.Sequential(*layers)


def time_training(torch, model, batches, repeats):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def one_epoch():
        model.train()
        t0 = time.perf_counter()
        total = 0.0
        for xb, yb in batches:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.detach()
        # .item() waits for the last step (CPU eager is synchronous anyway).
        loss = float(total.item()) / len(batches)
        return time.perf_counter() - t0, loss

    warm_s, _ = one_epoch()
    secs, losses = [], []
    for _ in range(repeats):
        s, loss = one_epoch()
        secs.append(s)
        losses.append(loss)
    return warm_s, secs, losses


def time_inference(torch, model, x, repeats):
    model.eval()

    def one_pass():
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, x.shape[0], INFER_BATCH):
                out = model(x[i:i + INFER_BATCH])
        _ = float(out[-1, 0])
        return time.perf_counter() - t0

    one_pass()
    return [one_pass() for _ in range(repeats)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["4", "4,15", "16,32"])
    ap.add_argument("--inputs", nargs="+", default=["28x28x1", "32x32x3"])
    ap.add_argument("--images", type=int, default=12800,
                    help="training images per epoch (rounded down to a multiple of 64); default 12800")
    ap.add_argument("--repeats", type=int, default=3, help="timed epochs / inference passes (median reported)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads (default: CPUs this process may run on)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json-only", action="store_true")
    args = ap.parse_args()
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    n = (args.images // TRAIN_BATCH) * TRAIN_BATCH
    if n <= 0:
        raise SystemExit(f"--images must be at least {TRAIN_BATCH}")

    import torch

    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    versions = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}

    rows = []
    for input_name in parse_inputs(args.inputs):
        x_hwc, y_np = load_input(input_name, n)
        x = torch.from_numpy(np.ascontiguousarray(x_hwc.transpose(0, 3, 1, 2)))  # NHWC -> NCHW
        y = torch.from_numpy(y_np.astype(np.int64))
        batches = [(x[i:i + TRAIN_BATCH], y[i:i + TRAIN_BATCH]) for i in range(0, n, TRAIN_BATCH)]
        shape = tuple(int(d) for d in input_name.split("x"))
        for config in parse_configs(args.configs):
            filters = [int(t) for t in config.split(",")]
            torch.manual_seed(args.seed)
            model = build_model(torch, filters, shape)
            warm_s, train_secs, losses = time_training(torch, model, batches, args.repeats)
            infer_secs = time_inference(torch, model, x, args.repeats)
            rec = {
                "tool": "torch",
                "config": config,
                "input": input_name,
                "batch": TRAIN_BATCH,
                "train_images_per_s": round(n / statistics.median(train_secs), 1),
                "infer_images_per_s": round(n / statistics.median(infer_secs), 1),
                "threads": threads,
                "versions": versions,
                "images": n,
                "repeats": args.repeats,
                "infer_batch": INFER_BATCH,
                "params": sum(p.numel() for p in model.parameters()),
                "train_epoch_s": [round(s, 4) for s in train_secs],
                "warmup_epoch_s": round(warm_s, 4),
                "infer_pass_s": [round(s, 4) for s in infer_secs],
                "final_train_loss": round(losses[-1], 5),
            }
            print(json.dumps(rec), flush=True)
            rows.append(rec)

    if not args.json_only:
        print(f"\ntorch {torch.__version__} eager CPU, {threads} threads, {n} images, median of {args.repeats}",
              file=sys.stderr)
        for r in rows:
            print(f"{r['config']:<8} {r['input']:<8} train {r['train_images_per_s']:>10.1f} img/s  "
                  f"infer {r['infer_images_per_s']:>10.1f} img/s  loss {r['final_train_loss']:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
