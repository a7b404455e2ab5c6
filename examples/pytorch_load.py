#!/usr/bin/env python3
"""Load a network saved by `repro run --weights` into PyTorch and measure its test accuracy.

Usage:
    python3 examples/pytorch_load.py results/quick/runs/85d6e3d92f35.json
    python3 examples/pytorch_load.py results/quick            # every saved run of a folder
    options: --data-dir DIR (as repro's), --float64 (compute in float64)

For each run file that names `.npy` weights, the network is rebuilt as a `torch.nn.Sequential`
from those files alone (conv 3×3 valid → ReLU, or none for a DMN with `dmn.activation: none`
→ 2×2 max-pool → per-channel standardisation where saved → … → flatten in NHWC order → dense
softmax), the run's test set is read and preprocessed exactly as repro does it
(scripts/repro_data.py: same images, same float32 inputs, including raw-noise), and the
accuracy is printed beside the run file's. Exit status 1 when one differs.

Layouts: repro saves conv weights HWIO (3, 3, C, K); PyTorch's Conv2d wants (K, C, 3, 3) and
NCHW inputs. The dense softmax's inputs are in NHWC-flattened order, so the features are
permuted back to NHWC before flattening. Linear's weight is the transpose of `softmax.w`.

In float32 PyTorch sums in another order than repro, so a prediction whose top two logits
are within float32 rounding could in principle flip; --float64 removes that (the inputs are the
same float32 values either way). scripts/check_weights.py does the same check in NumPy.
"""

import argparse
import pathlib
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
import repro_data as rd  # noqa: E402


class Standardize(nn.Module):
    """(x − mean[c]) · (1/std[c]) on NCHW activations, the reciprocal taken in float32 as repro."""

    def __init__(self, mean, std):
        super().__init__()
        inv = np.float32(1) / std.astype(np.float32)
        self.register_buffer("mean", torch.from_numpy(mean.astype(np.float32)).view(1, -1, 1, 1))
        self.register_buffer("inv", torch.from_numpy(inv).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) * self.inv


class FlattenNHWC(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


def build(layers):
    """A torch.nn.Sequential from repro_data.network_layers; it takes NCHW float inputs."""
    modules = []
    flattened = False
    for layer in layers:
        if layer[0] == "conv":
            _, w, b, relu = layer
            conv = nn.Conv2d(w.shape[2], w.shape[3], kernel_size=3)
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))))
                conv.bias.copy_(torch.from_numpy(b))
            modules += [conv] + ([nn.ReLU()] if relu else []) + [nn.MaxPool2d(2)]
        elif layer[0] == "standardize":
            modules.append(Standardize(layer[1], layer[2]))
        else:
            _, w, b, relu = layer
            if not flattened:
                modules.append(FlattenNHWC())
                flattened = True
            dense = nn.Linear(w.shape[0], w.shape[1])
            with torch.no_grad():
                dense.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                dense.bias.copy_(torch.from_numpy(b))
            modules += [dense] + ([nn.ReLU()] if relu else [])
    return nn.Sequential(*modules).eval()


def main():
    ap = argparse.ArgumentParser(description="Rebuild repro's saved networks in PyTorch and check their test accuracy.")
    ap.add_argument("paths", nargs="+", metavar="RUN_FILE|RESULTS_DIR")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--float64", action="store_true", help="compute in float64 (inputs stay repro's float32 values)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    dtype = torch.float64 if args.float64 else torch.float32
    def predict(layers, x):
        net = build(layers).to(dtype)
        with torch.no_grad():
            inputs = torch.from_numpy(x).permute(0, 3, 1, 2).to(dtype)       # NCHW
            return torch.cat([net(inputs[i:i + 1000]).argmax(1) for i in range(0, len(inputs), 1000)]).numpy()

    equal, differ, skipped = rd.compare_saved_networks(args.paths, args.data_dir, "PyTorch", predict)
    print(f"{equal} equal, {differ} differ, {skipped} skipped (torch {torch.__version__}, {dtype})")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
