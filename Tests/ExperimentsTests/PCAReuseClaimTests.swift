import Foundation
import XCTest
@testable import Experiments
@testable import Report

/// The claim "Tuning a layer's hyperparameters needs the PCA only once" (`PCAReuse`) on
/// hand-made tables: build seconds per sweep point and seed, and provenance saying whether the
/// folder was made with spectra reuse.
final class PCAReuseClaimTests: XCTestCase {
    /// DMN runs of a `param` sweep: `builds[v][s]` is the build_s of value v, seed s + 1; nil
    /// makes that run infeasible.
    func sweep(_ param: String, spec: String, filters: String = "4", values: [String], builds: [[Double?]]) -> [RunRow] {
        var rows: [RunRow] = []
        for (v, bs) in zip(values, builds) {
            for (s, b) in bs.enumerated() {
                rows.append(ReportFixtures.run(spec: spec, dataset: "fashion-mnist", model: "dmn", filters: filters, seed: s + 1,
                                               acc: 0.85, params: [param: v], status: b == nil ? "infeasible" : "ok", build: b ?? .nan, sgd: 2))
            }
        }
        return rows
    }

    func provenance(_ spec: String, pcaCache: PCACacheMode?) -> ProvenanceInfo {
        var p = ProvenanceInfo(folder: "results/\(spec)")
        p.present = true
        p.specName = spec
        p.pcaCache = pcaCache
        return p
    }

    func check(_ runs: [RunRow], _ provenance: [ProvenanceInfo]) -> (ClaimCheck, ResultSet, [ParameterSweep]) {
        var set = ResultSet()
        set.runs = runs
        set.provenance = provenance
        let groups = Analysis.groups(runs)
        let sweeps = Analysis.sweepParams.flatMap { Analysis.sweeps(groups, param: $0) }
        return (PCAReuse.check(sweeps, provenance: provenance), set, sweeps)
    }

    let tpcValues = ["0.5", "0.7", "0.9", "1.0"]

    func testSupportedWhenEveryFurtherPointCostsAtMostFivePercentOfTheFirst() {
        // The first point (the costliest) need not be the first value: here 0.9 for seed 2.
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.001], [0.0020, 0.0012], [0.0021, 0.060], [0.0011, 0.0024]])
            + sweep("tv", spec: "pca-tv", values: ["0.9", "0.98", "1.0"], builds: [[0.040, 0.045], [0.0018, 0.0022], [0.0015, 0.001]])
        let (c, set, sweeps) = check(runs, [provenance("pca-tpc", pcaCache: .on), provenance("pca-tv", pcaCache: .memory)])
        XCTAssertEqual(c.verdict, .supported, c.summary)
        XCTAssertEqual(c.findings.count, 2)
        XCTAssertTrue(c.findings.allSatisfy { $0.verdict == .supported })
        // The largest ratio: tv seed 2, 0.0022 / 0.045 = 4.9% (T_PC seed 1: 0.0021 / 0.050 = 4.2%).
        XCTAssertTrue(c.summary.contains("4.9% of the first"), c.summary)
        XCTAssertTrue(c.summary.contains("T_v seed 2"), c.summary)

        // The figure's table: every ok point, one first per seed, limit 5% of that seed's first.
        let t = PCAReuse.plotTable(set, sweeps: sweeps)
        XCTAssertEqual(t.rows.count, 8 + 6)
        let header = t.header
        func col(_ r: [String], _ name: String) -> String { r[header.firstIndex(of: name)!] }
        XCTAssertEqual(t.rows.filter { col($0, "role") == "first" }.count, 4)
        let tpcSeed2First = t.rows.first { col($0, "param") == "tpc" && col($0, "seed") == "2" && col($0, "role") == "first" }!
        XCTAssertEqual(col(tpcSeed2First, "value"), "0.9")
        XCTAssertEqual(Double(col(tpcSeed2First, "limit_s"))!, 0.05 * 0.060, accuracy: 1e-12)

        // The report has the section with one row per sweep and seed, and the claim.
        let md = ReportWriter.markdown(ReportAnalysis(set), generated: "now")
        XCTAssertTrue(md.contains("## One PCA for all thresholds"))
        XCTAssertTrue(md.contains("| Fashion-MNIST | 4 | T_PC | 2 | yes | 4 | 0.9 | 60.0 ms |"), md)
        XCTAssertTrue(md.contains("| \(PCAReuse.claim) | **supported** |"))
    }

    func testNotSupportedWhenAFurtherPointCostsMoreThanFivePercent() {
        // Seed 1's point 0.7: 0.004 / 0.05 = 8%.
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.050], [0.004, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let (c, _, _) = check(runs, [provenance("pca-tpc", pcaCache: .on)])
        XCTAssertEqual(c.verdict, .notSupported, c.summary)
        XCTAssertTrue(c.summary.contains("8.0% of the first"), c.summary)
        // Without reuse every point computes its PCA: the ratio is near 1, not supported.
        let noReuse = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.051], [0.049, 0.052], [0.050, 0.050], [0.048, 0.05]])
        XCTAssertEqual(check(noReuse, [provenance("pca-tpc", pcaCache: .on)]).0.verdict, .notSupported)
    }

    func testInconclusiveWithoutDataWithoutReuseOrWithOnlySeveralLayers() {
        XCTAssertEqual(check([], []).0.verdict, .inconclusive)
        XCTAssertTrue(check([], []).0.summary.hasPrefix("no data"))
        // A single point per seed is no sweep.
        let one = sweep("tpc", spec: "pca-tpc", values: ["0.9"], builds: [[0.05, 0.05]])
        XCTAssertEqual(check(one, [provenance("pca-tpc", pcaCache: .on)]).0.verdict, .inconclusive)

        let fast = sweep("tpc", spec: "fig3-tpc", values: tpcValues, builds: [[0.05, 0.05], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]])
        // Made before --pca-cache (no field) or with it off: shown, not judged.
        for p in [provenance("fig3-tpc", pcaCache: nil), provenance("fig3-tpc", pcaCache: .off)] {
            let (c, set, sweeps) = check(fast, [p])
            XCTAssertEqual(c.verdict, .inconclusive, c.summary)
            XCTAssertTrue(c.summary.contains("without spectra reuse"), c.summary)
            XCTAssertEqual(PCAReuse.table(set, sweeps: sweeps).rows.map { $0.last! }, ["no (no reuse)", "no (no reuse)"])
        }
        // Two layers: layer 2's PCA is redone when layer 1's filters change; shown, not judged.
        let twoLayers = sweep("tpc", spec: "pca-tpc", filters: "4-15", values: tpcValues, builds: [[0.2, 0.2], [0.15, 0.1], [0.001, 0.1], [0.1, 0.001]])
        let (c, set, sweeps) = check(twoLayers, [provenance("pca-tpc", pcaCache: .on)])
        XCTAssertEqual(c.verdict, .inconclusive, c.summary)
        XCTAssertTrue(PCAReuse.table(set, sweeps: sweeps).rows.allSatisfy { $0.last! == "no (2 layers)" })
        // Beside a judged one-layer sweep, they do not change its verdict.
        let both = twoLayers + sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.05, 0.05], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let b = check(both, [provenance("pca-tpc", pcaCache: .on)]).0
        XCTAssertEqual(b.verdict, .supported, b.summary)
        XCTAssertTrue(b.summary.contains("2 seed series of multi-layer sweeps or without reuse shown, not judged"), b.summary)
    }

    /// plot-scripts/pca-reuse.gp draws the figure from the table (when gnuplot is installed), and
    /// says so when there is no data.
    func testFigureScriptDrawsPNGAndSVG() throws {
        guard let gnuplot = PlotScriptTests.gnuplot else { throw XCTSkip("gnuplot is not installed (Debian: apt-get install gnuplot-nox)") }
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.001], [0.0020, 0.0012], [0.0021, 0.060], [0.0011, 0.0024]])
            + sweep("tv", spec: "pca-tv", filters: "4-15", values: ["0.9", "0.98", "1.0"], builds: [[0.040, 0.045], [0.0018, 0.0022], [0.0015, 0.001]])
        let (_, set, sweeps) = check(runs, [provenance("pca-tpc", pcaCache: .on), provenance("pca-tv", pcaCache: .on)])
        let dir = TestFiles.tempDir(self, "pca-plot")
        try PCAReuse.plotTable(set, sweeps: sweeps).text.write(to: dir.appendingPathComponent("pca_reuse.csv"), atomically: true, encoding: .utf8)
        let script = PlotScriptTests.scriptDir.appendingPathComponent("pca-reuse.gp").path
        func gp(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = gnuplot
            p.arguments = ["-c", script] + args
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = pipe
            try p.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
        let (status, text) = try gp([dir.path])
        XCTAssertEqual(status, 0, text)
        XCTAssertFalse(text.contains("warning"), text)
        let png = try Data(contentsOf: dir.appendingPathComponent("pca-reuse.png"))
        XCTAssertEqual(Array(png.prefix(8)), PlotScriptTests.pngSignature)
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("pca-reuse.svg"), encoding: .utf8).contains("<svg"))

        let empty = TestFiles.tempDir(self, "pca-plot-empty")
        let (s2, t2) = try gp([empty.path])
        XCTAssertEqual(s2, 0, t2)
        XCTAssertTrue(t2.contains("pca-reuse: no data") && t2.contains("Nothing written"), t2)
    }

    /// A point the method cannot build is left out and named, not held against the claim.
    func testInfeasiblePointsAreLeftOutAndNamed() {
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[nil, nil], [0.05, 0.05], [0.001, 0.001], [0.002, 0.001]])
        let (c, _, _) = check(runs, [provenance("pca-tpc", pcaCache: .on)])
        XCTAssertEqual(c.verdict, .supported, c.summary)
        XCTAssertEqual(c.leftOut, ["Fashion-MNIST (filters 4) T_PC 0.5"])
        XCTAssertTrue(c.summary.contains("infeasible"), c.summary)
    }
}
