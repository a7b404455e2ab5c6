@testable import Datasets
import Foundation
import Numerics
import XCTest
@testable import Experiments
@testable import Models

/// One PCA for all thresholds (`SpectraCache`, `--pca-cache`): builds from reused spectra are
/// bit for bit the builds from scratch, in memory and from disk; a bad cache file is ignored
/// with a warning; concurrent requests compute once; the key names what determines ρ_c and
/// nothing else.
final class SpectraCacheTests: XCTestCase {
    /// Random images: every class's patch density is full rank and generic, so the eigenvectors
    /// are well separated and the thresholds below pick different filters.
    func noiseImages(classes: Int = 4, perClass: Int = 30, side: Int = 12) -> ImageDataset {
        var rng = SeededRandom(seed: 77)
        let n = classes * perClass
        let images = (0..<(n * side * side)).map { _ in UInt8(rng.nextInt(below: 256)) }
        let labels = (0..<n).map { Int32($0 % classes) }
        return ImageDataset(images: images, labels: labels, height: side, width: side, channels: 1, numClasses: classes)
    }

    /// Options that differ only in what acts after the spectra, plus two that change the layer
    /// below layer 2 (standardised outputs, no ReLU): those must give other layer-2 keys.
    func variants() -> [DMNOptions] {
        var base = DMNOptions()
        base.tv = [0.95, 0.99]
        var out: [DMNOptions] = [base]
        for tpc in [0.3, 0.5, 1.0] { var o = base; o.tpc = tpc; out.append(o) }
        for tv in [[0.5, 0.5], [1.0, 0.9]] { var o = base; o.tv = tv; out.append(o) }
        var o = base; o.visitOrder = .classOrder; out.append(o)
        o = base; o.filterCount = .thresholds; o.tpc = 0.6; out.append(o)
        o = base; o.sign = .both; out.append(o)
        o = base; o.similarity = .pearson; out.append(o)
        o = base; o.normalization = .standardize; out.append(o)
        o = base; o.activation = .none; out.append(o)
        return out
    }

    /// Every conv layer's weights and biases as bit patterns, and the per-layer reports that a
    /// run records (filter counts, relaxed T_v, spectra).
    func fingerprint(_ built: (layers: [Layer], reports: [BuiltLayerReport])) -> [[UInt64]] {
        var out: [[UInt64]] = []
        for layer in built.layers {
            for p in layer.parameters { out.append(p.value.map { UInt64($0.bitPattern) }) }
        }
        out.append(built.reports.map { UInt64($0.filters) } + built.reports.map { $0.relaxedTv ? 1 : 0 })
        for r in built.reports { out.append(r.spectra.flatMap { $0.map(\.bitPattern) }) }
        return out
    }

    func build(_ data: ImageDataset, _ arch: Architecture, _ o: DMNOptions, kind: FeatureFilters = .dmn,
               reuse: SpectraReuse?) throws -> [[UInt64]] {
        fingerprint(try buildFeatureLayers(arch: arch, data: data, preprocessing: .scale01, filters: kind, options: o, seed: 1, reuse: reuse))
    }

    func testBuildsFromTheCacheEqualBuildsFromScratchInMemoryAndFromDisk() throws {
        let data = noiseImages()
        let arch = try Architecture(input: Shape3(12, 12, 1), classes: 4, convFilters: [4, 6])
        let dir = TestFiles.tempDir(self, "pca").appendingPathComponent("cache/pca")
        let warnings = Warnings()
        let memoryAndDisk = SpectraCache(directory: dir, warn: { warnings.add($0) })
        var scratch: [[[UInt64]]] = []
        var layer2Inputs = Set<String>()
        for kind in [FeatureFilters.dmn, .pca] {
            for o in variants() {
                let s = try build(data, arch, o, kind: kind, reuse: nil)
                scratch.append(s)
                let cached = try build(data, arch, o, kind: kind, reuse: SpectraReuse(store: memoryAndDisk, dataKey: "noise"))
                XCTAssertEqual(cached, s, "\(kind) \(o): a build from the in-memory cache differs from one from scratch")
                // Layer 2's spectra depend on layer 1's weights and on what follows layer 1.
                layer2Inputs.insert("\(kind) \(o.activation) \(o.normalization) \(s[0])")
            }
        }
        // Layer 1 once per kind; layer 2 once per distinct layer-1 output.
        XCTAssertEqual(memoryAndDisk.counts.computed, 2 + layer2Inputs.count)
        XCTAssertEqual(memoryAndDisk.counts.disk, 0)
        XCTAssertEqual(memoryAndDisk.counts.memory, 2 * 2 * variants().count - memoryAndDisk.counts.computed)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(files.count, memoryAndDisk.counts.computed, "one file per computed entry")

        // A new process: everything comes from disk, nothing is computed, the bits are equal.
        let fromDisk = SpectraCache(directory: dir, warn: { warnings.add($0) })
        var i = 0
        for kind in [FeatureFilters.dmn, .pca] {
            for o in variants() {
                XCTAssertEqual(try build(data, arch, o, kind: kind, reuse: SpectraReuse(store: fromDisk, dataKey: "noise")), scratch[i],
                               "\(kind) \(o): a build from the disk cache differs from one from scratch")
                i += 1
            }
        }
        XCTAssertEqual(fromDisk.counts.computed, 0)
        XCTAssertEqual(fromDisk.counts.disk, files.count)
        XCTAssertEqual(warnings.all, [])

        // Other build images (another data key) never see these entries.
        _ = try build(data.stratifiedSubset(fraction: 0.5, seed: 1), arch, variants()[0], reuse: SpectraReuse(store: fromDisk, dataKey: "half"))
        XCTAssertEqual(fromDisk.counts.computed, 2)
    }

    func testCorruptOrForeignCacheFilesAreIgnoredWithAWarningAndRecomputed() throws {
        let data = noiseImages()
        let arch = try Architecture(input: Shape3(12, 12, 1), classes: 4, convFilters: [4, 6])
        let o = variants()[0]
        let expected = try build(data, arch, o, reuse: nil)
        let dir = TestFiles.tempDir(self, "pca-bad")
        let first = SpectraCache(directory: dir, warn: { XCTFail("unexpected warning: \($0)") })
        XCTAssertEqual(try build(data, arch, o, reuse: SpectraReuse(store: first, dataKey: "noise")), expected)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".bin") }.sorted()
        XCTAssertEqual(names.count, 2)
        let urls = names.map { dir.appendingPathComponent($0) }
        let good = try urls.map { try Data(contentsOf: $0) }

        // One byte flipped in the middle of an eigenvector; the other file cut short.
        var flipped = good[0]
        flipped[flipped.count / 2] ^= 0x01
        try flipped.write(to: urls[0])
        try good[1].prefix(good[1].count - 7).write(to: urls[1])
        let warnings = Warnings()
        var cache = SpectraCache(directory: dir, warn: { warnings.add($0) })
        XCTAssertEqual(try build(data, arch, o, reuse: SpectraReuse(store: cache, dataKey: "noise")), expected)
        XCTAssertEqual(cache.counts.computed, 2)
        XCTAssertEqual(warnings.all.count, 2)
        XCTAssertTrue(warnings.all.allSatisfy { $0.contains("checksum mismatch") && $0.contains("ignored") }, "\(warnings.all)")
        // Rewritten whole.
        XCTAssertEqual(try urls.map { try Data(contentsOf: $0) }, good)

        // A whole, valid file under another key's name (a renamed file, or a hash collision).
        try good[1].write(to: urls[0])
        warnings.clear()
        cache = SpectraCache(directory: dir, warn: { warnings.add($0) })
        XCTAssertEqual(try build(data, arch, o, reuse: SpectraReuse(store: cache, dataKey: "noise")), expected)
        XCTAssertEqual(cache.counts.computed, 1)
        XCTAssertEqual(cache.counts.disk, 1)
        XCTAssertEqual(warnings.all.count, 1)
        XCTAssertTrue(warnings.all.first?.contains("another key") == true, "\(warnings.all)")
        XCTAssertEqual(try urls.map { try Data(contentsOf: $0) }, good)

        // Not a cache file at all.
        try Data("{}".utf8).write(to: urls[0])
        warnings.clear()
        cache = SpectraCache(directory: dir, warn: { warnings.add($0) })
        XCTAssertEqual(try build(data, arch, o, reuse: SpectraReuse(store: cache, dataKey: "noise")), expected)
        XCTAssertTrue(warnings.all.first?.contains("not a PCA cache file") == true, "\(warnings.all)")
    }

    func testFileFormatRoundTripsEveryBit() {
        var rng = SeededRandom(seed: 5)
        let specials: [Double] = [-0.0, .leastNonzeroMagnitude, -.greatestFiniteMagnitude, .infinity, Double(bitPattern: 0x7ff8_0000_0000_0123)]
        let spectra = [3, 1, 0].map { n -> ClassSpectrum in
            var values = (0..<n).map { _ in rng.nextGaussian() }
            for i in values.indices { values[i] = specials[i % specials.count] }
            return ClassSpectrum(eigen: SymmetricEigen(n: n, values: values, vectors: (0..<(n * n)).map { _ in rng.nextGaussian() }),
                                 mean: (0..<n).map { _ in rng.nextGaussian() })
        }
        let data = SpectraCache.encode(spectra, key: "key ✓\nline 2")
        guard case .success(let back) = SpectraCache.decode(data, key: "key ✓\nline 2") else { return XCTFail("does not decode") }
        XCTAssertEqual(back.map { $0.eigen.n }, [3, 1, 0])
        for (a, b) in zip(spectra, back) {
            XCTAssertEqual(a.eigen.values.map(\.bitPattern), b.eigen.values.map(\.bitPattern))
            XCTAssertEqual(a.eigen.vectors.map(\.bitPattern), b.eigen.vectors.map(\.bitPattern))
            XCTAssertEqual(a.mean.map(\.bitPattern), b.mean.map(\.bitPattern))
        }
        guard case .failure = SpectraCache.decode(data, key: "key ✓\nline 3") else { return XCTFail("another key accepted") }
        // Every truncation is refused.
        for cut in stride(from: 0, to: data.count, by: 5) {
            guard case .failure = SpectraCache.decode(data.prefix(cut), key: "key ✓\nline 2") else { return XCTFail("truncated at \(cut) accepted") }
        }
    }

    /// Two jobs wanting the same entry: one computes, the other waits and gets the same spectra.
    func testConcurrentRequestsForOneEntryComputeItOnce() throws {
        let cache = SpectraCache(directory: TestFiles.tempDir(self, "pca-jobs"), warn: { XCTFail($0) })
        let computed = Warnings()
        let spectrum = ClassSpectrum(eigen: SymmetricEigen(n: 1, values: [2], vectors: [1]), mean: [0.5])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            let s = try? cache.spectra(key: "shared") {
                computed.add("once")
                Thread.sleep(forTimeInterval: 0.05)
                return [spectrum]
            }
            XCTAssertEqual(s?.first?.eigen.values, [2])
        }
        XCTAssertEqual(computed.all, ["once"])
        XCTAssertEqual(cache.counts, SpectraCache.Counts(memory: 5, disk: 0, computed: 1))
    }

    /// A compute that throws stores nothing: the next request computes again.
    func testFailedComputationsAreNotStored() throws {
        let dir = TestFiles.tempDir(self, "pca-fail")
        let cache = SpectraCache(directory: dir, warn: { XCTFail($0) })
        struct Boom: Error {}
        XCTAssertThrowsError(try cache.spectra(key: "k") { throw Boom() })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        let s = try cache.spectra(key: "k") { [ClassSpectrum(eigen: SymmetricEigen(n: 0, values: [], vectors: []), mean: [])] }
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(cache.counts.computed, 1)
    }

    /// The key changes with each thing that determines a layer's ρ_c, and not with the options
    /// that act only on its spectra.
    func testKeyNamesWhatDeterminesTheSpectraAndNothingElse() {
        let base = DMNOptions()
        func key(_ o: DMNOptions, data: String = "d", kind: FeatureFilters = .dmn, groups: Int = 10, layer: Int = 1,
                 input: Shape3 = Shape3(13, 13, 4), batchNorm: BatchNormSettings? = nil, below: [[Float]] = [[0.5, -0.25]]) -> String {
            layerSpectraKey(dataKey: data, kind: kind, groups: groups, layer: layer, input: input, kernel: 3, options: o,
                            batchNorm: batchNorm, filtersBelow: below)
        }
        let k = key(base)
        var same: [DMNOptions] = []
        var o = base; o.tpc = 0.5; same.append(o)
        o = base; o.tv = [0.5, 0.6]; same.append(o)
        o = base; o.tfrac = .fraction(1); same.append(o)   // through the images, i.e. the data key
        o = base; o.filterCount = .thresholds; same.append(o)
        o = base; o.similarity = .pearson; same.append(o)
        o = base; o.visitOrder = .classOrder; same.append(o)
        o = base; o.sign = .both; same.append(o)
        for s in same { XCTAssertEqual(key(s), k, "\(s)") }

        var other: [String] = []
        o = base; o.centre = true; other.append(key(o))
        o = base; o.activation = .none; other.append(key(o))
        o = base; o.normalization = .standardize; other.append(key(o))
        o = base; o.patchStride = .kernel; other.append(key(o))
        o = base; o.chunkImages = 32; other.append(key(o))
        other += [key(base, data: "e"), key(base, kind: .pca, groups: 1), key(base, layer: 2), key(base, input: Shape3(13, 13, 5)),
                  key(base, batchNorm: BatchNormSettings()), key(base, batchNorm: BatchNormSettings(epsilon: 1e-5)),
                  key(base, below: [[0.5, -0.25000003]]), key(base, below: [[0.5, -0.25], []]), key(base, below: [])]
        XCTAssertEqual(Set(other + [k]).count, other.count + 1, "every change gives its own key")
    }

    /// Through the binary: a T_PC sweep with the cache (two jobs; then a second process reading
    /// the disk entries) has the run ids and tables of the sweep without it, and its cache
    /// folder is not a run file to merge or report.
    func testSweepWithTheCacheEqualsTheSweepWithout() throws {
        try FashionMNIST.require()
        let dir = TestFiles.tempDir(self, "pca-sweep")
        TestFiles.write(EndToEndTests.spec(filters: ["4", "2,3"], seeds: [1]), "e2e.json", in: dir)
        func sweep(_ out: String, _ extra: [String]) throws {
            let r = try ReproBinary.run(["sweep", "--param", "tpc", "--values", "0.3,0.9,1.0", "--spec", "e2e.json", "--out", out, "--quiet"] + extra,
                                        cwd: dir, env: ["OPENBLAS_NUM_THREADS": "1"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stderr, "", "no warning expected")
        }
        try sweep("on", ["--jobs", "2"])
        try sweep("off", ["--jobs", "1", "--pca-cache", "off"])
        let on = dir.appendingPathComponent("on"), off = dir.appendingPathComponent("off")
        XCTAssertEqual(Tables.assertParseable(on).sorted(), Tables.assertParseable(off).sorted())
        Tables.assertSame(on, off)
        let cacheDir = on.appendingPathComponent(SpectraCache.folder)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cacheDir.path)
        XCTAssertTrue(entries.count >= 3 && entries.allSatisfy { $0.hasSuffix(".bin") }, "\(entries)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: off.appendingPathComponent("cache").path), "--pca-cache off writes no cache")
        // runs.csv's spectra_reused: layer 1 is the same PCA in every DMN run (configurations 4
        // and 2,3, every T_PC), so exactly one run computed it; without the cache the column is empty.
        func layerOneFlags(_ folder: URL) -> [String] {
            let t = Tables.read(folder.appendingPathComponent("runs.csv"))
            let col = t[0].firstIndex(of: "spectra_reused")!, model = t[0].firstIndex(of: "model")!
            return t.dropFirst().filter { $0[model] == "dmn" }.map { $0[col].split(separator: "-").first.map(String.init) ?? "" }
        }
        XCTAssertEqual(layerOneFlags(on).sorted(), ["0", "1", "1", "1", "1", "1"])
        XCTAssertEqual(layerOneFlags(off), Array(repeating: "", count: 6))

        // A second process from the disk entries alone: the same results, every layer 1 reused.
        try FileManager.default.removeItem(at: on.appendingPathComponent("runs"))
        try sweep("on", ["--jobs", "1"])
        Tables.assertSame(on, off)
        XCTAssertEqual(layerOneFlags(on), Array(repeating: "1", count: 6))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path).sorted(), entries.sorted())

        let m = try ReproBinary.run(["merge", "on", "--out", "merged"], cwd: dir)
        XCTAssertEqual(m.status, 0, m.stderr)
        Tables.assertSame(on, dir.appendingPathComponent("merged"))
        let r = try ReproBinary.run(["report", "on", "--quiet"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}

/// Thread-safe list of messages.
final class Warnings: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    func clear() { lock.lock(); items = []; lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
