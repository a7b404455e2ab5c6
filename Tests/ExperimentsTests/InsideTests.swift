@testable import Datasets
import Foundation
@testable import Models
import Numerics
import XCTest
@testable import Experiments
@testable import Report

/// The `.npy` writer/reader, saving weights through the runner (resume, merge), the saved DMN
/// filters against an independent computation, and the Fig. 2 rule on synthetic increments.
final class NpyTests: XCTestCase {
    func testHeaderAgainstHandWrittenBytes() throws {
        let d = try Npy.encode([1, -2, 0.5, 0, 3, 4], shape: [2, 3])
        // numpy.save of a (2, 3) float32 array: 10 bytes of magic, version and length 118
        // (0x76), the dict, 58 spaces and '\n', so that the data starts at byte 128.
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        var expected: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 0x01, 0x00, 0x76, 0x00]
        expected += Array(dict.utf8) + [UInt8](repeating: 0x20, count: 58) + [0x0A]
        XCTAssertEqual(expected.count, 128)
        XCTAssertEqual(Array(d.prefix(128)), expected)
        // 1.0 is 0x3F800000, little-endian; −2.0 is 0xC0000000.
        XCTAssertEqual(Array(d[128..<136]), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        XCTAssertEqual(d.count, 128 + 24)
        // A 1-tuple keeps its comma, as Python writes it.
        let one = try Npy.encode([1, 2, 3], shape: [3])
        XCTAssertTrue(String(decoding: one.prefix(70), as: UTF8.self).contains("'shape': (3,), }"))
        XCTAssertEqual(one.count % 4, 0)
        XCTAssertEqual((one.count - 12) % 64, 0)
    }

    func testRoundTripAndRefusals() throws {
        var rng = SeededRandom(seed: 7, stream: "npy")
        for shape in [[3, 3, 3, 8], [676, 10], [10], [0], [1, 1]] {
            let values = (0..<shape.reduce(1, *)).map { _ in Float(rng.nextGaussian()) }
            let d = try Npy.encode(values, shape: shape)
            XCTAssertEqual(d.prefix(10 + Int(d[8]) + Int(d[9]) * 256).count % 64, 0)
            let back = try Npy.decode(d)
            XCTAssertEqual(back.shape, shape)
            XCTAssertEqual(back.values.map(\.bitPattern), values.map(\.bitPattern))
        }
        XCTAssertThrowsError(try Npy.encode([1, 2], shape: [3]))
        let good = try Npy.encode([1, 2, 3], shape: [3])
        XCTAssertThrowsError(try Npy.decode(good.dropLast(4))) { XCTAssertTrue("\($0)".contains("data bytes")) }
        var bad = good; bad[0] = 0x92
        XCTAssertThrowsError(try Npy.decode(bad)) { XCTAssertTrue("\($0)".contains("magic")) }
        var be = [UInt8](good)
        let descr = [UInt8]("'<f4'".utf8)
        let at = try XCTUnwrap((0..<(be.count - descr.count)).first { Array(be[$0..<($0 + descr.count)]) == descr })
        be[at + 1] = UInt8(ascii: ">")
        let bigEndian = Data(be)
        XCTAssertThrowsError(try Npy.decode(bigEndian)) { XCTAssertTrue("\($0)".contains("dtype")) }
    }

    /// numpy.load reads what the writer writes (skips without python3 + numpy).
    func testNumpyReadsIt() throws {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let py = python else { throw XCTSkip("python3 not found") }
        let dir = TestFiles.tempDir(self, "npy")
        let url = dir.appendingPathComponent("w.npy")
        let values: [Float] = (0..<24).map { Float($0) * 0.25 - 3 }
        try Npy.encode(values, shape: [2, 3, 4]).write(to: url)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = ["-c", "import sys\ntry:\n import numpy\nexcept ImportError:\n sys.exit(3)\na = numpy.load(sys.argv[1])\n"
                       + "print(a.dtype.str, a.shape, a.flags['C_CONTIGUOUS'], ' '.join(repr(float(x)) for x in a.ravel()))", url.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 { throw XCTSkip("numpy is not installed for \(py)") }
        XCTAssertEqual(p.terminationStatus, 0)
        let expected = "<f4 (2, 3, 4) True " + values.map { "\(Double($0))" }.joined(separator: " ")
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), expected)
    }
}

/// An executor that hands back made-up weights, to test the runner's saving, resume and merge.
struct FakeWeightExecutor: WeightSavingExecutor {
    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome {
        var o = RunOutcome()
        o.testAccuracy = 0.5
        o.filterCounts = run.filters
        return o
    }
    func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, saveWeights: Bool,
                 progress: @escaping @Sendable (RunProgress) -> Void) throws -> (outcome: RunOutcome, weights: RunWeights?) {
        let o = try execute(run, dataDirectory: dataDirectory, threads: threads, progress: progress)
        guard saveWeights else { return (o, nil) }
        var w = RunWeights()
        let k = run.filters[0]
        w.arrays = [WeightArray(name: "conv1.w", shape: [3, 3, 1, k], values: (0..<(9 * k)).map { Float($0) }),
                    WeightArray(name: "conv1.b", shape: [k], values: [Float](repeating: 0, count: k))]
        w.origins = [(1, (0..<k).map { FilterOrigin(cls: $0, rank: 0, explained: 0.5, cumulative: 0.5) })]
        w.spectra = [(1, 0.9, [[2, 1, 1], [3, 1, 0]])]
        return (o, w)
    }
}

final class WeightSavingTests: XCTestCase {
    func plan(_ models: [ModelKind] = [.dmn]) -> [PlannedRun] {
        ExperimentSpec(name: "w", datasets: [.fashionMNIST], models: models, axes: ["filters": [.integers([2]), .integers([3])]]).plannedRuns()
    }

    func runner(_ dir: URL, _ saving: WeightSaving) -> ExperimentRunner {
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: "w", hash: "0", file: "w.json"))
        o.weights = saving
        return ExperimentRunner(executor: FakeWeightExecutor(), folder: ResultFolder(dir), options: o, progress: SilentProgress())
    }

    func testRunnerWritesNamedWeightFilesAndResumeChecksThem() throws {
        let dir = TestFiles.tempDir(self, "weights")
        let p = plan()
        _ = try runner(dir, .auto).run(p)
        let folder = ResultFolder(dir)
        XCTAssertEqual(folder.runIds(), p.map(\.id).sorted(), "runIds lists the run files only, not the weight folders")
        for item in p {
            let r = try XCTUnwrap(folder.record(item.id))
            let m = try XCTUnwrap(r.weights)
            XCTAssertEqual(m.directory, item.id + ".weights")
            XCTAssertEqual(m.arrays.map(\.file), ["conv1.w.npy", "conv1.b.npy"])
            let w = try Npy.read(folder.runsDirectory.appendingPathComponent(m.files[0]))
            XCTAssertEqual(w.shape, [3, 3, 1, item.run.filters[0]])
            XCTAssertEqual(w.values, (0..<(9 * item.run.filters[0])).map { Float($0) })
            let filters = try String(contentsOf: folder.runsDirectory.appendingPathComponent(m.directory + "/filters.csv"), encoding: .utf8)
            XCTAssertTrue(filters.hasPrefix("layer,filter,class,rank,explained,cumulative\n1,0,0,0,0.5,0.5\n"), filters)
            let spectra = try String(contentsOf: folder.runsDirectory.appendingPathComponent(m.directory + "/spectra.csv"), encoding: .utf8)
            // Shares of the trace 4 = 2 + 1 + 1: 0.5, 0.25, 0.25; cumulative 0.5, 0.75, 1.
            XCTAssertEqual(spectra.split(separator: "\n").map { $0.split(separator: ",").suffix(3).joined(separator: ",") }.prefix(4), ["share,cumulative,tv", "0.5,0.5,0.9", "0.25,0.75,0.9", "0.25,1.0,0.9"], spectra)
            XCTAssertEqual(ExperimentRunner.state(of: item.id, in: folder), .done)
        }
        // A missing weight file makes the run pending again; the rerun restores it.
        let victim = p[0].id
        try FileManager.default.removeItem(at: folder.runsDirectory.appendingPathComponent(victim + ".weights/conv1.b.npy"))
        XCTAssertEqual(ExperimentRunner.state(of: victim, in: folder), .pending)
        let again = try runner(dir, .auto).run(p)
        XCTAssertEqual(again.executedOk, 1)
        XCTAssertEqual(ExperimentRunner.state(of: victim, in: folder), .done)

        // Merge copies the weight files along.
        let out = TestFiles.tempDir(self, "merged")
        _ = try ResultMerger.merge(sources: [dir], into: out)
        let merged = ResultFolder(out)
        for item in p {
            let m = try XCTUnwrap(merged.record(item.id)?.weights)
            XCTAssertTrue(m.isComplete(in: merged.runsDirectory))
            XCTAssertEqual(try Data(contentsOf: merged.runsDirectory.appendingPathComponent(m.files[0])),
                           try Data(contentsOf: folder.runsDirectory.appendingPathComponent(m.files[0])))
        }
    }

    func testNoneSavesNothingAndRunIdsDoNotDependOnIt() throws {
        let a = TestFiles.tempDir(self, "none")
        let p = plan()
        _ = try runner(a, .none).run(p)
        for item in p { XCTAssertNil(ResultFolder(a).record(item.id)?.weights) }
        // A run done without weights stays done (committed results are not redone) …
        XCTAssertEqual(try runner(a, .auto).run(p).skippedOk, p.count)
        // … and the same outcome with and without weights merges without conflict, keeping the weights.
        let b = TestFiles.tempDir(self, "with")
        _ = try runner(b, .auto).run(p)
        let out = TestFiles.tempDir(self, "out")
        _ = try ResultMerger.merge(sources: [a, b], into: out)
        for item in p { XCTAssertNotNil(ResultFolder(out).record(item.id)?.weights) }
    }

    func testAutoLimit() {
        var w = RunWeights()
        w.arrays = [WeightArray(name: "x", shape: [WeightSaving.autoLimit], values: [Float](repeating: 0, count: WeightSaving.autoLimit))]
        XCTAssertTrue(WeightSaving.auto.keeps(w))
        w.arrays.append(WeightArray(name: "y", shape: [1], values: [0]))
        XCTAssertFalse(WeightSaving.auto.keeps(w))
        XCTAssertTrue(WeightSaving.all.keeps(w))
        var run = ResolvedRun()
        run.kind = .convergence
        XCTAssertFalse(WeightSaving.auto.wants(run))
        XCTAssertTrue(WeightSaving.all.wants(run))
        run.kind = .fluctuation
        XCTAssertFalse(WeightSaving.all.wants(run))
    }
}

/// The DMN filters a run saves are the ones it used, and their metadata says truly where they
/// came from: checked against a naive Double density of each filter's class.
final class SavedDMNFilterTests: XCTestCase {
    func testSavedFiltersAreTheUsedOnesWithTheirOrigin() throws {
        try FashionMNIST.require()
        var run = ResolvedRun()
        run.dataset = .fashionMNIST
        run.model = .dmn
        run.filters = [4]
        run.training.epochs = 1
        run.data.trainLimit = 400
        run.data.testLimit = 200
        let dataDir = URL(fileURLWithPath: "/nonexistent-use-debian-package")
        let result = try ModelRunExecutor().execute(run, dataDirectory: dataDir, threads: .serial, saveWeights: true) { _ in }
        let w = try XCTUnwrap(result.weights)
        let conv = try XCTUnwrap(w.arrays.first { $0.name == "conv1.w" })
        XCTAssertEqual(conv.shape, [3, 3, 1, 4])
        XCTAssertEqual(w.arrays.map(\.name), ["conv1.w", "conv1.b", "softmax.w", "softmax.b"])

        // The same subset the executor builds from, and the builder on it: identical filters.
        let splits = try DatasetCache.shared.splits(.fashionMNIST, dataDirectory: dataDir, labels: run.data.cifar100Labels)
        let train = splits.train.stratifiedSubset(count: 400, seed: 0)
        guard case .fraction(let tfrac) = run.dmn.tfrac else { return XCTFail("the spec sets a numeric T_frac") }
        let subset = train.stratifiedSubset(fraction: tfrac, seed: run.seed)
        let pre = train.preprocessing(run.data.preprocessing)
        let arch = try Architecture(input: Shape3(28, 28, 1), classes: 10, convFilters: [4])
        let built = try buildFeatureLayers(arch: arch, data: subset, preprocessing: pre, filters: .dmn, options: run.dmn, seed: run.seed)
        XCTAssertEqual(conv.values, (built.layers[0] as! ConvBlock).weights.value, "saved filters differ from the ones built")

        // Independently: each filter (class c, rank r) is ± the r-th eigenvector of a naive
        // Double ρ_c over the subset's 3×3 patches. The Float density differs from it by about
        // ε_f·√(patches) relative (~1e-5); over an eigengap of ≥ 1% of the trace that turns the
        // vector by < 1e-3 rad, so 1 − |cos| < 1e-6; 1e-4 leaves room. The shares are ratios of
        // eigenvalues perturbed by the same relative 1e-5: 1e-3 relative is generous.
        let origins = try XCTUnwrap(w.origins.first { $0.layer == 1 }).origins
        XCTAssertEqual(origins.count, 4)
        var x = [Float](repeating: 0, count: subset.imageSize)
        for (f, o) in origins.enumerated() {
            let c = try XCTUnwrap(o.cls), r = try XCTUnwrap(o.rank)
            var rho = [Double](repeating: 0, count: 81)
            var patches = 0
            for i in subset.indices(ofClass: c) {
                subset.fillBatch(indices: [i], preprocessing: pre, into: &x)
                for y in 0..<26 { for xx in 0..<26 {
                    var h = [Double](repeating: 0, count: 9)
                    for dy in 0..<3 { for dx in 0..<3 { h[dy * 3 + dx] = Double(x[(y + dy) * 28 + xx + dx]) } }
                    for a in 0..<9 { for b in 0..<9 { rho[a * 9 + b] += h[a] * h[b] } }
                    patches += 1
                } }
            }
            rho = rho.map { $0 / Double(patches) }
            let e = try symmetricEigen(rho, n: 9)
            let v = Array(e.vector(r))
            let filter = (0..<9).map { Double(conv.values[$0 * 4 + f]) }
            let cosine = abs(zip(v, filter).map { $0 * $1 }.reduce(0, +)) / filter.map { $0 * $0 }.reduce(0, +).squareRoot()
            XCTAssertGreaterThan(cosine, 1 - 1e-4, "filter \(f) is not eigenvector \(r) of class \(c)")
            let trace = e.values.map { max($0, 0) }.reduce(0, +)
            XCTAssertEqual(try XCTUnwrap(o.explained), e.values[r] / trace, accuracy: 1e-3 * e.values[r] / trace)
            XCTAssertEqual(try XCTUnwrap(o.cumulative), e.values[...r].reduce(0, +) / trace, accuracy: 1e-3)
        }
        XCTAssertEqual(w.spectra.first?.groups.count, 10)
    }
}

/// A one-epoch Fashion-MNIST DMN run ("4,6") on a 300-image training and 100-image test
/// slice, as `configure` changes it, executed with its weights saved.
func savedWeightsOfSmallDMN(_ configure: (inout ResolvedRun) -> Void) throws -> RunWeights {
    try FashionMNIST.require()
    var run = ResolvedRun()
    run.dataset = .fashionMNIST
    run.model = .dmn
    run.filters = [4, 6]
    run.training.epochs = 1
    run.data.trainLimit = 300
    run.data.testLimit = 100
    configure(&run)
    let dataDir = URL(fileURLWithPath: "/nonexistent-use-debian-package")
    return try XCTUnwrap(try ModelRunExecutor().execute(run, dataDirectory: dataDir, threads: .serial, saveWeights: true) { _ in }.weights)
}

/// Every frozen statistic a network applies is saved with its weights, so that the network
/// can be rebuilt from its files: a standardised DMN's per-layer output statistics and the
/// `standardize` input preprocessing's channel statistics, as the layers and the fitted
/// preprocessing hold them (bit for bit).
final class SavedStatisticsTests: XCTestCase {
    func testStandardisedDMNSavesItsStatistics() throws {
        let w = try savedWeightsOfSmallDMN {
            $0.dmn.normalization = .standardize
            $0.dmn.activation = .none
            $0.data.preprocessing = .standardize
        }
        let dataDir = URL(fileURLWithPath: "/nonexistent-use-debian-package")
        XCTAssertEqual(w.arrays.map(\.name), ["input.mean", "input.std", "conv1.w", "conv1.b", "standardize1.mean", "standardize1.std",
                                               "conv2.w", "conv2.b", "standardize2.mean", "standardize2.std", "softmax.w", "softmax.b"])
        // The input statistics are the training subset's, as the executor fits them.
        let splits = try DatasetCache.shared.splits(.fashionMNIST, dataDirectory: dataDir, labels: ResolvedRun().data.cifar100Labels)
        let stats = splits.train.stratifiedSubset(count: 300, seed: 0).channelStatistics()
        XCTAssertEqual(w.arrays[0].values, stats.mean)
        XCTAssertEqual(w.arrays[1].values, stats.std)
        XCTAssertEqual(w.arrays[0].shape, [1])
        for name in ["standardize1", "standardize2"] {
            let mean = try XCTUnwrap(w.arrays.first { $0.name == name + ".mean" })
            let std = try XCTUnwrap(w.arrays.first { $0.name == name + ".std" })
            XCTAssertEqual(mean.shape, [name == "standardize1" ? 4 : 6])
            XCTAssertEqual(std.shape, mean.shape)
            XCTAssertTrue(std.values.allSatisfy { $0 > 0 && $0.isFinite })
        }
    }
}

/// A network with batch normalisation saves γ, β and the running averages its evaluation
/// applies, per BN layer, as `.npy` files the manifest names.
final class SavedBatchNormTests: XCTestCase {
    func testBatchNormDMNSavesGammaBetaAndRunningAverages() throws {
        let w = try savedWeightsOfSmallDMN { $0.training.batchNorm = true }
        XCTAssertEqual(w.arrays.map(\.name), ["conv1.w", "conv1.b", "bn1.moving_mean", "bn1.moving_variance", "bn1.gamma", "bn1.beta",
                                               "conv2.w", "conv2.b", "bn2.moving_mean", "bn2.moving_variance", "bn2.gamma", "bn2.beta",
                                               "softmax.w", "softmax.b"])
        for a in w.arrays where a.name.hasPrefix("bn") {
            XCTAssertEqual(a.shape, [a.name.hasPrefix("bn1") ? 4 : 6], a.name)
            XCTAssertTrue(a.values.allSatisfy(\.isFinite), a.name)
        }
        XCTAssertEqual(w.arrays.first { $0.name == "conv1.w" }?.shape, [3, 3, 1, 4])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bn-weights-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = ResultFolder(dir)
        try FileManager.default.createDirectory(at: folder.runsDirectory, withIntermediateDirectories: true)
        let manifest = try WeightFiles.write(w, id: "bn", in: folder)
        XCTAssertTrue(manifest.arrays.contains { $0.name == "bn2.moving_variance" && $0.file == "bn2.moving_variance.npy" && $0.shape == [6] })
        XCTAssertTrue(manifest.isComplete(in: folder.runsDirectory))
    }
}

/// The Fig. 2 rule on synthetic increments with a known variance law.
final class Fig2RuleTests: XCTestCase {
    /// Five seeds of increments for N = 1…300, `perN` each, s ~ N(0, σ²(N)).
    func synthetic(_ variance: (Double) -> Double, perN: Int = 1000, seeds: Int = 5, dataset: DatasetName = .mnist) -> [Fig2Check.RunStats] {
        (1...seeds).map { seed in
            var rng = SeededRandom(seed: UInt64(seed), stream: "fig2-synthetic")
            var inc: [(n: Int, s: Double)] = []
            for n in 1...300 { let sd = variance(Double(n)).squareRoot(); for _ in 0..<perN { inc.append((n, rng.nextGaussian() * sd)) } }
            return Fig2Check.stats(dataset: dataset, runId: "s\(seed)", increments: inc)
        }
    }

    func testConstantVarianceIsSupported() {
        // With 1000 increments per N the log-variance of the smallest bucket has sd √(2/999) ≈ 0.045,
        // so a seed's slope has sd ≈ 0.01 and the 5-seed 95% interval is about ±0.015: within ±0.05.
        let c = Fig2Check.check(synthetic { _ in 0.09 })
        XCTAssertEqual(c.verdict, .supported, c.findings.map(\.text).joined())
    }

    func testGrowingVarianceIsNotSupported() {
        // σ² ∝ N^0.3: the slope is 0.3 ± 0.015, far outside ±0.05.
        let s = synthetic { 0.05 * pow($0, 0.3) }
        XCTAssertEqual(Summary(s.map(\.slope)).mean, 0.3, accuracy: 0.03)
        XCTAssertEqual(Fig2Check.check(s).verdict, .notSupported)
        // A non-zero mean (0.5 sd) fails the mean part even with a constant variance.
        let shifted = (1...3).map { seed -> Fig2Check.RunStats in
            var rng = SeededRandom(seed: UInt64(seed), stream: "shift")
            let inc = (1...300).flatMap { n in (0..<200).map { _ in (n: n, s: 0.5 + rng.nextGaussian()) } }
            return Fig2Check.stats(dataset: .mnist, runId: "m\(seed)", increments: inc)
        }
        XCTAssertEqual(Fig2Check.check(shifted).verdict, .notSupported)
    }

    func testNoDataOneSeedAndExtensionsAreInconclusiveOrNotCounted() {
        XCTAssertEqual(Fig2Check.check([Fig2Check.RunStats]()).verdict, .inconclusive)
        XCTAssertEqual(Fig2Check.check(synthetic({ _ in 0.09 }, perN: 100, seeds: 1)).verdict, .inconclusive)
        // Only other datasets: shown, not counted.
        let c = Fig2Check.check(synthetic({ 0.05 * pow($0, 0.3) }, perN: 100, seeds: 3, dataset: .cifar10))
        XCTAssertEqual(c.verdict, .inconclusive)
        XCTAssertEqual(c.findings.first?.verdict, .notSupported)
    }

    func testShapeMomentsAgainstKnownValues() {
        // {0, 0, 0, 3}: mean 0.75, deviations −0.75 (×3) and 2.25: m2 = 6.75/4 = 1.6875, m3 = 10.125/4 = 2.53125, m4 = 26.578125/4 = 6.64453125.
        let s = Fig2Check.shape([0, 0, 0, 3])
        XCTAssertEqual(s.skewness, 2.53125 / pow(1.6875, 1.5), accuracy: 1e-12)
        XCTAssertEqual(s.excessKurtosis, 6.64453125 / (1.6875 * 1.6875) - 3, accuracy: 1e-12)
        XCTAssertEqual(Fig2Check.slope(x: [0, 1, 2], y: [1, 3, 5]), 2, accuracy: 1e-15)
    }
}

/// The look-inside tables and their gnuplot scripts, on a folder of made-up saved weights.
final class InsideFigureTests: XCTestCase {
    func testTileScalesEachFilterByItsLargestWeight() {
        // W[9, 2] = 0…17 row-major: filter 0 is 0, 2, …, 16 (max 16), filter 1 is 1, 3, …, 17.
        let t = InsideTables.tile(shape: [3, 3, 1, 2], values: (0..<18).map(Float.init), filter: 0)
        XCTAssertEqual(t[0][0].r, 128)           // 127.5 + 0 rounds up
        XCTAssertEqual(t[2][2].r, 255)           // 127.5 + 127.5
        XCTAssertEqual(t[0][1].g, Int((127.5 + 127.5 * 2 / 16).rounded()))
        // Colour: channel c of pixel (dy, dx) of filter f is W[((dy·3 + dx)·3 + c)·K + f].
        let c = InsideTables.tile(shape: [3, 3, 3, 1], values: (0..<27).map { $0 == 5 ? -4 : $0 == 3 ? 2 : 0 }, filter: 0)
        XCTAssertEqual(c[0][1].r, Int((127.5 + 127.5 * 2 / 4).rounded()))  // index 3 = (0, 1, red)
        XCTAssertEqual(c[0][1].b, 0)                                          // index 5 = (0, 1, blue) = −max
    }

    /// A DMN count that could not be built (infeasible) must not push the DMN out of the
    /// gallery: the gallery takes the count most models have. And a gallery without DMN tiles
    /// (no tile labels) still renders: gnuplot 5.4 crashed on an all-NaN labels plot.
    func testGalleryCountAndAGalleryWithoutTileLabels() throws {
        let dir = TestFiles.tempDir(self, "inside-gallery")
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: "w", hash: "0", file: "w.json"))
        o.weights = .auto
        let plan = ExperimentSpec(name: "w", datasets: [.fashionMNIST], models: [.dmn, .convnet],
                                  axes: ["filters": [.integers([2]), .integers([3])]]).plannedRuns()
            .filter { (p: PlannedRun) in !(p.run.model == .dmn && p.run.filters == [3]) }
        XCTAssertEqual(plan.count, 3)
        _ = try ExperimentRunner(executor: FakeWeightExecutor(), folder: ResultFolder(dir), options: o, progress: SilentProgress()).run(plan)
        let runs = InsideTables.savedRuns([dir])
        let both = try XCTUnwrap(InsideTables.gallery(runs, dataset: .fashionMNIST))
        XCTAssertEqual(both.pixels.rows.count, 7 * 7, "2 model rows of 2 tiles of 3×3 with 1-pixel gaps")
        XCTAssertEqual(both.labels.rows.filter { Double($0[0])! < 0 }.map { $0[2] }, ["dmn", "convnet"])

        let convnetOnly = try XCTUnwrap(InsideTables.gallery(runs.filter { $0.record.run.model == .convnet }, dataset: .fashionMNIST))
        XCTAssertEqual(convnetOnly.pixels.rows.count, 11 * 3, "its largest count, 3 tiles")
        let gnuplot = ["/usr/bin/gnuplot", "/usr/local/bin/gnuplot"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let gp = gnuplot else { throw XCTSkip("gnuplot not installed (apt-get install gnuplot-nox)") }
        let out = dir.appendingPathComponent("convnet-only")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try convnetOnly.pixels.text.write(to: out.appendingPathComponent("gallery_fashion-mnist.csv"), atomically: true, encoding: .utf8)
        try convnetOnly.labels.text.write(to: out.appendingPathComponent("gallery_fashion-mnist_labels.csv"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gp)
        p.arguments = ["-c", TestFiles.packageRoot.appendingPathComponent("plot-scripts/gallery.gp").path, out.path, out.path, "fashion-mnist"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("gallery-fashion-mnist.png").path))
    }

    func testTablesAndScripts() throws {
        let dir = TestFiles.tempDir(self, "inside")
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: "w", hash: "0", file: "w.json"))
        o.weights = .auto
        let plan = ExperimentSpec(name: "w", datasets: [.fashionMNIST], models: [.dmn, .convnet],
                                  axes: ["filters": [.integers([2]), .integers([3])]]).plannedRuns()
        _ = try ExperimentRunner(executor: FakeWeightExecutor(), folder: ResultFolder(dir), options: o, progress: SilentProgress()).run(plan)
        let figures = try InsideTables.write(folders: [dir], to: dir)
        XCTAssertEqual(figures.map(\.script), ["gallery", "spectra", "similarity"])
        // Gallery: 2 model rows of 3 tiles of 3×3 with 1-pixel gaps: an 11 × 7 grid.
        let pixels = Tables.read(dir.appendingPathComponent("gallery_fashion-mnist.csv"))
        XCTAssertEqual(pixels.count - 1, 11 * 7)
        let sim = Tables.read(dir.appendingPathComponent("similarity_fashion-mnist.csv"))
        XCTAssertEqual(sim.count - 1, 9)
        // The fake filters are columns of 0…26 (K = 3): filter 0 = (0, 3, …, 24), filter 1 = (1, 4, …, 25).
        let f0 = (0..<9).map { Double(3 * $0) }, f1 = (0..<9).map { Double(3 * $0 + 1) }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }
        let cos01: Double = dot(f0, f1) / (dot(f0, f0) * dot(f1, f1)).squareRoot()
        XCTAssertEqual(Double(sim[2][2])!, cos01, accuracy: 1e-6)  // row (i 0, j 1); Float filters: 1e-6
        let kept = Tables.read(dir.appendingPathComponent("spectra_fashion-mnist_kept.csv"))
        // Shares 0.5, 0.25, 0.25 and 0.75, 0.25, 0: T_v 0.9 is reached at ranks 3 and 2.
        XCTAssertEqual(kept.dropFirst().map { $0[2] }, ["3", "2"])

        let gnuplot = ["/usr/bin/gnuplot", "/usr/local/bin/gnuplot"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let gp = gnuplot else { throw XCTSkip("gnuplot not installed (apt-get install gnuplot-nox)") }
        let scripts = TestFiles.packageRoot.appendingPathComponent("plot-scripts")
        for f in figures {
            let r = try PlotScriptTests.run(URL(fileURLWithPath: gp),
                                            ["-c", scripts.appendingPathComponent(f.script + ".gp").path, dir.path, dir.path, f.dataset] + f.args)
            let text = r.text
            XCTAssertEqual(r.status, 0, text)
            XCTAssertFalse(text.contains("warning"), "\(f.script): \(text)")
            for ext in ["png", "svg"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(f.script)-\(f.dataset).\(ext)").path), f.script)
            }
        }
    }
}
