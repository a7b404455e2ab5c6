import XCTest
@testable import Datasets
import Numerics

/// `raw`, `raw-noise` and the validation split (issue #12).
final class ProtocolPreprocessingTests: XCTestCase {
    /// n images of h×w×c random bytes, labels cycling through `classes`.
    func randomImages(_ n: Int, h: Int = 4, w: Int = 5, c: Int = 3, classes: Int = 3, seed: UInt64 = 5) -> ImageDataset {
        var rng = SeededRandom(seed: seed)
        let bytes = (0..<(n * h * w * c)).map { _ in UInt8(rng.nextInt(below: 256)) }
        return ImageDataset(images: bytes, labels: (0..<n).map { Int32($0 % classes) }, height: h, width: w, channels: c, numClasses: classes)
    }

    func testRawIsTheBytes() {
        let d = randomImages(7)
        let x = d.batch(indices: 0..<d.count, preprocessing: d.preprocessing(.raw))
        XCTAssertEqual(x, d.images.map { Float($0) })
    }

    /// noise = filled − byte: in [0, 1), mean 1/2 and variance 1/12 within 6 standard errors
    /// of the sample (σ/√N for the mean; √((μ₄ − σ⁴)/N) = √((1/80 − 1/144)/N) for the
    /// variance) plus the Float spacing at 255 (2⁻¹⁶) the subtraction can lose; neighbouring
    /// pixels uncorrelated within 6/√N.
    func testRawNoiseStatistics() {
        let d = randomImages(400, h: 16, w: 16, c: 3)
        let x = d.batch(indices: 0..<d.count, preprocessing: d.preprocessing(.rawNoise, seed: 3))
        let u = zip(x, d.images).map { Double($0) - Double($1) }
        let n = Double(u.count)
        // u is drawn in [0, 1 − 2⁻²⁴]; byte + u is then rounded to Float, whose spacing is 2⁻¹⁶ at
        // 128…255, so a draw within 2⁻¹⁷ of 1 can round up to byte + 1: [0, 1] after rounding.
        XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 <= 1 }, "noise outside [0, 1]")
        // At most P = 2⁻¹⁷ of the draws can do so: a Poisson count, bounded by mean + 6√mean + 1.
        let roundedUp = n * 0x1p-17
        XCTAssertLessThan(Double(u.filter { $0 == 1 }.count), roundedUp + 6 * roundedUp.squareRoot() + 1,
                          "more values at exactly 1 than rounding can make")
        let mean = u.reduce(0, +) / n
        let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let spacing = 0x1p-16
        XCTAssertEqual(mean, 0.5, accuracy: 6 * (1 / 12.0).squareRoot() / n.squareRoot() + spacing)
        XCTAssertEqual(variance, 1 / 12.0, accuracy: 6 * (1 / 80.0 - 1 / 144.0).squareRoot() / n.squareRoot() + 2 * spacing)
        var lag = 0.0
        for i in 1..<u.count { lag += (u[i] - mean) * (u[i - 1] - mean) }
        XCTAssertEqual(lag / (n - 1) / variance, 0, accuracy: 6 / n.squareRoot())
        // Pairs drawn from one 64-bit number (positions 2j, 2j + 1) are uncorrelated too.
        var pair = 0.0
        for j in stride(from: 1, to: u.count, by: 2) { pair += (u[j] - mean) * (u[j - 1] - mean) }
        XCTAssertEqual(pair / (n / 2) / variance, 0, accuracy: 6 / (n / 2).squareRoot())
    }

    /// The noise of an image depends on the seed and the image, not on its position in the
    /// batch, the subset it is in or how often it is filled (every epoch sees the same image).
    func testRawNoiseSeeding() {
        let d = randomImages(20)
        let p = d.preprocessing(.rawNoise, seed: 11)
        let all = d.batch(indices: 0..<d.count, preprocessing: p)
        XCTAssertEqual(d.batch(indices: 0..<d.count, preprocessing: p), all, "a second fill (epoch) differs")
        let s = d.imageSize
        let reversed = d.batch(indices: (0..<d.count).reversed(), preprocessing: p)
        for i in 0..<d.count {
            XCTAssertEqual(Array(reversed[((d.count - 1 - i) * s)..<((d.count - i) * s)]), Array(all[(i * s)..<((i + 1) * s)]),
                           "image \(i) changes with batch order")
        }
        let sub = d.subset(indices: [13, 2])
        XCTAssertEqual(sub.batch(indices: [0, 1], preprocessing: p), Array(all[(13 * s)..<(14 * s)] + all[(2 * s)..<(3 * s)]))
        // Another seed, other noise (each value a 24-bit draw: equal by chance with probability 2⁻²⁴).
        let other = d.batch(indices: 0..<d.count, preprocessing: d.preprocessing(.rawNoise, seed: 12))
        let same = zip(all, other).filter { $0 == $1 }.count
        XCTAssertLessThan(same, 5, "seed 12 gives the noise of seed 11")
        // Two different images get different noise sequences (not one shared stream).
        let noise0 = (0..<s).map { all[$0] - Float(d.images[$0]) }
        let noise1 = (0..<s).map { all[s + $0] - Float(d.images[s + $0]) }
        XCTAssertNotEqual(noise0, noise1)
        // The documented definition: SeededRandom(seed: key), 24-bit floats in NHWC order.
        d.images.withUnsafeBufferPointer { b in
            var rng = SeededRandom(seed: RawNoise.key(image: b.baseAddress! + 5 * s, count: s, seed: 11))
            for k in stride(from: 0, to: s, by: 2) {
                let r = rng.next()
                XCTAssertEqual(all[5 * s + k], Float(d.images[5 * s + k]) + Float(r >> 40) * 0x1p-24)
                XCTAssertEqual(all[5 * s + k + 1], Float(d.images[5 * s + k + 1]) + Float(r & 0xFF_FFFF) * 0x1p-24)
            }
        }
    }

    /// Stratified (round(f·n_c) per class), disjoint, covering, seeded.
    func testValidationSplit() {
        let d = randomImages(103, classes: 4)
        let counts = d.classCounts()
        let (kept, held) = d.stratifiedSplitIndices(heldOutFraction: 0.2, seed: 7)
        XCTAssertTrue(Set(kept).isDisjoint(with: held))
        XCTAssertEqual((kept + held).sorted(), Array(0..<d.count))
        for c in 0..<4 {
            XCTAssertEqual(held.filter { d.labels[$0] == c }.count, Int((0.2 * Double(counts[c])).rounded()), "class \(c)")
        }
        let again = d.stratifiedSplitIndices(heldOutFraction: 0.2, seed: 7)
        XCTAssertEqual(again.heldOut, held)
        XCTAssertNotEqual(d.stratifiedSplitIndices(heldOutFraction: 0.2, seed: 8).heldOut, held)
        let (train, validation) = d.stratifiedSplit(heldOutFraction: 0.2, seed: 7)
        XCTAssertEqual(train.images, d.subset(indices: kept).images)
        XCTAssertEqual(validation.labels, held.map { d.labels[$0] })
        // A class of one image keeps it.
        let tiny = ImageDataset(images: [1, 2, 3], labels: [0, 1, 1], height: 1, width: 1, channels: 1, numClasses: 2)
        let t = tiny.stratifiedSplitIndices(heldOutFraction: 0.5, seed: 1)
        XCTAssertTrue(t.kept.contains(0))
        XCTAssertEqual(t.heldOut.count, 1)
    }
}
