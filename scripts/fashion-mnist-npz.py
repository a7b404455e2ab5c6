#!/usr/bin/env python3
"""Writes Fashion-MNIST from the Debian package's IDX files as a NumPy archive.

    python3 scripts/fashion-mnist-npz.py [OUT] [IDX_DIR]
    # OUT defaults to fashion-mnist.npz, IDX_DIR to /usr/share/datasets/fashion-mnist
    # (apt-get install dataset-fashion-mnist)

x_train (60000, 28, 28) uint8, y_train (60000,) uint8, x_test (10000, 28, 28), y_test
(10000,): Keras's load_data names and layout, the images in file order. repro run on a spec
naming this file gives bit-identical accuracies to the same spec naming "fashion-mnist"
(DatasetsTests' and ExperimentsTests' round-trip tests check the equivalence). Written
deterministically (stored members, a fixed timestamp), about 55 MB.
"""
import gzip
import io
import os
import sys
import zipfile

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic == 0x803:
        n, rows, cols = (int.from_bytes(data[o:o + 4], "big") for o in (4, 8, 12))
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    if magic == 0x801:
        n = int.from_bytes(data[4:8], "big")
        return np.frombuffer(data, dtype=np.uint8, offset=8, count=n)
    raise SystemExit(f"{path}: not an IDX file (magic {magic:#x})")


def find(directory, base):
    for name in (base, base + ".gz"):
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{directory}: neither {base} nor {base}.gz")


def write_npz(path, arrays):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, buf.getvalue())


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fashion-mnist.npz"
    src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    arrays = {
        "x_train": read_idx(find(src, "train-images-idx3-ubyte")),
        "y_train": read_idx(find(src, "train-labels-idx1-ubyte")),
        "x_test": read_idx(find(src, "t10k-images-idx3-ubyte")),
        "y_test": read_idx(find(src, "t10k-labels-idx1-ubyte")),
    }
    write_npz(out, arrays)
    print(f"{out}: train {len(arrays['y_train'])}, test {len(arrays['y_test'])}")


if __name__ == "__main__":
    main()
