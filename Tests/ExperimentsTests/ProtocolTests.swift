import Foundation
import XCTest
import Models
@testable import Experiments
@testable import Report

/// Selection rules, the new spec checks, and the ids of committed results (issue #12).
final class ProtocolTests: XCTestCase {
    func stats(_ e: Int, test: Double, validation: Double?) -> EpochStats {
        EpochStats(epoch: e, loss: 1, trainAccuracy: 0.5, testAccuracy: test, seconds: 0, validationAccuracy: validation)
    }

    /// A hand-made history where the three rules pick three different epochs.
    func testSelectionRulesPickTheRightEpoch() {
        let h = [stats(1, test: 0.50, validation: 0.40),
                 stats(2, test: 0.70, validation: 0.55),
                 stats(3, test: 0.65, validation: 0.60),   // best validation (first of the tie)
                 stats(4, test: 0.60, validation: 0.60),
                 stats(5, test: 0.62, validation: 0.58)]
        XCTAssertEqual(SelectionRule.final.select(h)?.epoch, 5)
        XCTAssertEqual(SelectionRule.bestValidation.select(h)?.epoch, 3)
        XCTAssertEqual(SelectionRule.bestValidation.select(h)?.testAccuracy, 0.65)
        XCTAssertEqual(SelectionRule.bestTest.select(h)?.epoch, 2)
        // Budgets: only the first epochs count.
        XCTAssertEqual(SelectionRule.final.select(h, budget: 1)?.epoch, 1)
        XCTAssertEqual(SelectionRule.bestValidation.select(h, budget: 2)?.epoch, 2)
        XCTAssertEqual(SelectionRule.final.select(h, budget: 9)?.epoch, 5)
        // No validation measured: best-validation has nothing to choose from.
        XCTAssertNil(SelectionRule.bestValidation.select(h.map { stats($0.epoch, test: $0.testAccuracy, validation: nil) }))
        XCTAssertNil(SelectionRule.final.select([]))
        // NaNs are skipped.
        XCTAssertEqual(SelectionRule.bestTest.chosenIndex(validation: [.nan, .nan], test: [.nan, 0.3]), 1)
    }

    /// Run files written before validation accuracy existed still decode; nil is not written.
    func testEpochStatsWithoutValidationDecodes() throws {
        let old = #"{"epoch":1,"loss":0.5,"trainAccuracy":0.8,"testAccuracy":0.7,"seconds":2}"#
        let s = try JSONDecoder().decode(EpochStats.self, from: Data(old.utf8))
        XCTAssertNil(s.validationAccuracy)
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(s), as: UTF8.self).contains("validation"))
        let new = try JSONEncoder().encode(stats(1, test: 0.7, validation: 0.6))
        XCTAssertEqual(try JSONDecoder().decode(EpochStats.self, from: new).validationAccuracy, 0.6)
    }

    func load(_ json: String) throws -> ExperimentSpec { try SpecLoader.load(data: Data(json.utf8), file: "p.json") }

    func testBestValidationNeedsAValidationSplit() throws {
        XCTAssertThrowsError(try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "data": {"selection": "best-validation"}}"#)) { e in
            XCTAssertTrue(String(describing: e).contains("data.selection"), String(describing: e))
            XCTAssertTrue(String(describing: e).contains("data.validation"), String(describing: e))
        }
        XCTAssertThrowsError(try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "data": {"selection": "best-validation", "validation": [0, 0.1]}}"#))
        let ok = try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "data": {"selection": ["final", "best-validation"], "validation": 0.1}}"#)
        XCTAssertEqual(ok.plannedRuns().count, 2)
        XCTAssertThrowsError(try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "data": {"validation": 0.6}}"#))
        XCTAssertThrowsError(try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "data": {"preprocessing": "raw-nois"}}"#)) { e in
            XCTAssertTrue(String(describing: e).contains("raw-noise"), String(describing: e))
        }
        XCTAssertThrowsError(try load(#"{"name": "p", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"patchStride": 2}}"#))
    }

    /// The new options at their defaults keep every id: each committed spec's plan is exactly
    /// the run files committed for it, and each run file's own parameters hash to its name.
    func testCommittedResultsKeepTheirIds() throws {
        let root = TestFiles.packageRoot
        let fm = FileManager.default
        var checked = 0
        for name in ["quick", "fig3", "fig3-fashion", "ablations", "fig3-tpc", "fig3-tv", "fig3-tfrac", "dmn-thresholds", "fig1", "fig2", "authors", "protocols"] {
            let spec = root.appendingPathComponent("experiments/\(name).json")
            let runs = root.appendingPathComponent("results/\(name)/runs")
            guard fm.fileExists(atPath: spec.path), fm.fileExists(atPath: runs.path) else { continue }
            let planned = Set(try SpecLoader.load(path: spec.path).plannedRuns().map(\.id))
            let files = try fm.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".json") }
            XCTAssertEqual(Set(files.map { String($0.dropLast(5)) }), planned, "results/\(name)")
            for f in files.prefix(5) {
                let r = try RunRecord.read(runs.appendingPathComponent(f))
                XCTAssertEqual(RunIdentity.id(of: r.run) + ".json", f)
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5, "committed result folders not found under \(root.path)")
    }
}
