#!/usr/bin/env python3
"""Writes scikit-learn's bundled handwritten digits as a NumPy archive repro reads.

    python3 scripts/digits-npz.py [OUT]     # OUT defaults to experiments/data/digits.npz

The digits (1,797 images of 8x8 pixels, 10 classes; the UCI optdigits test set, shipped
inside the scikit-learn wheel, so no download) have pixel values 0..16; they are stored as
uint8 round(v * 255 / 16), so that repro's default preprocessing (pixel / 255) gives v / 16.
The train/test split is stratified and seeded (25% test, random_state 0): 1,347 training
and 450 test images. Keras's load_data names: x_train (N, 8, 8) uint8, y_train (N,) uint8,
x_test, y_test.

The archive is written byte-for-byte deterministically (stored members, a fixed timestamp),
so running the script again gives the same file, the same SHA-256 and therefore the same
run ids. The committed experiments/data/digits.npz was written by this script with
scikit-learn 1.9.1 and NumPy 2.4.6.
"""
import io
import sys
import zipfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def write_npz(path, arrays):
    """np.savez's layout (one NAME.npy member per array), but with a fixed date and no
    compression, so that the bytes depend on the arrays alone."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "experiments/data/digits.npz"
    d = load_digits()
    images = d.images  # (1797, 8, 8) float64, integers 0..16
    assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 16
    assert np.all(images == np.round(images))
    x = np.round(images * 255.0 / 16.0).astype(np.uint8)
    y = d.target.astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, stratify=y, random_state=0)
    write_npz(out, {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test})
    # Check what was written, through numpy's own reader.
    with np.load(out) as f:
        assert np.array_equal(f["x_train"], x_train) and np.array_equal(f["y_test"], y_test)
    print(f"{out}: train {len(y_train)}, test {len(y_test)}, "
          f"per class train {np.bincount(y_train).tolist()}, test {np.bincount(y_test).tolist()}")


if __name__ == "__main__":
    main()
