@testable import Datasets
import XCTest
@testable import Models
@testable import Numerics

/// DMN output activation and standardisation, stride-k density patches, per-epoch validation
/// accuracy (issue #12).
final class ProtocolDMNTests: XCTestCase {
    let u = Double(Float.ulpOfOne) / 2   // unit roundoff of Float

    func images(_ n: Int, h: Int, w: Int, c: Int, classes: Int, seed: UInt64, brighter: Int = 0) -> ImageDataset {
        var rng = SeededRandom(seed: seed)
        let bytes = (0..<(n * h * w * c)).map { _ in UInt8(min(255, rng.nextInt(below: 200) + brighter)) }
        return ImageDataset(images: bytes, labels: (0..<n).map { Int32($0 % classes) }, height: h, width: w, channels: c, numClasses: classes)
    }

    /// Σ h hᵀ over the non-overlapping 3×3 patches against a naive Double loop over patch
    /// positions. Each Gram entry goes through one SSYRK over a chunk of R = 64·(H/k)(W/k)
    /// rows, so its error is at most R·u·Σ|h_i h_j| (then summed exactly enough in Double).
    func testGridPatchDensityMatchesNaiveLoop() {
        let (h, w, c, k) = (7, 8, 2, 3)
        let d = images(150, h: h, w: w, c: c, classes: 2, seed: 9)
        let dens = accumulateDensities(data: d, preprocessing: .scale01, prefix: [], source: .convGrid(kernel: k), groups: 2,
                                       groupOf: { $0 }, chunkImages: 64)
        let n = k * k * c, gh = h / k, gw = w / k
        for g in 0..<2 {
            var rho = [Double](repeating: 0, count: n * n), abs = rho, sum = [Double](repeating: 0, count: n)
            var count = 0
            for i in 0..<d.count where Int(d.labels[i]) == g {
                for py in 0..<gh {
                    for px in 0..<gw {
                        var v = [Double]()
                        for dy in 0..<k { for dx in 0..<k { for ch in 0..<c {
                            v.append(Double(d.images[((i * h + py * k + dy) * w + px * k + dx) * c + ch]) / 255)
                        } } }
                        for a in 0..<n {
                            sum[a] += v[a]
                            for b in 0..<n { rho[a * n + b] += v[a] * v[b]; abs[a * n + b] += Swift.abs(v[a] * v[b]) }
                        }
                        count += 1
                    }
                }
            }
            XCTAssertEqual(dens[g].count, count)
            let m = dens[g].densityMatrix(centred: false)
            let rows = Double(64 * gh * gw)
            for a in 0..<n {
                XCTAssertEqual(dens[g].mean[a], sum[a] / Double(count), accuracy: 4 * u * sum[a] / Double(count))
                for b in 0..<n {
                    XCTAssertEqual(m[a * n + b], rho[a * n + b] / Double(count), accuracy: (rows + 2) * u * abs[a * n + b] / Double(count),
                                   "group \(g) entry (\(a), \(b))")
                }
            }
        }
    }

    /// The stride-k option reaches the builder: on an image whose patches differ between the
    /// two grids, the filters differ, and stride 1 is today's path (the direct kernel).
    func testPatchStrideOptionChangesTheDensity() throws {
        let d = images(60, h: 9, w: 9, c: 1, classes: 2, seed: 4)
        let arch = try Architecture(input: Shape3(9, 9, 1), classes: 2, convFilters: [3])
        var o = DMNOptions()
        let one = try buildFeatureLayers(arch: arch, data: d, preprocessing: .scale01, filters: .dmn, options: o, seed: 1)
        o.patchStride = .kernel
        let grid = try buildFeatureLayers(arch: arch, data: d, preprocessing: .scale01, filters: .dmn, options: o, seed: 1)
        XCTAssertNotEqual((one.layers[0] as! ConvBlock).weights.value, (grid.layers[0] as! ConvBlock).weights.value)
    }

    /// activation none + standardize: the layers are conv (no ReLU) → pool → standardise, and
    /// the statistics are those of the DMN's training images (a naive Double conv → max-pool
    /// over them), not of other images (a brighter test set has other statistics). Each conv
    /// output is a sum of n = 27 products of inputs ≤ 1 with a unit filter (Σ|w| ≤ √n), so
    /// it is off by at most n·u·√n; means and stds inherit that bound (×4 for slack in the
    /// E[x²] − m² form).
    func testOutputStandardisationUsesTrainingImagesOnly() throws {
        let (h, w, c) = (8, 8, 3)
        let train = images(60, h: h, w: w, c: c, classes: 2, seed: 21)
        let test = images(60, h: h, w: w, c: c, classes: 2, seed: 22, brighter: 55)
        let arch = try Architecture(input: Shape3(h, w, c), classes: 2, convFilters: [3])
        var o = DMNOptions()
        o.activation = .none
        o.normalization = .standardize
        let built = try buildFeatureLayers(arch: arch, data: train, preprocessing: .scale01, filters: .dmn, options: o, seed: 1)
        XCTAssertEqual(built.layers.count, 3)
        let conv = try XCTUnwrap(built.layers[0] as? Conv2D)
        XCTAssertTrue(built.layers[1] is MaxPool2)
        let norm = try XCTUnwrap(built.layers[2] as? ChannelStandardize)
        XCTAssertFalse(built.layers.contains { $0.trainable })

        let n = 27, f = 3, oh = (h - 2) / 2, ow = (w - 2) / 2
        let W = conv.weights.value
        func pooled(_ d: ImageDataset) -> [[Double]] {   // per channel, every pooled output
            var out = [[Double]](repeating: [], count: f)
            for i in 0..<d.count {
                func z(_ y: Int, _ x: Int, _ fi: Int) -> Double {
                    var s = 0.0
                    for dy in 0..<3 { for dx in 0..<3 { for ch in 0..<c {
                        s += Double(d.images[((i * h + y + dy) * w + x + dx) * c + ch]) / 255 * Double(W[((dy * 3 + dx) * c + ch) * f + fi])
                    } } }
                    return s
                }
                for py in 0..<oh { for px in 0..<ow { for fi in 0..<f {
                    out[fi].append(max(z(2 * py, 2 * px, fi), z(2 * py, 2 * px + 1, fi), z(2 * py + 1, 2 * px, fi), z(2 * py + 1, 2 * px + 1, fi)))
                } } }
            }
            return out
        }
        func stats(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / Double(v.count)
            return (m, (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot())
        }
        let tol = 4 * Double(n) * u * Double(n).squareRoot()
        let trainOut = pooled(train), testOut = pooled(test)
        var negatives = 0
        for fi in 0..<f {
            let (m, s) = stats(trainOut[fi])
            XCTAssertEqual(Double(norm.mean[fi]), m, accuracy: tol + u * Swift.abs(m), "mean of channel \(fi)")
            XCTAssertEqual(Double(norm.std[fi]), s, accuracy: tol + u * s, "std of channel \(fi)")
            let (mt, _) = stats(testOut[fi])
            XCTAssertGreaterThan(Swift.abs(mt - m), 100 * tol, "test images give the same mean: the check could not fail")
            negatives += trainOut[fi].filter { $0 < -tol }.count
        }
        XCTAssertGreaterThan(negatives, 0, "no negative pooled output: cannot tell whether a ReLU ran")
        // Through the network, the training images' outputs are standardised.
        var h1 = [Float](repeating: 0, count: train.count * train.imageSize)
        h1.withUnsafeMutableBufferPointer { train.fillBatch(indices: 0..<train.count, preprocessing: .scale01, into: $0.baseAddress!) }
        // The layers keep a pointer to their input: h1 must stay alive while they run.
        let y = h1.withUnsafeBufferPointer { input -> [Float] in
            var p = input.baseAddress!
            for l in built.layers { p = UnsafePointer(l.forward(p, batch: train.count)) }
            return Array(UnsafeBufferPointer(start: p, count: train.count * oh * ow * f))
        }
        for fi in 0..<f {
            let (m, s) = stats(stride(from: fi, to: y.count, by: f).map { Double(y[$0]) })
            XCTAssertEqual(m, 0, accuracy: 1e-4)
            XCTAssertEqual(s, 1, accuracy: 1e-4)
        }
    }

    /// The default keeps today's layer: one fused conv → ReLU → pool block.
    func testDefaultsKeepTheFusedReluBlock() throws {
        let d = images(40, h: 8, w: 8, c: 1, classes: 2, seed: 2)
        let arch = try Architecture(input: Shape3(8, 8, 1), classes: 2, convFilters: [2])
        let built = try buildFeatureLayers(arch: arch, data: d, preprocessing: .scale01, filters: .dmn, options: DMNOptions(), seed: 1)
        XCTAssertEqual(built.layers.count, 1)
        XCTAssertTrue(built.layers[0] is ConvBlock)
    }

    /// Every epoch records the validation accuracy, equal to evaluating the set then; none
    /// without a validation set.
    func testTrainerRecordsValidationAccuracy() throws {
        let train = images(90, h: 6, w: 6, c: 1, classes: 3, seed: 3)
        let val = images(30, h: 6, w: 6, c: 1, classes: 3, seed: 30)
        var rng = SeededRandom(seed: 1)
        let arch = try Architecture(input: Shape3(6, 6, 1), classes: 3, convFilters: [])
        var config = TrainingConfig()
        config.epochs = 2
        let trainer = Trainer(network: arch.network(features: [], rng: &rng), config: config, preprocessing: .scale01)
        let history = try trainer.fit(train: train, test: val, validation: val)
        XCTAssertEqual(history.count, 2)
        XCTAssertEqual(history.last?.validationAccuracy, trainer.evaluate(val).accuracy)
        XCTAssertEqual(history.last?.validationAccuracy, history.last?.testAccuracy)
        let without = try Trainer(network: arch.network(features: [], rng: &rng), config: config, preprocessing: .scale01)
            .fit(train: train, test: val)
        XCTAssertNil(without[0].validationAccuracy)
    }
}
