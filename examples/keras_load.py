#!/usr/bin/env python3
"""Load a network saved by `repro run --weights` into Keras 3 and measure its test accuracy.

Usage:
    python3 examples/keras_load.py results/quick/runs/85d6e3d92f35.json
    python3 examples/keras_load.py results/quick             # every saved run of a folder
    options: --data-dir DIR (as repro's)

Keras 3 runs on the backend `KERAS_BACKEND` names (this script defaults it to `jax`, the one
benchmarks/install_peer.sh installs). For each run file that names `.npy` weights, the network
is rebuilt as a `keras.Sequential` from those files alone (Conv2D 3×3 valid → ReLU, or none for
a DMN with `dmn.activation: none` → MaxPooling2D 2×2 → per-channel standardisation where saved
→ … → Flatten → Dense softmax), the run's test set is read and preprocessed exactly as repro
does it (scripts/repro_data.py: same images, same float32 inputs, including raw-noise), and the
accuracy is printed beside the run file's. Exit status 1 when one differs.

Layouts: Keras is channels-last like repro, its Conv2D kernel is HWIO (3, 3, C, K) and its
Dense kernel (inputs, outputs), and Flatten flattens NHWC; so every saved array loads as it is.

Keras sums in float32 in another order than repro, so a prediction whose top two logits are
within float32 rounding could in principle flip; scripts/check_weights.py bounds that.
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
import repro_data as rd  # noqa: E402


class Standardize(keras.layers.Layer):
    """(x − mean[c]) · (1/std[c]), the reciprocal taken in float32 as repro (ChannelStandardize)."""

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self.mean = np.asarray(mean, np.float32)
        self.inv = np.float32(1) / np.asarray(std, np.float32)

    def call(self, x):
        return keras.ops.multiply(keras.ops.subtract(x, self.mean), self.inv)


def build(layers, input_shape):
    """A keras.Sequential from repro_data.network_layers (NHWC float32 inputs, softmax outputs)."""
    model = keras.Sequential([keras.Input(shape=input_shape)])
    flattened = False
    for i, layer in enumerate(layers):
        last = i == len(layers) - 1
        if layer[0] == "conv":
            _, w, b, relu = layer
            conv = keras.layers.Conv2D(w.shape[3], 3, padding="valid", activation="relu" if relu else None)
            model.add(conv)
            conv.set_weights([w, b])
            model.add(keras.layers.MaxPooling2D(2))
        elif layer[0] == "standardize":
            model.add(Standardize(layer[1], layer[2]))
        else:
            _, w, b, relu = layer
            if not flattened:
                model.add(keras.layers.Flatten())
                flattened = True
            dense = keras.layers.Dense(w.shape[1], activation="softmax" if last else ("relu" if relu else None))
            model.add(dense)
            dense.set_weights([w, b])
    return model


def main():
    ap = argparse.ArgumentParser(description="Rebuild repro's saved networks in Keras 3 and check their test accuracy.")
    ap.add_argument("paths", nargs="+", metavar="RUN_FILE|RESULTS_DIR")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    def predict(layers, x):
        return np.argmax(build(layers, x.shape[1:]).predict(x, batch_size=1000, verbose=0), axis=1)

    equal, differ, skipped = rd.compare_saved_networks(args.paths, args.data_dir, "Keras", predict)
    print(f"{equal} equal, {differ} differ, {skipped} skipped (keras {keras.__version__}, backend {keras.backend.backend()})")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
