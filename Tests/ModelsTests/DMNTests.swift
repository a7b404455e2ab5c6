@testable import Datasets
import XCTest
@testable import Models
@testable import Numerics

final class DMNTests: XCTestCase {
    /// 3 classes of 1×12 "images"; class c lives in a known 2-dimensional subspace of pixels
    /// 4c…4c+3 (non-negative combinations of two non-negative basis vectors, so pixels fit in
    /// UInt8). Returns the data and each class's orthonormal basis.
    func subspaceData(perClass: Int = 200) -> (ImageDataset, [[[Double]]]) {
        var rng = SeededRandom(seed: 31)
        var images: [UInt8] = [], labels: [Int32] = []
        var bases: [[[Double]]] = []
        var raw: [[[Double]]] = []
        for c in 0..<3 {
            // Two well-separated non-negative directions, so both carry a fair share of the trace.
            let u = (0..<4).map { $0 < 2 ? 0.5 + rng.nextDouble() : 0.1 * rng.nextDouble() }
            let v = (0..<4).map { $0 >= 2 ? 0.5 + rng.nextDouble() : 0.1 * rng.nextDouble() }
            raw.append([u, v])
            // Gram–Schmidt for the reference basis, embedded in 12 dimensions.
            let nu = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let e1 = u.map { $0 / nu }
            let d = zip(v, e1).reduce(0) { $0 + $1.0 * $1.1 }
            let w = zip(v, e1).map { $0 - d * $1 }
            let nw = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let e2 = w.map { $0 / nw }
            func embed(_ x: [Double]) -> [Double] { (0..<12).map { $0 / 4 == c ? x[$0 % 4] : 0 } }
            bases.append([embed(e1), embed(e2)])
        }
        for _ in 0..<perClass {
            for c in 0..<3 {
                let a = rng.nextDouble(), b = rng.nextDouble()
                for p in 0..<12 {
                    let x = p / 4 == c ? (a * raw[c][0][p % 4] + b * raw[c][1][p % 4]) * 100 : 0
                    images.append(UInt8(min(255, x.rounded())))
                }
                labels.append(Int32(c))
            }
        }
        return (ImageDataset(images: images, labels: labels, height: 1, width: 12, channels: 1, numClasses: 3), bases)
    }

    func denseSelection(_ data: ImageDataset, _ options: DMNOptions, fixed: Int? = nil, groups: Int = 3) throws -> FilterSelection {
        let dens = accumulateDensities(data: data, preprocessing: .scale01, prefix: [], source: .dense, groups: groups,
                                       groupOf: groups == 1 ? { _ in 0 } : { $0 }, chunkImages: 64)
        return try selectFilters(try spectra(of: dens, centred: options.centre), tv: options.tv(forLayer: 0),
                                 options: options, fixedCount: fixed)
    }

    func testFiltersSpanEachClassSubspace() throws {
        let (data, bases) = subspaceData()
        var o = DMNOptions()
        o.tv = [0.999]; o.tpc = 0.9; o.filterCount = .thresholds
        let s = try denseSelection(data, o)
        XCTAssertEqual(s.keptPerClass, [2, 2, 2], "each class's data is 2-dimensional (up to UInt8 rounding)")
        XCTAssertEqual(s.filters.count, 6)
        // Principal angles: every filter from class c lies in class c's subspace:
        // ‖P v‖ ≥ cos 1° for the orthogonal projector P onto the span of the basis.
        for (v, origin) in zip(s.filters, s.origins) {
            let basis = bases[origin.cls]
            let proj = basis.map { b in zip(b, v).reduce(0) { $0 + $1.0 * $1.1 } }
            let norm = proj.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertGreaterThan(norm, cos(1 * Double.pi / 180), "filter from class \(origin.cls) leaves its subspace")
        }
        // And they span it: each basis vector is within 1° of the span of that class's filters.
        for c in 0..<3 {
            let fs = zip(s.filters, s.origins).filter { $0.1.cls == c }.map(\.0)
            for b in bases[c] {
                let proj = fs.map { f in zip(f, b).reduce(0) { $0 + $1.0 * $1.1 } }
                XCTAssertGreaterThan(proj.reduce(0) { $0 + $1 * $1 }.squareRoot(), cos(1 * Double.pi / 180))
            }
        }
        // Mean-positive sign rule: the class mean projects non-negatively on its filters.
        for (v, origin) in zip(s.filters, s.origins) {
            let idx = data.indices(ofClass: origin.cls)
            var dot = 0.0
            for i in idx { for p in 0..<12 { dot += v[p] * Double(data.images[i * 12 + p]) } }
            XCTAssertGreaterThanOrEqual(dot, 0)
        }
    }

    /// Random images: every class's patch density is full rank and generic.
    func noiseImages(classes: Int = 3, perClass: Int = 20, side: Int = 8, channels: Int = 1) -> ImageDataset {
        var rng = SeededRandom(seed: 32)
        let n = classes * perClass
        let images = (0..<(n * side * side * channels)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let labels = (0..<n).map { Int32($0 % classes) }
        return ImageDataset(images: images, labels: labels, height: side, width: side, channels: channels, numClasses: classes)
    }

    func convSelection(_ data: ImageDataset, _ o: DMNOptions, fixed: Int? = nil) throws -> FilterSelection {
        let dens = accumulateDensities(data: data, preprocessing: .scale01, prefix: [], source: .conv(kernel: 3),
                                       groups: data.numClasses, groupOf: { $0 }, chunkImages: 7)
        return try selectFilters(try spectra(of: dens, centred: o.centre), tv: o.tv(forLayer: 0), options: o, fixedCount: fixed)
    }

    func testTpcZeroKeepsOneFilter() throws {
        var o = DMNOptions()
        o.tpc = 0; o.tv = [0.99]; o.filterCount = .thresholds
        XCTAssertEqual(try convSelection(noiseImages(), o).filters.count, 1)
    }

    func testTpcOneAndTvOneKeepEveryEigenvector() throws {
        var o = DMNOptions()
        o.tpc = 1; o.tv = [1]; o.filterCount = .thresholds
        let s = try convSelection(noiseImages(), o)
        XCTAssertEqual(s.keptPerClass, [9, 9, 9])
        XCTAssertEqual(s.filters.count, 27)
        o.sign = .both
        XCTAssertEqual(try convSelection(noiseImages(), o).filters.count, 54)
    }

    func testFixedCountIsExactAndRelaxesTvWhenNeeded() throws {
        var o = DMNOptions()
        o.tpc = 0.9; o.tv = [0.5]; o.filterCount = .fixed
        // Every class's leading eigenvector is close to the mean patch, so the three are
        // near-duplicates: one survives T_PC within the T_v cut.
        let within = try convSelection(noiseImages(), o, fixed: 1)
        XCTAssertEqual(within.filters.count, 1)
        XCTAssertFalse(within.relaxedTv)
        let relaxed = try convSelection(noiseImages(), o, fixed: 20)
        XCTAssertEqual(relaxed.filters.count, 20)
        XCTAssertTrue(relaxed.relaxedTv, "T_v = 0.5 keeps a few per class; 20 needs the cut relaxed")
        o.tpc = 1
        XCTAssertThrowsError(try convSelection(noiseImages(), o, fixed: 28)) { e in
            XCTAssertTrue("\(e)".contains("cannot be met"), "\(e)")
            XCTAssertTrue(e is InfeasibleConfiguration, "a configuration the method cannot build is not a fault: \(type(of: e))")
        }
        o.sign = .both
        XCTAssertEqual(try convSelection(noiseImages(), o, fixed: 7).filters.count, 7)
    }

    func testRoundRobinVisitsRanksAcrossClasses() throws {
        var o = DMNOptions()
        o.tpc = 1; o.tv = [1]; o.filterCount = .fixed
        let rr = try convSelection(noiseImages(), o, fixed: 6)
        XCTAssertEqual(rr.origins.map(\.cls), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(rr.origins.map(\.rank), [0, 0, 0, 1, 1, 1])
        o.visitOrder = .classOrder
        let co = try convSelection(noiseImages(), o, fixed: 6)
        XCTAssertEqual(co.origins.map(\.cls), [0, 0, 0, 0, 0, 0])
    }

    func testPearsonAndCosineDiffer() {
        // Small integers: every mean, product, sum and √ below is exact in Double, so the results are exact.
        let a = [1.0, 2, 3], b = [2.0, 3, 4]
        XCTAssertEqual(similarity(a, b, measure: .pearson), 1)
        XCTAssertLessThan(similarity(a, b, measure: .cosine), 0.995)
        XCTAssertEqual(similarity([1, 0], [0, -1], measure: .cosine), 0)
        XCTAssertEqual(similarity([1, 2], [-2, -4], measure: .cosine), 1)   // 10 / √(5·20)
    }

    /// The streamed, chunked density matrix against a Double computation over explicitly
    /// extracted patches, for the direct kernel (n ≤ 64: 1, 2 and 4 channels, rows not a
    /// multiple of 4 floats and fewer than 4 positions per row) and the im2col + SYRK path (n = 72).
    /// Tolerance, per entry, from the arithmetic: h = Float(v/255) (≤ u relative), h_a·h_b in Float (≤ u), a
    /// Float sum of `count` non-negative products in any order (γ_count·Σ|terms| = γ_count·ρ_ab), so
    /// |ρ̂ − ρ| ≤ γ_{count+3}·ρ_ab (Float32Bound.dot with two extra terms); the 1/count scaling is in Double.
    func testStreamedDensityEqualsNaive() {
        for (channels, side) in [(2, 7), (1, 5), (1, 13), (4, 6), (8, 5)] {
            let data = noiseImages(classes: 2, perClass: 9, side: side, channels: channels)
            let dens = accumulateDensities(data: data, preprocessing: .scale01, prefix: [], source: .conv(kernel: 3),
                                           groups: 2, groupOf: { $0 }, chunkImages: 4, threads: .run(threads: 2))
            let n = 9 * channels, o = side - 2
            for c in 0..<2 {
                var rho = [Double](repeating: 0, count: n * n)
                var mean = [Double](repeating: 0, count: n)
                var count = 0
                for i in data.indices(ofClass: c) {
                    for oy in 0..<o { for ox in 0..<o {
                        var h = [Double]()
                        for dy in 0..<3 { for dx in 0..<3 { for ch in 0..<channels {
                            h.append(Double(data.images[i * side * side * channels + ((oy + dy) * side + ox + dx) * channels + ch]) / 255)
                        } } }
                        for a in 0..<n { mean[a] += h[a]; for b in 0..<n { rho[a * n + b] += h[a] * h[b] } }
                        count += 1
                    } }
                }
                XCTAssertEqual(dens[c].count, count)
                let streamed = dens[c].densityMatrix(centred: false)
                for k in rho.indices {
                    let bound = Float32Bound.dot(terms: count + 2, absSum: rho[k]) / Double(count)
                    XCTAssertEqual(streamed[k], rho[k] / Double(count), accuracy: bound, "C=\(channels) side \(side) entry \(k)")
                }
                // Σh: count non-negative terms, each rounded once on input.
                for a in 0..<n { XCTAssertEqual(dens[c].mean[a], mean[a] / Double(count), accuracy: Float32Bound.dot(terms: count + 1, absSum: mean[a]) / Double(count)) }
            }
        }
    }

    func testFeatureLayersAreDeterministicAndFrozen() throws {
        let data = noiseImages(side: 12)
        let arch = try Architecture(input: Shape3(12, 12, 1), classes: 3, convFilters: [3, 2])
        var o = DMNOptions()
        o.tv = [0.9, 0.95]
        let a = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .dmn, options: o, seed: 1)
        let b = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .dmn, options: o, seed: 1)
        let wa = a.layers.compactMap { ($0 as? ConvBlock)?.weights.value }, wb = b.layers.compactMap { ($0 as? ConvBlock)?.weights.value }
        XCTAssertEqual(wa, wb)
        XCTAssertEqual(a.reports.map(\.filters), [3, 2])
        XCTAssertTrue(a.layers.allSatisfy { !$0.trainable || $0.parameters.isEmpty })
        for conv in a.layers.compactMap({ $0 as? ConvBlock }) {
            XCTAssertEqual(conv.bias.value, [Float](repeating: 0, count: conv.filters), "DMN biases are 0")
            for f in 0..<conv.filters {
                let norm = (0..<conv.patchSize).reduce(0.0) { $0 + Double(conv.weights.value[$1 * conv.filters + f] * conv.weights.value[$1 * conv.filters + f]) }
                // Double LAPACK eigenvectors are unit to O(n·ε); Float(v) and the Float square add ≤ γ₃ relative per term.
                XCTAssertEqual(norm, 1, accuracy: Float32Bound.gamma(3) + 64 * Double(conv.patchSize) * Double.ulpOfOne, "filters are unit eigenvectors")
            }
        }
        let r = try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: .random, options: o, seed: 1)
        XCTAssertEqual(r.reports.map(\.filters), [3, 2])
    }

    /// Dense DMN layers: the first layer's weights are the merged class eigenvectors of the
    /// flattened images (the subspace fixture), frozen, unit norm, stacked with ReLU.
    func testDenseFeatureLayers() throws {
        let (data, bases) = subspaceData()
        var o = DMNOptions()
        o.tv = [0.999]; o.tpc = 0.9; o.filterCount = .fixed
        let built = try buildDenseFeatureLayers(input: Shape3(1, 12, 1), classes: 3, widths: [6, 2], data: data,
                                                preprocessing: .scale01, options: o)
        XCTAssertEqual(built.reports.map(\.filters), [6, 2])
        let first = built.layers[0] as! Dense
        XCTAssertFalse(first.trainable)
        for f in 0..<6 {
            let v = (0..<12).map { Double(first.weights.value[$0 * 6 + f]) }
            // Unit Double eigenvector to O(n·ε), rounded to Float (≤ u per component, ≤ γ₂ per square).
            XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: Float32Bound.gamma(2) + 64 * 12 * Double.ulpOfOne)
            // Each unit lies in one class's subspace.
            let best = bases.map { b in b.map { e in zip(e, v).reduce(0) { $0 + $1.0 * $1.1 } }.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max()!
            XCTAssertGreaterThan(best, cos(1 * Double.pi / 180))
        }
    }
}
