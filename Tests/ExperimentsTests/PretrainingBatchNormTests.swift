import Foundation
import XCTest
@testable import Experiments
import Models
@testable import Report

/// Issue 24 item 5: DMN filters as pretraining (`PretrainingClaim`), on hand-made tables.
final class PretrainingClaimTests: XCTestCase {
    typealias F = ReportFixtures

    /// Hybrid and ConvNet runs of MNIST "4", three seeds, with their per-epoch history. Seed s
    /// shifts every accuracy by 0.002·(s − 2); every epoch takes `epochSeconds` (hybrid) or 3 s
    /// (ConvNet); the hybrid's build takes `build` + 0.1·s seconds, the ConvNet's 0.
    static func table(hybrid: [Double], convnet: [Double], build: Double = 1, epochSeconds: Double = 3, seeds: ClosedRange<Int> = 1...3,
               history: Bool = true, hybridSpec: String = "p", convnetSpec: String = "p",
               convnetParams: [String: String] = [:]) -> ResultSet {
        var runs: [RunRow] = [], hist: [String: [EpochStats]] = [:]
        for seed in seeds {
            let off = 0.002 * Double(seed - 2)
            for (model, spec, accs, b, secs, params) in [("hybrid", hybridSpec, hybrid, build + 0.1 * Double(seed), epochSeconds, [String: String]()),
                                                         ("convnet", convnetSpec, convnet, 0.0, 3.0, convnetParams)] {
                let r = F.run(spec: spec, dataset: "mnist", model: model, filters: "4", seed: seed, acc: accs.last! + off,
                              params: params, build: b, sgd: secs * Double(accs.count))
                runs.append(r)
                for (e, a) in accs.enumerated() {
                    hist[r.runId, default: []].append(EpochStats(epoch: e + 1, loss: .nan, trainAccuracy: .nan, testAccuracy: a + off, seconds: secs))
                }
            }
        }
        var set = ResultSet()
        set.folders = ["mem"]
        set.runs = runs
        if history { set.history = hist }
        return set
    }

    func checks(_ set: ResultSet) -> [ClaimCheck] {
        ReportAnalysis(set).claims.filter { $0.id.hasPrefix(PretrainingClaim.id) }
    }

    func check(_ set: ResultSet) throws -> ClaimCheck {
        let c = checks(set)
        XCTAssertEqual(c.count, 1)
        return try XCTUnwrap(c.first)
    }

    func testPerSeedEpochsAndSeconds() throws {
        let set = Self.table(hybrid: [0.95, 0.965, 0.97], convnet: [0.90, 0.94, 0.96])
        let pairs = PretrainingClaim.pairs(Analysis.groups(set.runs))
        XCTAssertEqual(pairs.count, 1)
        let s = PretrainingClaim.perSeed(try XCTUnwrap(pairs.first), set.history)
        XCTAssertEqual(s.map(\.seed), [1, 2, 3])
        // Seed 1: target 0.958; the ConvNet gets there at epoch 3 (9 s), the hybrid at epoch 2
        // (0.963 ≥ 0.958): build 1.1 + 2 · 3 s.
        XCTAssertEqual(s[0].target, 0.958, accuracy: 1e-12)
        XCTAssertEqual(s[0].convnetEpoch, 3)
        XCTAssertEqual(s[0].convnetSeconds, 9, accuracy: 1e-9)
        XCTAssertEqual(s[0].hybridEpoch, 2)
        XCTAssertEqual(try XCTUnwrap(s[0].hybridSeconds), 7.1, accuracy: 1e-9)
    }

    func testSupported() throws {
        // The hybrid starts above the ConvNet's final accuracy: epoch 1 (≈ 4.2 s) against epoch 3 (9 s) in every seed.
        let c = try check(Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96]))
        XCTAssertEqual(c.verdict, .supported, c.summary + "\n" + c.findings.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(c.id, "\(PretrainingClaim.id)-p")
        XCTAssertTrue(c.summary.contains("MNIST 4 1.0 ± 0.0 vs 3.0 ± 0.0"), c.summary)
    }

    func testNotSupported() throws {
        // Never reaching the ConvNet's final accuracy counts against.
        let never = try check(Self.table(hybrid: [0.90, 0.92, 0.93], convnet: [0.90, 0.94, 0.96]))
        XCTAssertEqual(never.verdict, .notSupported, never.summary)
        XCTAssertTrue(never.findings[0].text.contains("3 of 3 hybrid runs never reach it"), never.findings[0].text)
        // Fewer epochs but a build so long that the hybrid gets there later: 100 s + 3 s against 9 s.
        let slow = try check(Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96], build: 100))
        XCTAssertEqual(slow.verdict, .notSupported, slow.summary)
    }

    func testInconclusiveAndMissingData() throws {
        // Epochs tie (both at epoch 3 in every seed) while the hybrid is faster: the epochs' intervals touch.
        let tie = try check(Self.table(hybrid: [0.90, 0.93, 0.961], convnet: [0.90, 0.94, 0.96], build: 0, epochSeconds: 1))
        XCTAssertEqual(tie.verdict, .inconclusive, tie.summary)
        // One seed: no interval.
        XCTAssertEqual(try check(Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96], seeds: 2...2)).verdict, .inconclusive)
        // No history, or no runs: one "no data" check.
        for set in [Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96], history: false), ResultSet()] {
            let c = try check(set)
            XCTAssertEqual(c.verdict, .inconclusive)
            XCTAssertEqual(c.id, PretrainingClaim.id)
            XCTAssertTrue(c.summary.hasPrefix("no data"), c.summary)
        }
    }

    func testConvNetOfAnotherSpecAndInitialiser() throws {
        // The ConvNet from another spec (as in the paper-wide report, where fig3 owns the ConvNet's run ids) with
        // another initialiser (a hybrid resets it) still pairs.
        let set = Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96], convnetSpec: "q", convnetParams: ["init": "glorot-uniform"])
        XCTAssertEqual(try check(set).verdict, .supported)
        // A ConvNet with other shared settings does not.
        let other = Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96], convnetParams: ["batch_size": "128"])
        XCTAssertTrue(try check(other).summary.hasPrefix("no data"))
    }

    func testOneCheckPerProtocolAndTables() throws {
        var set = Self.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96])
        let other = Self.table(hybrid: [0.90, 0.92, 0.93], convnet: [0.90, 0.94, 0.96], hybridSpec: "a", convnetSpec: "a")
        set.runs += other.runs
        set.history.merge(other.history) { a, _ in a }
        let c = checks(set)
        XCTAssertEqual(c.map(\.id), ["\(PretrainingClaim.id)-a", "\(PretrainingClaim.id)-p"].sorted())
        XCTAssertEqual(c.first { $0.id.hasSuffix("-p") }?.verdict, .supported)
        XCTAssertEqual(c.first { $0.id.hasSuffix("-a") }?.verdict, .notSupported)
        let md = ReportWriter.markdown(ReportAnalysis(set), generated: "now")
        XCTAssertTrue(md.contains("## DMN filters as pretraining"), md)
        let t = ParsedTable(csv: PretrainingClaim.plotTable(set).text)
        XCTAssertEqual(t.rows.count, 2 * 2 * 3)  // two protocols × two models × three epochs
        // Spec a's hybrid, epoch 1: mean over seeds of build 1 + 0.1·s and 3 s = 4.2 s; accuracy 90%.
        let first = try XCTUnwrap(t.rows.first { $0["series_label"] == "4 a" && $0["model"] == "hybrid" })
        XCTAssertEqual(first.number("seconds"), 4.2, accuracy: 1e-9)
        XCTAssertEqual(first.number("acc"), 90, accuracy: 1e-9)
    }
}

/// Issue 24 item 6: does batch normalisation change a Fig. 3 verdict (`BatchNormClaim`)?
final class BatchNormClaimTests: XCTestCase {
    typealias F = ReportFixtures

    /// DMN and ConvNet runs (three seeds) of one configuration, with or without BN.
    static func pair(_ dataset: String, _ filters: String, dmn: Double, convnet: Double, bn: Bool, spec: String = "t") -> [RunRow] {
        let p = bn ? ["batch_norm": "true", "batch_norm_momentum": "0.99"] : ["batch_norm": "false", "batch_norm_momentum": "0.99"]
        return F.seeds(dmn, 0.002).enumerated().map { F.run(spec: spec, dataset: dataset, model: "dmn", filters: filters, seed: $0.offset + 1, acc: $0.element, params: p) }
            + F.seeds(convnet, 0.002).enumerated().map { F.run(spec: spec, dataset: dataset, model: "convnet", filters: filters, seed: $0.offset + 1,
                                                               acc: $0.element, params: p) }
    }

    /// MNIST 4 and 8 (DMN within 1 point of the ConvNet) and CIFAR-10 4 and 4-15 without BN
    /// (DMN above; 4-15 by 6 points); with BN, CIFAR-10's DMN is `cifarBN` points from the ConvNet.
    static func set(cifarBN: Double, withBN: Bool = true, bnSpec: String = "t") -> ResultSet {
        var runs = pair("mnist", "4", dmn: 0.960, convnet: 0.965, bn: false, spec: "fig3") + pair("mnist", "8", dmn: 0.970, convnet: 0.972, bn: false, spec: "fig3")
            + pair("cifar10", "4", dmn: 0.50, convnet: 0.45, bn: false, spec: "fig3") + pair("cifar10", "4-15", dmn: 0.56, convnet: 0.50, bn: false, spec: "fig3")
        if withBN {
            runs += pair("mnist", "4", dmn: 0.970, convnet: 0.972, bn: true, spec: bnSpec) + pair("mnist", "8", dmn: 0.975, convnet: 0.979, bn: true, spec: bnSpec)
                + pair("cifar10", "4", dmn: 0.50 + cifarBN, convnet: 0.50, bn: true, spec: bnSpec)
                + pair("cifar10", "4-15", dmn: 0.56 + cifarBN, convnet: 0.56, bn: true, spec: bnSpec)
        }
        var s = ResultSet()
        s.folders = ["mem"]
        s.runs = runs
        return s
    }

    func check(_ s: ResultSet) throws -> ClaimCheck {
        try XCTUnwrap(ReportAnalysis(s).claims.first { $0.id == BatchNormClaim.id })
    }

    func testSupported() throws {
        // With BN the DMN stays within 1 point on MNIST, above on CIFAR-10 (by 6 points: also in 5–10 with two layers).
        let s = Self.set(cifarBN: 0.06)
        let c = try check(s)
        XCTAssertEqual(c.verdict, .supported, c.summary + "\n" + c.findings.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(c.findings.map(\.label), ["mnist-within-1pt", "cifar10-above", "cifar10-two-layer-5-10pt"])
        XCTAssertTrue(c.summary.hasSuffix("no verdict changes"), c.summary)
        // The top-level Fig. 3 verdicts stay those of the paper's text protocol (no BN).
        XCTAssertEqual(ReportAnalysis(s).claims.first { $0.id == "cifar10-above" }?.verdict, .supported)
        let md = ReportWriter.markdown(ReportAnalysis(s), generated: "now")
        XCTAssertTrue(md.contains("## Batch normalisation"), md)
        // The plot table: per configuration ConvNet, ConvNet+BN, DMN, DMN+BN means (percent) and std (0.2).
        let t = ParsedTable(csv: BatchNormClaim.plotTable(s).text)
        XCTAssertEqual(t.rows.count, 4)
        let c4 = try XCTUnwrap(t.rows.first { $0["dataset"] == "CIFAR-10" && $0["label"] == "4" })
        for (col, v) in [("convnet_mean", 45.0), ("convnet_bn_mean", 50), ("dmn_mean", 50), ("dmn_bn_mean", 56), ("dmn_bn_err", 0.2)] {
            XCTAssertEqual(c4.number(col), v, accuracy: 1e-9, col)
        }
    }

    func testNotSupported() throws {
        // With BN the DMN falls 3 points below the ConvNet on CIFAR-10: "above" is reversed, the margin too.
        let c = try check(Self.set(cifarBN: -0.03))
        XCTAssertEqual(c.verdict, .notSupported, c.summary)
        XCTAssertTrue(c.summary.contains("cifar10-above (supported → not supported)"), c.summary)
        XCTAssertEqual(c.findings.first { $0.label == "mnist-within-1pt" }?.verdict, .supported)
    }

    func testInconclusiveAndMissingData() throws {
        // With BN the DMN is 0.1 point above on CIFAR-10 (CIs overlap): "above" goes from supported to inconclusive.
        let moved = try check(Self.set(cifarBN: 0.001))
        XCTAssertEqual(moved.findings.first { $0.label == "cifar10-above" }?.verdict, .inconclusive, moved.summary)
        XCTAssertNotEqual(moved.verdict, .supported)
        // No BN runs: no data.
        let none = try check(Self.set(cifarBN: 0.06, withBN: false))
        XCTAssertEqual(none.verdict, .inconclusive)
        XCTAssertTrue(none.summary.hasPrefix("no data"), none.summary)
        XCTAssertEqual(try check(ResultSet()).verdict, .inconclusive)
    }

    func testBatchNormIsAProtocolFactorOfTheRobustnessSection() {
        let s = Self.set(cifarBN: -0.03, bnSpec: "batchnorm")
        let tables = ClaimRobustness.analyse(runs: s.runs, history: [:])
        XCTAssertTrue(tables.isEmpty, "no history, no robustness rows")
        // With a one-epoch history for every run, the BN runs are a protocol of their own.
        var hist: [String: [EpochStats]] = [:]
        for r in s.runs { hist[r.runId] = [EpochStats(epoch: 1, loss: .nan, trainAccuracy: .nan, testAccuracy: r.testAccuracy, seconds: 1)] }
        let t = ClaimRobustness.analyse(runs: s.runs, history: hist)
        let above = t.first { $0.claimId == "cifar10-above" }
        XCTAssertTrue(above?.factorColumns.contains("batch_norm") ?? false, "\(String(describing: above?.factorColumns))")
        XCTAssertEqual(Set(above?.rows.map(\.verdict) ?? []), [.supported, .notSupported])
    }
}

/// pretraining.gp and batchnorm.gp draw from the tables `repro plot` writes for hand-made results,
/// and say "no data" without them. Skipped when gnuplot is not installed.
final class PretrainingBatchNormPlotTests: XCTestCase {
    func gnuplot(_ script: String, _ dir: URL) throws -> (status: Int32, text: String) {
        guard let g = PlotScriptTests.gnuplot else { throw XCTSkip("gnuplot is not installed (Debian: apt-get install gnuplot-nox)") }
        let p = Process()
        p.executableURL = g
        p.arguments = ["-c", PlotScriptTests.scriptDir.appendingPathComponent(script + ".gp").path, dir.path]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testScriptsDrawAndSayNoData() throws {
        var set = PretrainingClaimTests.table(hybrid: [0.965, 0.97, 0.975], convnet: [0.90, 0.94, 0.96])
        set.runs += BatchNormClaimTests.set(cifarBN: 0.06).runs
        let dir = TestFiles.tempDir(self, "plot-pretraining-bn")
        let drawn = try PlotTables.write(set, to: dir)
        XCTAssertTrue(drawn.contains("pretraining") && drawn.contains("batchnorm"), "\(drawn)")
        for name in ["pretraining", "batchnorm"] {
            let r = try gnuplot(name, dir)
            XCTAssertEqual(r.status, 0, "\(name).gp: \(r.text)")
            XCTAssertFalse(r.text.contains("warning"), "\(name).gp: \(r.text)")
            let png = try Data(contentsOf: dir.appendingPathComponent(name + ".png"))
            XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47], "\(name).png")
            XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent(name + ".svg"), encoding: .utf8).contains("<svg"))
        }
        let empty = TestFiles.tempDir(self, "plot-pretraining-bn-empty")
        for name in ["pretraining", "batchnorm"] {
            let r = try gnuplot(name, empty)
            XCTAssertEqual(r.status, 0, r.text)
            XCTAssertTrue(r.text.contains("\(name): no data"), r.text)
        }
    }
}
