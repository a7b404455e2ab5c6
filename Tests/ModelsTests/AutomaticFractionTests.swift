@testable import Datasets
import XCTest
@testable import Models
@testable import Numerics

/// dmn.tfrac "auto": the steps it adds images in, the incremental ρ_c, the stopping rule, and
/// that an automatic layer is the layer a numeric T_frac of the chosen value builds.
final class AutomaticFractionTests: XCTestCase {
    func noiseImages(classes: Int = 3, perClass: Int = 20, side: Int = 8, channels: Int = 1, seed: UInt64 = 41) -> ImageDataset {
        var rng = SeededRandom(seed: seed)
        let n = classes * perClass
        let images = (0..<(n * side * side * channels)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let labels = (0..<n).map { Int32($0 % classes) }
        return ImageDataset(images: images, labels: labels, height: side, width: side, channels: channels, numClasses: classes)
    }

    func testCandidatesAreTwentyStepsEndingAtOne() {
        let f = automaticFractionCandidates()
        XCTAssertEqual(f.count, 20)
        XCTAssertEqual(f.first, 0.05)
        XCTAssertEqual(f.last, 1, "the last candidate is every image")
        for v in [0.1, 0.2, 0.3, 0.5, 0.7] { XCTAssertTrue(f.contains(v), "\(v) is a candidate (the T_frac sweep's values)") }
    }

    /// The steps are disjoint, cover each class exactly, and after step k each class holds as
    /// many images as the T_frac = f_k pick (`stratifiedSubset(fraction:)`).
    func testStepsHoldAsManyImagesPerClassAsTheTfracPick() {
        // Unequal classes (23, 17, 5 images) so the rounding of f·n matters.
        var labels: [Int32] = []
        for (c, n) in [23, 17, 5].enumerated() { labels += [Int32](repeating: Int32(c), count: n) }
        var shuffler = SplitMixForTests(state: 11)
        labels.shuffle(using: &shuffler)
        let data = ImageDataset(images: [UInt8](repeating: 0, count: labels.count), labels: labels,
                                height: 1, width: 1, channels: 1, numClasses: 3)
        let candidates = automaticFractionCandidates()
        let steps = automaticFractionSteps(labels: labels, groups: 3, groupOf: { $0 }, seed: 7, candidates: candidates)
        XCTAssertEqual(steps.count, candidates.count)
        for c in 0..<3 {
            var seen: [Int] = []
            for (k, step) in steps.enumerated() {
                seen += step[c]
                XCTAssertTrue(step[c].allSatisfy { labels[$0] == Int32(c) }, "step \(k + 1) class \(c) holds only its class")
                let pick = data.stratifiedSubset(fraction: candidates[k], seed: 7)
                XCTAssertEqual(seen.count, pick.labels.filter { $0 == Int32(c) }.count, "class \(c) after step \(k + 1)")
            }
            XCTAssertEqual(seen.sorted(), labels.indices.filter { labels[$0] == Int32(c) }, "class \(c): every image once")
        }
    }

    /// ρ_c grown step by step equals ρ_c over the same images computed directly in Double.
    /// Tolerance per entry, as in DMNTests.testStreamedDensityEqualsNaive: h = Float(v/255)
    /// (≤ u relative), h_a·h_b in Float (≤ u), Float sums of non-negative products in any
    /// grouping (the steps split the streamed blocks differently from a single pass), so
    /// |ρ̂ − ρ| ≤ γ_{count+3}·ρ_ab; the 1/count scaling and the Double sums add far less.
    func testIncrementalDensityEqualsFromScratch() {
        for channels in [1, 3] {
            let data = noiseImages(classes: 2, perClass: 30, side: 7, channels: channels)
            let steps = automaticFractionSteps(labels: data.labels, groups: 2, groupOf: { $0 }, seed: 3,
                                               candidates: automaticFractionCandidates())
            let n = 9 * channels, o = 5
            var densities = (0..<2).map { _ in ClassDensity(dimension: n) }
            var added = [[Int]](repeating: [], count: 2)
            for (k, step) in steps.enumerated() {
                addToDensities(&densities, images: step, data: data, preprocessing: .scale01, prefix: [],
                               source: .conv(kernel: 3), chunkImages: 4, threads: .run(threads: 2))
                for c in 0..<2 { added[c] += step[c] }
                guard [0, 4, 19].contains(k) else { continue }
                for c in 0..<2 {
                    var rho = [Double](repeating: 0, count: n * n)
                    var count = 0
                    for i in added[c] {
                        for oy in 0..<o { for ox in 0..<o {
                            var h = [Double]()
                            for dy in 0..<3 { for dx in 0..<3 { for ch in 0..<channels {
                                h.append(Double(data.images[i * 49 * channels + ((oy + dy) * 7 + ox + dx) * channels + ch]) / 255)
                            } } }
                            for a in 0..<n { for b in 0..<n { rho[a * n + b] += h[a] * h[b] } }
                            count += 1
                        } }
                    }
                    XCTAssertEqual(densities[c].count, count, "step \(k + 1) class \(c)")
                    let grown = densities[c].densityMatrix(centred: false)
                    for e in rho.indices {
                        let bound = Float32Bound.dot(terms: count + 2, absSum: rho[e]) / Double(count)
                        XCTAssertEqual(grown[e], rho[e] / Double(count), accuracy: bound, "C=\(channels) step \(k + 1) class \(c) entry \(e)")
                    }
                }
            }
        }
    }

    func testRelativeFrobeniusChangeOnHandMadeMatrices() {
        // ‖old‖_F = 5; the change is 0.5 in one entry.
        XCTAssertEqual(relativeFrobeniusChange(from: [3, 0, 0, 4], to: [3, 0, 0, 4.5]), 0.1, accuracy: 1e-15)
        // Two entries change by 1 and 2: √5 / 5.
        XCTAssertEqual(relativeFrobeniusChange(from: [3, 0, 0, 4], to: [4, 0, 0, 2]), 5.0.squareRoot() / 5, accuracy: 1e-15)
        XCTAssertEqual(relativeFrobeniusChange(from: [1, 2], to: [1, 2]), 0)
        XCTAssertEqual(relativeFrobeniusChange(from: [0, 0], to: [0, 0]), 0)
        XCTAssertEqual(relativeFrobeniusChange(from: [0, 0], to: [0, 1]), .infinity)
    }

    /// The rule on a hand-made table of per-class changes (rows: steps 2, 3, …).
    func testStoppingRuleOnHandMadeSequence() {
        let changes: [[Double]] = [[0.5, 0.2, 0.3],
                                   [0.02, 0.009, 0.001],   // one class still moves
                                   [0.0099, 0.01, 0.002],  // a change equal to the tolerance is not below it
                                   [0.009, 0.008, 0.0],    // every class below 0.01
                                   [0.001, 0.001, 0.001]]
        XCTAssertEqual(firstConvergedStep(changes, tolerance: 0.01), 3)
        XCTAssertEqual(firstConvergedStep(changes, tolerance: 0.1), 1)
        XCTAssertEqual(firstConvergedStep(changes, tolerance: 0.6), 0)
        XCTAssertNil(firstConvergedStep(changes, tolerance: 0.0005), "never met")
        XCTAssertNil(firstConvergedStep([], tolerance: 1))
    }

    func convWeights(_ layers: [Layer]) -> [[Float]] { layers.compactMap { ($0 as? ConvBlock)?.weights.value } }

    /// A tolerance no step meets: the layer uses every image (T_frac = 1), having compared all
    /// 19 steps after the first, and is bit for bit the T_frac = 1 layer.
    func testAutoStopsAtOneWhenToleranceIsNeverMet() throws {
        let data = noiseImages(side: 10)
        let arch = try Architecture(input: Shape3(10, 10, 1), classes: 3, convFilters: [3])
        var o = DMNOptions()
        o.tv = [0.9]; o.tfrac = .auto; o.tfracTolerance = 1e-300
        let auto = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .dmn, options: o, seed: 5)
        let choice = try XCTUnwrap(auto.reports[0].fractionChoice)
        XCTAssertEqual(choice.fraction, 1)
        XCTAssertEqual(choice.largestChanges.count, 19)
        XCTAssertTrue(choice.largestChanges.allSatisfy { $0 > 0 }, "every step adds an image of each class (20 per class)")
        o.tfrac = 1.0
        let full = try buildFeatureLayers(arch: arch, data: data.stratifiedSubset(fraction: 1, seed: 5), preprocessing: .scale01,
                                          filters: .dmn, options: o, seed: 5)
        XCTAssertNil(full.reports[0].fractionChoice)
        XCTAssertEqual(convWeights(auto.layers), convWeights(full.layers))
    }

    /// A tolerance met early: each layer stops at the first step whose recorded largest
    /// change is below it, and is bit for bit the layer that the T_frac pick at that fraction
    /// builds (two layers: the second from the first's outputs).
    func testAutoLayerIsTheNumericLayerAtTheChosenFraction() throws {
        let data = noiseImages(perClass: 40, side: 12)
        let arch = try Architecture(input: Shape3(12, 12, 1), classes: 3, convFilters: [3, 2])
        var o = DMNOptions()
        o.tv = [0.9, 0.95]; o.tfrac = .auto; o.tfracTolerance = 0.05
        let auto = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .dmn, options: o, seed: 9)
        let choices = try auto.reports.map { try XCTUnwrap($0.fractionChoice) }
        for (l, c) in choices.enumerated() {
            if let stop = firstConvergedStep(c.largestChanges.map { [$0] }, tolerance: o.tfracTolerance) {
                XCTAssertEqual(stop, c.largestChanges.count - 1, "layer \(l + 1) stops at its first step below the tolerance")
                XCTAssertEqual(c.fraction, automaticFractionCandidates()[stop + 1], "layer \(l + 1)")
            } else {
                XCTAssertEqual(c.fraction, 1, "layer \(l + 1): no step below the tolerance, every image")
            }
        }
        // Layer 1 sees 100 patches of uniform noise per image, 2 images per class a step: a
        // chunk's ρ_c deviates by about 10% of its norm, and step k weighs it 1/k, so the
        // change falls below 5% within a few steps, long before all 40 images per class.
        XCTAssertLessThan(choices[0].fraction, 1)
        // Layer 1 alone equals the numeric build at its fraction.
        var numeric = o
        numeric.tfrac = .fraction(choices[0].fraction)
        let one = try Architecture(input: Shape3(12, 12, 1), classes: 3, convFilters: [3])
        let first = try buildFeatureLayers(arch: one, data: data.stratifiedSubset(fraction: choices[0].fraction, seed: 9),
                                           preprocessing: .scale01, filters: .dmn, options: numeric, seed: 9)
        XCTAssertEqual(convWeights(first.layers)[0], convWeights(auto.layers)[0])
        if choices[0].fraction == choices[1].fraction {
            let both = try buildFeatureLayers(arch: arch, data: data.stratifiedSubset(fraction: choices[0].fraction, seed: 9),
                                              preprocessing: .scale01, filters: .dmn, options: numeric, seed: 9)
            XCTAssertEqual(convWeights(both.layers), convWeights(auto.layers))
        }
        // A numeric T_frac records no choice.
        XCTAssertTrue(first.reports.allSatisfy { $0.fractionChoice == nil })
    }
}

/// SplitMix64: a fixed shuffle for the fixtures, independent of the system's generator.
struct SplitMixForTests: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
