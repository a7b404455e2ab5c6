import Foundation
import XCTest
@testable import Experiments
@testable import Report

/// The claim-robustness section and its plot table, on hand-made runs and histories.
final class ClaimRobustnessTests: XCTestCase {
    typealias F = ReportFixtures

    /// Per-epoch test accuracies of DMN and ConvNet under two input scalings, three seeds;
    /// seed s adds 0.002·(s − 2) to the DMN and 0.001·(s − 2) to the ConvNet, so the paired
    /// differences have mean = the difference of the bases and std 0.001.
    static let dmnCurve = [0.40, 0.45, 0.47, 0.48, 0.47]
    static let convScale = [0.35, 0.44, 0.50, 0.52, 0.53]
    static let convRaw = [0.10, 0.15, 0.25, 0.35, 0.40]
    /// Validation of the raw-noise runs peaks at epoch 2 (ConvNet) and 4 (DMN).
    static let valConv = [0.1, 0.9, 0.2, 0.3, 0.4]
    static let valDMN = [0.1, 0.2, 0.3, 0.9, 0.4]

    func fixture() -> (runs: [RunRow], history: [ReportRow]) {
        var runs: [RunRow] = [], history: [ReportRow] = []
        for (prep, conv, validation) in [("scale", Self.convScale, "0"), ("raw-noise", Self.convRaw, "0.1")] {
            for seed in 1...3 {
                for (model, curve, jitter, val) in [("dmn", Self.dmnCurve, 0.002, Self.valDMN), ("convnet", conv, 0.001, Self.valConv)] {
                    let off = jitter * Double(seed - 2)
                    let r = F.run(spec: "p", dataset: "cifar10", model: model, filters: "4", seed: seed, acc: curve.last! + off,
                                  params: ["epochs": "5", "preprocessing": prep, "validation": validation == "0" ? "0.0" : validation,
                                           "selection": "final"])
                    runs.append(r)
                    for (e, a) in curve.enumerated() {
                        history.append(ReportRow(["run_id": r.runId, "epoch": String(e + 1), "test_acc": CSVTable.number(a + off),
                                                  "validation_acc": validation == "0" ? "nan" : CSVTable.number(val[e])]))
                    }
                }
            }
        }
        return (runs, history)
    }

    func row(_ t: ClaimRobustnessTable, prep: String, budget: Int, rule: SelectionRule) throws -> RobustnessRow {
        try XCTUnwrap(t.rows.first { $0.factors["preprocessing"] == prep && $0.budget == budget && $0.rule == rule },
                      "\(prep) E=\(budget) \(rule)")
    }

    func testVerdictsPerProtocolBudgetAndRule() throws {
        let (runs, history) = fixture()
        let tables = ClaimRobustness.analyse(runs: runs, history: F.histories(history))
        XCTAssertEqual(tables.map(\.claimId), ["cifar10-above"], "one-layer runs only: the two-layer claim has no configuration")
        let t = tables[0]
        XCTAssertEqual(t.factorColumns, ["preprocessing", "validation"])
        // Budgets 1, 3 and 5 (= the runs' epochs).
        XCTAssertEqual(Set(t.rows.map(\.budget)), [1, 3, 5])
        XCTAssertEqual(try row(t, prep: "scale", budget: 3, rule: .final).verdict, .notSupported)   // 0.47 vs 0.50
        XCTAssertTrue(try row(t, prep: "scale", budget: 3, rule: .final).paperText)
        XCTAssertEqual(try row(t, prep: "scale", budget: 1, rule: .final).verdict, .supported)      // 0.40 vs 0.35
        XCTAssertEqual(try row(t, prep: "scale", budget: 5, rule: .bestTest).verdict, .notSupported) // 0.48 vs 0.53
        XCTAssertNil(t.rows.first { $0.factors["preprocessing"] == "scale" && $0.rule == .bestValidation },
                     "no validation split: no best-validation rows")
        let raw = try row(t, prep: "raw-noise", budget: 3, rule: .final)
        XCTAssertEqual(raw.verdict, .supported)                                                     // 0.47 vs 0.25
        XCTAssertFalse(raw.paperText)
        // Paired differences: mean 0.22, sample std 0.001 over 3 seeds → half width t(0.975, 2)·0.001/√3.
        let d = try XCTUnwrap(raw.differences.first).diff
        XCTAssertEqual(d.n, 3)
        XCTAssertEqual(d.mean, 0.22, accuracy: 1e-12)
        XCTAssertEqual(d.halfWidth, 4.302652729911275 * 0.001 / 3.0.squareRoot(), accuracy: 1e-9)
        // best-validation: DMN epoch 4 (0.48), ConvNet epoch 2 (0.15): d = 0.33; within E=3 the
        // DMN's best validation is epoch 3 (0.47): d = 0.32.
        XCTAssertEqual(try XCTUnwrap(row(t, prep: "raw-noise", budget: 5, rule: .bestValidation).differences.first).diff.mean, 0.33, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(row(t, prep: "raw-noise", budget: 3, rule: .bestValidation).differences.first).diff.mean, 0.32, accuracy: 1e-12)
        let text = ClaimRobustness.markdown(tables).joined(separator: "\n")
        XCTAssertTrue(text.contains("best-test (optimistic)"), text)
        XCTAssertTrue(text.contains("+22.00 pt"), text)
    }

    /// The top-level claims keep the paper's text protocol: runs of other protocols do not
    /// enter them, even when they would change the verdict.
    func testTopLevelVerdictUsesThePaperTextProtocolOnly() {
        let (runs, history) = fixture()
        var set = ResultSet()
        set.folders = ["mem"]
        set.runs = runs
        set.history = F.histories(history)
        var claim = ReportAnalysis(set).claims.first { $0.id == "cifar10-above" }!
        XCTAssertEqual(claim.verdict, .inconclusive, "no 3-epoch final-epoch scaled runs: no data")
        XCTAssertTrue(claim.summary.contains("no data"), claim.summary)
        set.runs += F.pair(dataset: "cifar10", filters: "4", dmn: F.seeds(0.40, 0.002), convnet: F.seeds(0.45, 0.002), spec: "fig3")
        claim = ReportAnalysis(set).claims.first { $0.id == "cifar10-above" }!
        XCTAssertEqual(claim.verdict, .notSupported)
        XCTAssertEqual(claim.findings.count, 1, "only the paper-text pair: \(claim.findings.map(\.label))")
        XCTAssertFalse(ReportAnalysis(set).robustness.isEmpty)
    }

    /// history.csv is read from each folder as loaded (the report names folders relative to
    /// itself, e.g. "."; reading by that name from another working directory found nothing and
    /// left the robustness section empty), and a run in two folders keeps one history.
    func testHistoryIsLoadedWithTheFolderWhateverTheReportFolder() throws {
        let (runs, history) = fixture()
        let dir = TestFiles.tempDir(self, "robustness-folder")
        let copy = dir.appendingPathComponent("copy")
        for folder in [dir, copy] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let columns = Array(Set(runs.flatMap { F.fields($0).values.keys })).sorted()
            try F.csv(runs, columns: columns).write(to: folder.appendingPathComponent("runs.csv"), atomically: true, encoding: .utf8)
            try F.csv(history, columns: ["run_id", "epoch", "test_acc", "validation_acc"])
                .write(to: folder.appendingPathComponent("history.csv"), atomically: true, encoding: .utf8)
        }
        let set = try ResultSet.load(folders: [dir, copy], relativeTo: dir)
        XCTAssertEqual(set.folders, [".", "copy"])
        XCTAssertEqual(set.history.mapValues { $0.map(\.testAccuracy) }, F.histories(history).mapValues { $0.map(\.testAccuracy) },
                       "each run's history once, from the folder that supplies the run")
        XCTAssertEqual(ClaimRobustness.analyse(runs: set.runs, history: set.history).map(\.claimId), ["cifar10-above"])
    }

    func testCurvesTable() throws {
        let (runs, history) = fixture()
        let t = ParsedTable(ClaimRobustness.curves(runs: runs, history: F.histories(history)))
        XCTAssertEqual(t.header, ["dataset", "series", "series_label", "epoch", "n", "mean", "lo", "hi"])
        XCTAssertEqual(t.rows.count, 2 * 5)
        let r = try XCTUnwrap(t.rows.first { $0["series_label"].contains("raw-noise") && $0["epoch"] == "3" })
        XCTAssertEqual(r["dataset"], "CIFAR-10")
        XCTAssertEqual(r["n"], "3")
        XCTAssertEqual(r.number("mean"), 22, accuracy: 1e-9)
        XCTAssertEqual(r.number("hi") - r.number("mean"), 100 * 4.302652729911275 * 0.001 / 3.0.squareRoot(), accuracy: 1e-4)
        XCTAssertTrue(ClaimRobustness.curves(runs: runs, history: [:]).rows.isEmpty)
    }

    /// robustness.gp draws the table (skipped without gnuplot).
    func testGnuplotScriptDrawsTheTable() throws {
        guard let gnuplot = PlotScriptTests.gnuplot else { throw XCTSkip("gnuplot is not installed") }
        let dir = TestFiles.tempDir(self, "robustness-plot")
        let (runs, history) = fixture()
        try AtomicFile.write(ClaimRobustness.curves(runs: runs, history: F.histories(history)).text, to: dir.appendingPathComponent("robustness_curves.csv"))
        let p = Process()
        p.executableURL = gnuplot
        p.arguments = ["-c", PlotScriptTests.scriptDir.appendingPathComponent("robustness.gp").path, dir.path, dir.path]
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let png = try Data(contentsOf: dir.appendingPathComponent("robustness.png"))
        XCTAssertEqual(Array(png.prefix(8)), PlotScriptTests.pngSignature)
        XCTAssertGreaterThan(png.count, 1000)
        let svg = try String(contentsOf: dir.appendingPathComponent("robustness.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"))
    }

    /// `training.init` (issue 23 item 4) is a factor: a DMN (whose run resets the initialiser
    /// to the default) pairs with the ConvNet of each initialiser, and the table has a column
    /// for it. He's ConvNet starts slowly (0.25 at epoch 3), Glorot's does not (0.50).
    func testInitialiserIsAFactor() throws {
        var runs: [RunRow] = [], history: [ReportRow] = []
        for seed in 1...3 {
            for (model, initName, curve, jitter) in [("dmn", "he", Self.dmnCurve, 0.002), ("convnet", "he", Self.convRaw, 0.001),
                                                     ("convnet", "glorot-uniform", Self.convScale, 0.001)] {
                let off = jitter * Double(seed - 2)
                let r = F.run(spec: "a", dataset: "cifar10", model: model, filters: "4", seed: seed, acc: curve.last! + off,
                              params: ["epochs": "5", "init": initName])
                runs.append(r)
                for (e, a) in curve.enumerated() {
                    history.append(ReportRow(["run_id": r.runId, "epoch": String(e + 1), "test_acc": CSVTable.number(a + off),
                                              "validation_acc": "nan"]))
                }
            }
        }
        let configs = Analysis.fig3Configs(Analysis.groups(runs))
        XCTAssertEqual(configs.count, 2)
        XCTAssertTrue(configs.allSatisfy { $0.dmn != nil && $0.convnet != nil && $0.baseline == nil })
        XCTAssertEqual(Set(configs.map(\.label)), ["4 [init=he]", "4 [init=glorot-uniform]"])
        let tables = ClaimRobustness.analyse(runs: runs, history: F.histories(history))
        let t = try XCTUnwrap(tables.first { $0.claimId == "cifar10-above" })
        XCTAssertEqual(t.factorColumns, ["init"])
        func verdict(_ initName: String) throws -> Verdict {
            try XCTUnwrap(t.rows.first { $0.factors["init"] == initName && $0.budget == 3 && $0.rule == .final }).verdict
        }
        XCTAssertEqual(try verdict("he"), .supported)               // 0.47 vs 0.25
        XCTAssertEqual(try verdict("glorot-uniform"), .notSupported) // 0.47 vs 0.50
        let text = ClaimRobustness.markdown(tables).joined(separator: "\n")
        XCTAssertTrue(text.contains("| spec | init | rule |"), text)
        // The plot table gives each initialiser its own series.
        let curves = ClaimRobustness.curves(runs: runs, history: F.histories(history))
        XCTAssertEqual(Set(curves.rows.map { $0[2] }), ["init=he", "init=glorot-uniform"])
    }
}
