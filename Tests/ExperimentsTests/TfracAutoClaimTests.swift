import Foundation
import XCTest
@testable import Experiments
@testable import Report

/// The claim "the automatic T_frac reaches within 0.5 points of T_frac = 1 at a smaller
/// fraction" on hand-made tables: supported, not supported (accuracy; fraction), inconclusive,
/// no data; and its report section and plot table.
final class TfracAutoClaimTests: XCTestCase {
    typealias F = ReportFixtures
    let id = TfracAutoClaim.id

    /// DMN runs of one configuration: three seeds at each numeric T_frac (mean, sd 0.001) and
    /// three automatic runs with the given accuracies and per-layer choices.
    func runs(dataset: String = "mnist", filters: String = "4", sweep: [(String, Double)], auto: [Double],
              chosen: [String], spec: String = "tfrac-auto") -> [RunRow] {
        var rows: [RunRow] = []
        for (v, m) in sweep {
            for (i, a) in F.seeds(m, 0.001).enumerated() {
                rows.append(F.run(spec: spec, dataset: dataset, model: "dmn", filters: filters, seed: i + 1, acc: a, params: ["tfrac": v]))
            }
        }
        for (i, (a, c)) in zip(auto, chosen).enumerated() {
            rows.append(F.run(spec: spec, dataset: dataset, model: "dmn", filters: filters, seed: i + 1, acc: a,
                              params: ["tfrac": "auto", "tfrac_chosen": c]))
        }
        return rows
    }

    func check(_ rows: [RunRow]) -> ClaimCheck {
        var set = ResultSet()
        set.folders = ["mem"]
        set.runs = rows
        return ReportAnalysis(set).claims.first { $0.id == id }!
    }

    func assertVerdict(_ rows: [RunRow], _ expected: Verdict, file: StaticString = #filePath, line: UInt = #line) {
        let c = check(rows)
        XCTAssertEqual(c.verdict, expected, c.summary + "\n" + c.findings.map { "\($0.label): \($0.verdict.rawValue) \($0.text)" }.joined(separator: "\n"),
                       file: file, line: line)
    }

    let sweep: [(String, Double)] = [("0.1", 0.950), ("0.3", 0.968), ("1", 0.970)]

    func testSupportedWhenWithinHalfAPointAtASmallerFraction() {
        // d = 0.966 − 0.970 = −0.4 point; the runs used 0.25, 0.5 and 0.75 (the largest layer's).
        let rows = runs(sweep: sweep, auto: [0.965, 0.966, 0.967], chosen: ["0.25", "0.5", "0.1-0.75"])
        assertVerdict(rows, .supported)
        let c = check(rows)
        XCTAssertTrue(c.findings[0].text.contains("0.25–0.75 (mean 0.500)"), c.findings[0].text)
        XCTAssertTrue(c.findings[0].text.contains("from T_frac 0.3"), "the sweep comparison: \(c.findings[0].text)")
        // Two configurations, both supported.
        assertVerdict(rows + runs(dataset: "cifar10", filters: "4-15", sweep: [("0.7", 0.47), ("1", 0.472)],
                                  auto: [0.468, 0.469, 0.470], chosen: ["0.3-0.35", "0.3-0.3", "0.35-0.4"]), .supported)
    }

    func testNotSupportedWhenClearlyWorse() {
        // d = −2 points, auto's CI (± 0.25 pt) wholly below T_frac 1's.
        assertVerdict(runs(sweep: sweep, auto: [0.949, 0.950, 0.951], chosen: ["0.1", "0.1", "0.1"]), .notSupported)
    }

    func testNotSupportedWhenAutoNeverStopsEarly() {
        // As accurate as T_frac = 1 because it is T_frac = 1 in every layer of every seed.
        assertVerdict(runs(sweep: sweep, auto: [0.969, 0.970, 0.971], chosen: ["1-1", "1-1", "1-1"]), .notSupported)
    }

    func testInconclusive() {
        // d = −0.8 point, CIs overlap (sd 1 point).
        assertVerdict(runs(sweep: sweep, auto: [0.952, 0.962, 0.972], chosen: ["0.2", "0.2", "0.2"]), .inconclusive)
        // Within half a point, but one seed needed every image.
        assertVerdict(runs(sweep: sweep, auto: [0.969, 0.970, 0.971], chosen: ["0.2", "1", "0.2"]), .inconclusive)
        // One automatic seed: no interval.
        assertVerdict(runs(sweep: sweep, auto: [0.970], chosen: ["0.2"]), .inconclusive)
        // No run at T_frac = 1.
        assertVerdict(runs(sweep: [("0.3", 0.968)], auto: [0.969, 0.970, 0.971], chosen: ["0.2", "0.2", "0.2"]), .inconclusive)
        // One configuration supported, another not: not supported overall.
        let good = runs(sweep: sweep, auto: [0.969, 0.970, 0.971], chosen: ["0.2", "0.2", "0.2"])
        let bad = runs(dataset: "cifar10", sweep: [("1", 0.47)], auto: [0.40, 0.401, 0.402], chosen: ["0.1", "0.1", "0.1"])
        assertVerdict(good + bad, .notSupported)
    }

    func testNoDataIsInconclusive() {
        let c = check(F.sweep("tfrac", values: ["0.1", "0.3", "1.0"], means: [0.93, 0.955, 0.958], sd: 0.002))
        XCTAssertEqual(c.verdict, .inconclusive)
        XCTAssertTrue(c.summary.contains("no data") && c.summary.contains("tfrac-auto.json"), c.summary)
    }

    /// "auto" is no point of the T_frac sweep (its value is no number); the numeric runs still are.
    func testAutoIsLeftOutOfTheNumericSweep() {
        var set = ResultSet()
        set.runs = runs(sweep: sweep, auto: [0.969, 0.970, 0.971], chosen: ["0.2", "0.2", "0.2"])
        let a = ReportAnalysis(set)
        let s = a.sweeps.filter { $0.param == "tfrac" }
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s.first?.points.map(\.value), [0.1, 0.3, 1])
    }

    func testReportSectionAndPlotTable() {
        var set = ResultSet()
        set.folders = ["mem"]
        set.runs = runs(sweep: sweep, auto: [0.965, 0.966, 0.967], chosen: ["0.25", "0.5", "0.1-0.75"])
        let text = ReportWriter.markdown(ReportAnalysis(set), generated: "now")
        XCTAssertTrue(text.contains(TfracAutoClaim.heading), text)
        XCTAssertTrue(text.contains("| MNIST | 4 | 0.25–0.75 (mean 0.500) | 96.60 ± "), text)
        let t = TfracAutoClaim.plotTable(ReportAnalysis(set).groups)
        XCTAssertEqual(t.rows.filter { $0[3] == "sweep" }.map { $0[4] }, ["0.1", "0.3", "1.0"])  // CSVTable.number's spelling, as in runs.csv
        let auto = t.rows.filter { $0[3] == "auto" }
        XCTAssertEqual(auto.count, 1)
        XCTAssertEqual(auto.first.map { [$0[4], $0[5], $0[6], $0[7], $0[8]] }, ["0.5", "0.25", "0.75", "3", "96.6"])
    }
}
