@testable import Datasets
import Foundation
import Numerics
import XCTest

final class SubsetAndBatchTests: XCTestCase {
    /// A dataset whose image i is filled with pattern bytes that identify i, with the given
    /// labels; channels 1 or 3.
    private func makeDataset(labels: [Int], numClasses: Int, channels: Int = 1, h: Int = 4, w: Int = 3,
                             seed: UInt64 = 1) -> ImageDataset {
        var g = FixtureBytes(seed)
        let size = h * w * channels
        var images = [UInt8]()
        for i in 0..<labels.count {
            var img = g.bytes(size)
            img[0] = UInt8(i % 256)  // the first byte identifies the image (for < 256 images)
            images += img
        }
        return ImageDataset(images: images, labels: labels.map(Int32.init), height: h, width: w,
                            channels: channels, numClasses: numClasses)
    }

    /// Labels with the given class sizes, interleaved.
    private func labels(classSizes: [Int], seed: UInt64 = 2) -> [Int] {
        var l = [Int]()
        for (c, n) in classSizes.enumerated() { l += Array(repeating: c, count: n) }
        var g = FixtureBytes(seed)
        for i in stride(from: l.count - 1, to: 0, by: -1) { l.swapAt(i, Int(g.next()) % (i + 1)) }
        return l
    }

    private func originalIndices(_ sub: ImageDataset) -> [Int] {
        (0..<sub.count).map { Int(sub.images[$0 * sub.imageSize]) }
    }

    func testIndicesOfClassAndSubset() {
        let d = makeDataset(labels: [2, 0, 1, 2, 2, 0], numClasses: 3)
        XCTAssertEqual(d.indices(ofClass: 2), [0, 3, 4])
        XCTAssertEqual(d.indices(ofClass: 1), [2])
        XCTAssertEqual(d.classCounts(), [2, 1, 3])
        let s = d.subset(indices: [4, 1, 4])
        XCTAssertEqual(s.count, 3)
        XCTAssertEqual(s.labels, [2, 0, 2])
        XCTAssertEqual(Array(s.images[0..<d.imageSize]), Array(d.images[4 * d.imageSize..<5 * d.imageSize]))
        XCTAssertEqual(Array(s.images[2 * d.imageSize..<3 * d.imageSize]), Array(d.images[4 * d.imageSize..<5 * d.imageSize]))
        XCTAssertEqual(Array(s.images[d.imageSize..<2 * d.imageSize]), Array(d.images[d.imageSize..<2 * d.imageSize]))
        XCTAssertEqual(d.subset(indices: []).count, 0)
    }

    func testStratifiedFractionPerClassCounts() {
        let d = makeDataset(labels: labels(classSizes: [10, 7, 3, 0, 1]), numClasses: 5)
        let s = d.stratifiedSubset(fraction: 0.3, seed: 11)
        // round(3.0)=3, round(2.1)=2, round(0.9)=1, empty class 0, round(0.3)=0 → at least 1.
        XCTAssertEqual(s.classCounts(), [3, 2, 1, 0, 1])
        let idx = originalIndices(s)
        XCTAssertEqual(idx, idx.sorted(), "original relative order kept")
        XCTAssertEqual(Set(idx).count, idx.count, "no repeats")
        for (k, i) in idx.enumerated() {
            XCTAssertEqual(s.labels[k], d.labels[i])
            XCTAssertEqual(Array(s.images[k * d.imageSize..<(k + 1) * d.imageSize]),
                           Array(d.images[i * d.imageSize..<(i + 1) * d.imageSize]))
        }
        XCTAssertEqual(d.stratifiedSubset(fraction: 0.5, seed: 1).classCounts(), [5, 4, 2, 0, 1])  // 3.5→4, 1.5→2
        XCTAssertEqual(d.stratifiedSubset(fraction: 1, seed: 1).labels, d.labels)
        XCTAssertEqual(d.stratifiedSubset(fraction: 0, seed: 1).classCounts(), [1, 1, 1, 0, 1])
    }

    func testStratifiedDeterminism() {
        let d = makeDataset(labels: labels(classSizes: [60, 50, 40]), numClasses: 3)
        let a = originalIndices(d.stratifiedSubset(fraction: 0.25, seed: 42))
        let b = originalIndices(d.stratifiedSubset(fraction: 0.25, seed: 42))
        let c = originalIndices(d.stratifiedSubset(fraction: 0.25, seed: 43))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.count, 15 + 13 + 10)  // 12.5 → 13
        let x = originalIndices(d.stratifiedSubset(count: 30, seed: 42))
        XCTAssertEqual(x, originalIndices(d.stratifiedSubset(count: 30, seed: 42)))
        XCTAssertNotEqual(x, originalIndices(d.stratifiedSubset(count: 30, seed: 5)))
    }

    func testStratifiedSubsetUsesDocumentedSelection() {
        // The selection rule, re-implemented here from its documentation.
        let classSizes = [9, 4, 6]
        let d = makeDataset(labels: labels(classSizes: classSizes), numClasses: 3)
        let quotas = [3, 1, 2]  // fraction 1/3: round(3), round(1.33), round(2)
        var rng = SeededRandom(seed: 77, stream: "subsample")
        var chosen = [Int]()
        for c in 0..<3 {
            var list = d.indices(ofClass: c)
            for i in 0..<quotas[c] {
                let j = i + rng.nextInt(below: list.count - i)
                list.swapAt(i, j)
            }
            chosen += list.prefix(quotas[c])
        }
        XCTAssertEqual(originalIndices(d.stratifiedSubset(fraction: 1.0 / 3.0, seed: 77)), chosen.sorted())
    }

    func testStratifiedCount() {
        let d = makeDataset(labels: labels(classSizes: [10, 7, 3]), numClasses: 3)
        // 9 of 20: quotas 4.5, 3.15, 1.35 → 4, 3, 1 and the leftover one to class 0.
        let s = d.stratifiedSubset(count: 9, seed: 3)
        XCTAssertEqual(s.count, 9)
        XCTAssertEqual(s.classCounts(), [5, 3, 1])
        let idx = originalIndices(s)
        XCTAssertEqual(idx, idx.sorted())
        // 2 of 20: 1.0, 0.7, 0.3 → 1, 0, 0 and one more to class 1.
        XCTAssertEqual(d.stratifiedSubset(count: 2, seed: 3).classCounts(), [1, 1, 0])
        // Ties in the remainder go to the lower class index: sizes 5, 5 and 3 of 10 → 1.5, 1.5.
        let e = makeDataset(labels: labels(classSizes: [5, 5]), numClasses: 2)
        XCTAssertEqual(e.stratifiedSubset(count: 3, seed: 1).classCounts(), [2, 1])
        XCTAssertEqual(d.stratifiedSubset(count: 20, seed: 3).labels, d.labels)
        XCTAssertEqual(d.stratifiedSubset(count: 0, seed: 3).count, 0)
        for n in 0...20 { XCTAssertEqual(d.stratifiedSubset(count: n, seed: UInt64(n)).count, n) }
    }

    private func naive(_ d: ImageDataset, _ indices: [Int], _ p: Preprocessing) -> [Double] {
        var out = [Double]()
        for i in indices {
            for k in 0..<d.imageSize {
                let x = Double(d.images[i * d.imageSize + k]) / 255
                switch p {
                case .scale01: out.append(x)
                case let .standardize(mean, std):
                    let c = k % d.channels
                    out.append((x - Double(mean[c])) / Double(std[c]))
                case .raw255: out.append(x * 255)
                case .rawNoise: XCTFail("raw-noise has its own tests (ProtocolPreprocessingTests)")
                }
            }
        }
        return out
    }

    func testFillBatchMatchesNaive() {
        for channels in [1, 3, 2] {
            let d = makeDataset(labels: labels(classSizes: [4, 5]), numClasses: 2, channels: channels, seed: 8)
            let indices = [3, 0, 8, 3, 5]
            let stds: [Float] = [0.3, 0.25, 0.5]
            let means: [Float] = [0.13, 0.5, 0.45]
            let preps: [Preprocessing] = [
                .scale01,
                .standardize(mean: Array(means.prefix(channels)), std: Array(stds.prefix(channels))),
            ]
            for p in preps {
                var buf = [Float](repeating: .nan, count: indices.count * d.imageSize + 1)
                buf.withUnsafeMutableBufferPointer { d.fillBatch(indices: indices, preprocessing: p, into: $0.baseAddress!) }
                XCTAssertTrue(buf.last!.isNaN, "writes nothing past the batch")
                let want = naive(d, indices, p)
                XCTAssertEqual(want.count, indices.count * d.imageSize)
                // Exact: the lookup table evaluates the same Double expression as `naive` and rounds it once to Float.
                for k in 0..<want.count {
                    XCTAssertEqual(buf[k], Float(want[k]), "channels \(channels) \(p) at \(k)")
                }
                // Any Collection of indices works (here a range), and `batch` agrees.
                XCTAssertEqual(d.batch(indices: 2..<5, preprocessing: p), d.batch(indices: [2, 3, 4], preprocessing: p))
            }
        }
    }

    func testChannelStatisticsMatchNaive() {
        for channels in [1, 3] {
            let d = makeDataset(labels: labels(classSizes: [6, 5]), numClasses: 2, channels: channels, h: 5, w: 4, seed: 21)
            let st = d.channelStatistics()
            var sum = [Double](repeating: 0, count: channels)
            var n = [Double](repeating: 0, count: channels)
            for (k, v) in d.images.enumerated() { sum[k % channels] += Double(v) / 255; n[k % channels] += 1 }
            let mean = zip(sum, n).map { $0 / $1 }
            var ss = [Double](repeating: 0, count: channels)
            for (k, v) in d.images.enumerated() {
                let x = Double(v) / 255 - mean[k % channels]
                ss[k % channels] += x * x
            }
            // Both sides sum in Double (≤ N·ε relative, N = count·H·W pixels, all terms ≥ 0); the kernel then rounds to
            // Float once (≤ u relative, u = 2⁻²⁴).
            let u = Double(Float.ulpOfOne) / 2
            for c in 0..<channels {
                let relative = u + 4 * n[c] * Double.ulpOfOne
                XCTAssertEqual(Double(st.mean[c]), mean[c], accuracy: relative * mean[c])
                XCTAssertEqual(Double(st.std[c]), (ss[c] / n[c]).squareRoot(), accuracy: relative * (ss[c] / n[c]).squareRoot())
            }
            // Standardizing by the set's own statistics gives mean ≈ 0, std ≈ 1 per channel.
            let z = d.batch(indices: 0..<d.count, preprocessing: d.standardization())
            for c in 0..<channels {
                let vals = stride(from: c, to: z.count, by: channels).map { Double(z[$0]) }
                let m = vals.reduce(0, +) / Double(vals.count)
                let v = vals.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(vals.count)
                // z = Float((x − m̂)/ŝ) with m̂ = μ(1+δ), ŝ = σ(1+δ'), |δ|, |δ'| ≤ u: mean(z) = −δμ/ŝ + (≤ u·max|z| from the final
                // rounding); var(z) = (σ/ŝ)²·(1 + ≤ 2u + u²) ⇒ |var − 1| ≤ 2u + 2u + O(u²); 2× for the second-order terms.
                let zmax = vals.map { abs($0) }.max()!
                XCTAssertEqual(m, 0, accuracy: 2 * u * (Double(st.mean[c]) / Double(st.std[c]) + zmax))
                XCTAssertEqual(v, 1, accuracy: 8 * u)
            }
        }
    }
}
