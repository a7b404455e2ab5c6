#!/usr/bin/env python3
"""Writes scikit-learn's bundled handwritten digits as an image folder of mixed sizes, the
example of repro's data.resize option.

    python3 scripts/digits-folder.py [OUT]     # OUT defaults to experiments/data/digits-folder

The same images and the same seeded stratified split as scripts/digits-npz.py (1,347
training and 450 test images, pixel values round(v * 255 / 16)), but each image enlarged
(Pillow, bilinear) to a random height and width, each drawn independently from 8..32 with
NumPy's default_rng(0), and written as a grayscale PNG: OUT/train/<digit>/<index>.png and
OUT/test/<digit>/<index>.png, torchvision's ImageFolder layout. The images differ in size and
aspect, so repro refuses the folder unless a spec sets data.resize (experiments/digits-folder.json
uses "16x16"), or `repro data --resize 16x16 OUT` is asked to list it.

The folder is not committed (1,797 files); its SHA-256 in run ids depends on the PNG bytes,
which depend on the Pillow and zlib versions.
"""
import os
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "experiments/data/digits-folder"
    d = load_digits()
    x = np.round(d.images * 255.0 / 16.0).astype(np.uint8)
    y = d.target.astype(np.uint8)
    index = np.arange(len(y))
    i_train, i_test = train_test_split(index, test_size=0.25, stratify=y, random_state=0)
    rng = np.random.default_rng(0)
    sizes = set()
    for split, ids in (("train", i_train), ("test", i_test)):
        for i in ids:
            h, w = (int(v) for v in rng.integers(8, 33, size=2))
            sizes.add((h, w))
            folder = os.path.join(out, split, str(y[i]))
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(x[i], mode="L").resize((w, h), Image.BILINEAR).save(os.path.join(folder, f"{i:04d}.png"))
    print(f"{out}: train {len(i_train)}, test {len(i_test)} PNGs in {len(sizes)} different sizes "
          f"(height x width from 8 to 32)")


if __name__ == "__main__":
    main()
