#!/usr/bin/env python3
"""Tests of scripts/repro_data.py against repro's own Swift code (numpy only).

The oracle is repro itself: the Swift files that define the data path
(Sources/Numerics/Random.swift, Sources/Datasets/{ImageDataset,ValidationSplit,RawNoise,Resize}.swift)
are compiled unchanged (their `import Numerics` lines dropped, since they become one module)
with a small driver, by `swiftc`; the driver reads images and labels that this script writes and
writes back what repro makes of them. Every comparison is exact (equal bytes, equal float32
bits): the port claims to be bit-for-bit, so no tolerance applies.

Checked, on Fashion-MNIST's test set (Debian's dataset-fashion-mnist; always present in CI),
on generated 5×5×3 images (75 bytes: an odd count, so the hash's byte tail and the noise's
single last draw are used) and on CIFAR-10's first 3,000 test images when present:
  * stratifiedSubset(count:) for several counts and seeds, stratifiedSubset(fraction:);
  * stratifiedSplitIndices for several fractions and seeds;
  * channelStatistics; the floats of scale, standardize (with those statistics), raw and
    raw-noise (two seeds) for every image.
Also, without Swift: SeededRandom's stream hash and round-half-away, and load_splits' shapes.

Usage: python3 scripts/test_repro_data.py   (exit 0 when every check passes; prints skips)
"""

import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import repro_data as rd  # noqa: E402

DRIVER = r'''
import Foundation

// Input: Int32 n, h, w, c, classes; n·h·w·c image bytes; n Int32 labels.
// Commands (argv[2...]): sub:COUNT:SEED, frac:FRACTION:SEED, split:FRACTION:SEED, stats,
// fill:scale|standardize|raw|raw-noise:SEED. Each writes its answer to stdout in binary.
let args = CommandLine.arguments
let data = FileManager.default.contents(atPath: args[1])!
func i32(_ at: Int) -> Int { Int(data.subdata(in: at..<(at + 4)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }) }
let n = i32(0), h = i32(4), w = i32(8), c = i32(12), classes = i32(16)
let size = n * h * w * c
let images = [UInt8](data.subdata(in: 20..<(20 + size)))
var labels = [Int32]()
for i in 0..<n { labels.append(Int32(i32(20 + size + 4 * i))) }
let d = ImageDataset(images: images, labels: labels, height: h, width: w, channels: c, numClasses: classes)
var out = Data()
func put<T>(_ a: [T]) { a.withUnsafeBytes { out.append(contentsOf: $0) } }
for command in args.dropFirst(2) {
    let p = command.split(separator: ":").map(String.init)
    switch p[0] {
    case "sub":
        let s = d.stratifiedSubset(count: Int(p[1])!, seed: UInt64(p[2])!)
        put([Int64(s.count)]); put(s.images); put(s.labels)
    case "frac":
        let s = d.stratifiedSubset(fraction: Double(p[1])!, seed: UInt64(p[2])!)
        put([Int64(s.count)]); put(s.images); put(s.labels)
    case "split":
        let (kept, held) = d.stratifiedSplitIndices(heldOutFraction: Double(p[1])!, seed: UInt64(p[2])!)
        put([Int64(kept.count)]); put(kept.map(Int64.init)); put([Int64(held.count)]); put(held.map(Int64.init))
    case "stats":
        let s = d.channelStatistics(); put(s.mean); put(s.std)
    case "fill":
        let method = PreprocessingMethod(rawValue: p[1])!
        put(d.batch(indices: 0..<d.count, preprocessing: d.preprocessing(method, seed: UInt64(p[2])!)))
    default:
        fatalError("unknown command \(command)")
    }
}
FileHandle.standardOutput.write(out)
'''

SWIFT_SOURCES = ["Sources/Numerics/Random.swift", "Sources/Datasets/ImageDataset.swift",
                 "Sources/Datasets/ValidationSplit.swift", "Sources/Datasets/RawNoise.swift",
                 "Sources/Datasets/Resize.swift"]

failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print(f"FAIL: {what}")


def build_oracle(tmp):
    swiftc = shutil.which("swiftc")
    if swiftc is None:
        return None
    src = tmp / "oracle.swift"
    parts = []
    for f in SWIFT_SOURCES:
        text = (ROOT / f).read_text()
        parts.append("\n".join(l for l in text.splitlines() if l.strip() != "import Numerics"))
    src.write_text("\n".join(parts) + "\n" + DRIVER.replace("import Foundation\n", "", 1))
    main = tmp / "main.swift"
    src.rename(main)
    exe = tmp / "oracle"
    r = subprocess.run([swiftc, "-O", "-module-name", "Oracle", str(main), "-o", str(exe)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr[-3000:])
        raise SystemExit("could not compile repro's data-path sources with swiftc")
    return exe


def run_oracle(exe, tmp, x, y, classes, commands):
    n = x.shape[0]
    h, w, c = x.shape[1:]
    path = tmp / "input.bin"
    path.write_bytes(struct.pack("<5i", n, h, w, c, classes) + np.ascontiguousarray(x).tobytes()
                     + y.astype("<i4").tobytes())
    r = subprocess.run([str(exe), str(path)] + commands, capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"oracle failed: {r.stderr.decode()[-2000:]}")
    return memoryview(r.stdout)


class Reader:
    def __init__(self, buf):
        self.buf, self.at = buf, 0

    def take(self, dtype, count):
        a = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.at)
        self.at += a.nbytes
        return a


def compare(exe, tmp, name, x, y, classes):
    size = int(np.prod(x.shape[1:]))
    n = len(y)
    subs = [(k, s) for k in (0, 1, n // 7, n // 2 + 3, n) for s in (0, 5)]
    fracs = [(f, s) for f in (0.05, 0.3, 0.5, 1.0) for s in (0, 2)]
    splits = [(f, s) for f in (0.1, 0.25, 0.5) for s in (1, 7)]
    fills = [("scale", 0), ("standardize", 0), ("raw", 0), ("raw-noise", 1), ("raw-noise", 12345678901)]
    commands = ([f"sub:{k}:{s}" for k, s in subs] + [f"frac:{f}:{s}" for f, s in fracs]
                + [f"split:{f}:{s}" for f, s in splits] + ["stats"] + [f"fill:{m}:{s}" for m, s in fills])
    r = Reader(run_oracle(exe, tmp, x, y, classes, commands))
    for k, s in subs:
        cnt = int(r.take("<i8", 1)[0])
        xs, ys = r.take(np.uint8, cnt * size), r.take("<i4", cnt)
        px, py = rd.stratified_subset(x, y, count=k, seed=s, num_classes=classes)
        check(cnt == len(py) and np.array_equal(xs, px.reshape(-1)) and np.array_equal(ys, py),
              f"{name}: stratified_subset(count={k}, seed={s})")
    for f, s in fracs:
        cnt = int(r.take("<i8", 1)[0])
        xs, ys = r.take(np.uint8, cnt * size), r.take("<i4", cnt)
        px, py = rd.stratified_subset(x, y, fraction=f, seed=s, num_classes=classes)
        check(cnt == len(py) and np.array_equal(xs, px.reshape(-1)) and np.array_equal(ys, py),
              f"{name}: stratified_subset(fraction={f}, seed={s})")
    for f, s in splits:
        kept = r.take("<i8", int(r.take("<i8", 1)[0]))
        held = r.take("<i8", int(r.take("<i8", 1)[0]))
        pk, ph = rd.validation_split_indices(y, f, s, classes)
        check(np.array_equal(kept, pk) and np.array_equal(held, ph),
              f"{name}: validation_split_indices({f}, seed={s})")
    c = x.shape[-1]
    mean, std = r.take("<f4", c), r.take("<f4", c)
    pm, ps = rd.channel_statistics(x)
    check(np.array_equal(mean.view("<u4"), pm.view("<u4")) and np.array_equal(std.view("<u4"), ps.view("<u4")),
          f"{name}: channel_statistics")
    for m, s in fills:
        got = r.take("<f4", n * size)
        mine = rd.preprocess(x, m, s, pm, ps).reshape(-1)
        same = got.view("<u4") == mine.view("<u4")
        check(bool(same.all()), f"{name}: preprocess({m}, seed={s}): {int((~same).sum())} of {same.size} floats differ")


def main():
    # Without Swift: stream hash (FNV-1a of "subsample" from its definition) and rounding.
    h = 0xCBF29CE484222325
    for b in b"subsample":
        h = ((h ^ b) * 0x100000001B3) % 2 ** 64
    check(rd._fnv1a("subsample") == h, "FNV-1a stream hash")
    check([rd._round_half_away(v) for v in (0.5, 1.5, 2.5, 0.49999999999999994, 3.0)] == [1, 2, 3, 0, 3],
          "round half away from zero")
    fx, fy, tx, ty = rd.load_splits("fashion-mnist")
    check(fx.shape == (60000, 28, 28, 1) and tx.shape == (10000, 28, 28, 1) and fy.dtype == np.int64,
          "fashion-mnist shapes")

    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        exe = build_oracle(tmp)
        if exe is None:
            print("skipped: no swiftc, so no comparison with repro's Swift code")
        else:
            compare(exe, tmp, "fashion-mnist test", tx, ty, 10)
            g = np.random.default_rng(3)
            gx = g.integers(0, 256, size=(301, 5, 5, 3), dtype=np.uint8)
            gx[7] = gx[3]  # two equal images: equal noise
            gy = g.integers(0, 4, size=301)
            compare(exe, tmp, "generated 5x5x3", gx, gy, 5)   # class 4 empty
            try:
                _, _, cx, cy = rd.load_splits("cifar10")
                compare(exe, tmp, "cifar10 test[:3000]", cx[:3000], cy[:3000], 10)
            except rd.DatasetError as e:
                print(f"skipped CIFAR-10: {e}")
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
