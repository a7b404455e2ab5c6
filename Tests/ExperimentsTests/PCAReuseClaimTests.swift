import Foundation
import XCTest
@testable import Experiments
@testable import Report

/// The claim "Tuning a layer's hyperparameters needs the PCA only once" (`PCAReuse`) on
/// hand-made tables: build seconds per sweep point and seed, and provenance saying whether the
/// folder was made with spectra reuse.
/// The claim "Tuning a layer's hyperparameters needs the PCA only once" (`PCAReuse`) on
/// hand-made tables: build seconds per sweep point and seed, and per run whether its spectra
/// were computed or taken from the PCA cache (runs.csv's spectra_reused).
final class PCAReuseClaimTests: XCTestCase {
    /// DMN runs of a `param` sweep: `builds[v][s]` is the build_s of value v, seed s + 1; nil
    /// makes that run infeasible. Seed s's run at value `computed[s]` computed its spectra, the
    /// others reused them (every layer); `reuse` false leaves spectra_reused empty (no cache).
    func sweep(_ param: String, spec: String, filters: String = "4", values: [String], builds: [[Double?]],
               computed: [Int] = [0, 0], reuse: Bool = true) -> [RunRow] {
        var rows: [RunRow] = []
        let layers = filters.split(separator: "-").count
        for (v, bs) in builds.enumerated() {
            for (s, b) in bs.enumerated() {
                let flag = computed[s] == v ? "0" : "1"
                var params = [param: values[v]]
                if reuse && b != nil { params["spectra_reused"] = Array(repeating: flag, count: layers).joined(separator: "-") }
                rows.append(ReportFixtures.run(spec: spec, dataset: "fashion-mnist", model: "dmn", filters: filters, seed: s + 1,
                                               acc: 0.85, params: params, status: b == nil ? "infeasible" : "ok", build: b ?? .nan, sgd: 2))
            }
        }
        return rows
    }

    func check(_ runs: [RunRow]) -> (ClaimCheck, ResultSet, [ParameterSweep]) {
        var set = ResultSet()
        set.runs = runs
        let groups = Analysis.groups(runs)
        let sweeps = Analysis.sweepParams.flatMap { Analysis.sweeps(groups, param: $0) }
        return (PCAReuse.check(sweeps), set, sweeps)
    }

    let tpcValues = ["0.5", "0.7", "0.9", "1.0"]

    func testSupportedWhenEveryFurtherPointCostsAtMostFivePercentOfTheFirst() {
        // The point that computed need not be the first value: 0.9 for seed 2.
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.001], [0.0020, 0.0012], [0.0021, 0.060], [0.0011, 0.0024]],
                         computed: [0, 2])
            + sweep("tv", spec: "pca-tv", values: ["0.9", "0.98", "1.0"], builds: [[0.040, 0.045], [0.0018, 0.0022], [0.0015, 0.001]])
        let (c, set, sweeps) = check(runs)
        XCTAssertEqual(c.verdict, .supported, c.summary)
        XCTAssertEqual(c.findings.count, 2)
        XCTAssertTrue(c.findings.allSatisfy { $0.verdict == .supported })
        // The largest ratio: tv seed 2, 0.0022 / 0.045 = 4.9% (T_PC seed 1: 0.0021 / 0.050 = 4.2%).
        XCTAssertTrue(c.summary.contains("4.9% of the first"), c.summary)
        XCTAssertTrue(c.summary.contains("T_v pca-tv seed 2"), c.summary)

        // The figure's table: every ok point, one first per seed, limit 5% of that seed's first.
        let t = PCAReuse.plotTable(sweeps)
        XCTAssertEqual(t.rows.count, 8 + 6)
        let header = t.header
        func col(_ r: [String], _ name: String) -> String { r[header.firstIndex(of: name)!] }
        XCTAssertEqual(t.rows.filter { col($0, "role") == "first" }.count, 4)
        let tpcSeed2First = t.rows.first { col($0, "param") == "tpc" && col($0, "seed") == "2" && col($0, "role") == "first" }!
        XCTAssertEqual(col(tpcSeed2First, "value"), "0.9")
        XCTAssertEqual(Double(col(tpcSeed2First, "limit_s"))!, 0.05 * 0.060, accuracy: 1e-12)

        // The report has the section with one row per series, and the claim.
        let md = ReportWriter.markdown(ReportAnalysis(set), generated: "now")
        XCTAssertTrue(md.contains("## One PCA for all thresholds"))
        XCTAssertTrue(md.contains("| Fashion-MNIST | T_PC | pca-tpc | 4 | 2 | yes | 1 | 3 | 60.0 ms |"), md)
        XCTAssertTrue(md.contains("| \(PCAReuse.claim) | **supported** |"))
    }

    /// The first point is the run that computed, not the costliest: a slow further point is
    /// caught even when it costs more than the first.
    func testFirstIsTheRunThatComputedNotTheCostliest() {
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.050], [0.080, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let c = check(runs).0
        XCTAssertEqual(c.verdict, .notSupported, c.summary)
        XCTAssertTrue(c.summary.contains("160.0% of the first"), c.summary)
    }

    /// Configurations of one layer share their layer-1 PCA: the run that computed it may be
    /// another filter count's; the series of a spec, dataset and seed spans them.
    func testOneLayerConfigurationsShareTheirFirstPoint() {
        let runs = sweep("tpc", spec: "pca-tpc", filters: "4", values: tpcValues, builds: [[0.050, 0.050], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]])
            + sweep("tpc", spec: "pca-tpc", filters: "8", values: tpcValues, builds: [[0.002, 0.002], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]],
                    computed: [-1, -1])
        let (c, set, sweeps) = check(runs)
        XCTAssertEqual(c.verdict, .supported, c.summary)
        let rows = PCAReuse.table(sweeps).rows
        XCTAssertEqual(rows.count, 2, "one series a seed")
        XCTAssertEqual(rows[0][3], "4, 8")
        XCTAssertEqual(rows[0][6], "1")   // first points
        XCTAssertEqual(rows[0][7], "7")   // further points
        XCTAssertTrue(c.summary.contains("4.0% of the first"), c.summary)
        _ = set
    }

    func testNotSupportedWhenAFurtherPointCostsMoreThanFivePercent() {
        // Seed 1's point 0.7: 0.004 / 0.05 = 8%.
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.050], [0.004, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let c = check(runs).0
        XCTAssertEqual(c.verdict, .notSupported, c.summary)
        XCTAssertTrue(c.summary.contains("8.0% of the first"), c.summary)
    }

    func testInconclusiveWithoutDataWithoutReuseOrWithOnlySeveralLayers() {
        XCTAssertEqual(check([]).0.verdict, .inconclusive)
        XCTAssertTrue(check([]).0.summary.hasPrefix("no data"))
        // A single point per seed is no sweep.
        let one = sweep("tpc", spec: "pca-tpc", values: ["0.9"], builds: [[0.05, 0.05]])
        XCTAssertEqual(check(one).0.verdict, .inconclusive)

        // Made without reuse (spectra_reused empty): shown, not judged.
        let fast = sweep("tpc", spec: "fig3-tpc", values: tpcValues, builds: [[0.05, 0.05], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]],
                         reuse: false)
        let (c0, _, sweeps0) = check(fast)
        XCTAssertEqual(c0.verdict, .inconclusive, c0.summary)
        XCTAssertTrue(c0.summary.contains("without spectra reuse"), c0.summary)
        XCTAssertEqual(PCAReuse.table(sweeps0).rows.map { $0.last! }, ["no (no reuse)", "no (no reuse)"])
        // Every spectrum from an earlier invocation's cache: no first point, not judged.
        let cached = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.001, 0.001], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]],
                           computed: [-1, -1])
        let (c1, _, sweeps1) = check(cached)
        XCTAssertEqual(c1.verdict, .inconclusive, c1.summary)
        XCTAssertEqual(PCAReuse.table(sweeps1).rows.map { $0.last! }, ["no (no first point)", "no (no first point)"])
        // Two layers: layer 2's PCA is redone when layer 1's filters change; shown, not judged.
        let twoLayers = sweep("tpc", spec: "pca-tpc", filters: "4-15", values: tpcValues, builds: [[0.2, 0.2], [0.15, 0.1], [0.001, 0.1], [0.1, 0.001]])
        let (c, _, sweeps) = check(twoLayers)
        XCTAssertEqual(c.verdict, .inconclusive, c.summary)
        XCTAssertTrue(PCAReuse.table(sweeps).rows.allSatisfy { $0.last! == "no (2 layers)" })
        // Beside a judged one-layer sweep, they do not change its verdict.
        let both = twoLayers + sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.05, 0.05], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let b = check(both).0
        XCTAssertEqual(b.verdict, .supported, b.summary)
        XCTAssertTrue(b.summary.contains("2 seed series not judged"), b.summary)
    }

    /// Time claims leave out builds that reused spectra: their build_s holds no PCA.
    func testReusedBuildsAreNotTimed() {
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.060], [0.001, 0.001], [0.001, 0.001], [0.001, 0.001]])
        let groups = Analysis.groups(runs)
        let first = groups.first { $0.setting("tpc") == .real(0.5) }!
        let further = groups.first { $0.setting("tpc") == .real(0.7) }!
        XCTAssertEqual(first.timedRuns.count, 2)
        XCTAssertEqual(first.median(\.buildSeconds), 0.055, accuracy: 1e-12)
        XCTAssertEqual(further.timedRuns.count, 0)
        XCTAssertTrue(further.median(\.buildSeconds).isNaN)
    }

    /// plot-scripts/pca-reuse.gp draws the figure from the table (when gnuplot is installed), and
    /// says so when there is no data.
    func testFigureScriptDrawsPNGAndSVG() throws {
        guard let gnuplot = PlotScriptTests.gnuplot else { throw XCTSkip("gnuplot is not installed (Debian: apt-get install gnuplot-nox)") }
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[0.050, 0.001], [0.0020, 0.0012], [0.0021, 0.060], [0.0011, 0.0024]],
                         computed: [0, 2])
            + sweep("tv", spec: "pca-tv", filters: "4-15", values: ["0.9", "0.98", "1.0"], builds: [[0.040, 0.045], [0.0018, 0.0022], [0.0015, 0.001]])
        let (_, _, sweeps) = check(runs)
        let dir = TestFiles.tempDir(self, "pca-plot")
        try PCAReuse.plotTable(sweeps).text.write(to: dir.appendingPathComponent("pca_reuse.csv"), atomically: true, encoding: .utf8)
        let script = PlotScriptTests.scriptDir.appendingPathComponent("pca-reuse.gp").path
        func gp(_ args: [String]) throws -> (Int32, String) {
            let r = try PlotScriptTests.run(gnuplot, ["-c", script] + args)
            return (r.status, r.text)
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
        let runs = sweep("tpc", spec: "pca-tpc", values: tpcValues, builds: [[nil, nil], [0.05, 0.05], [0.001, 0.001], [0.002, 0.001]],
                         computed: [1, 1])
        let (c, _, _) = check(runs)
        XCTAssertEqual(c.verdict, .supported, c.summary)
        XCTAssertEqual(c.leftOut, ["Fashion-MNIST (filters 4) T_PC 0.5"])
        XCTAssertTrue(c.summary.contains("infeasible"), c.summary)
    }
}
