import Foundation
import Models
import XCTest
@testable import Experiments

/// dmn.tfrac as a number or "auto": the spec accepts both (and names the key and the choices
/// otherwise), a numeric T_frac is written and hashed exactly as when it was a plain number,
/// "auto" survives the run file, and the chosen fractions reach runs.csv.
final class TfracAutoTests: XCTestCase {
    func load(_ json: String, file: String = "tfrac.json") throws -> ExperimentSpec {
        try SpecLoader.load(data: Data(json.utf8), file: file)
    }

    func testSpecAcceptsNumbersAndAuto() throws {
        let s = try load(#"{"name": "t", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tfrac": ["auto", 0.3, 1], "tfracTolerance": 0.02}}"#)
        let runs = s.plannedRuns()
        XCTAssertEqual(Set(runs.map(\.run.dmn.tfrac)), [.auto, .fraction(0.3), .fraction(1)])
        // The tolerance only matters to "auto"; a numeric T_frac's runs keep the default (and their ids).
        XCTAssertEqual(Set(runs.filter { $0.run.dmn.tfrac == .auto }.map(\.run.dmn.tfracTolerance)), [0.02])
        XCTAssertEqual(Set(runs.filter { $0.run.dmn.tfrac != .auto }.map(\.run.dmn.tfracTolerance)), [DMNOptions().tfracTolerance])
        XCTAssertEqual(Set(runs.map(\.id)).count, 3)
    }

    func testSpecRefusesOtherWordsAndRangesNamingTheChoices() {
        for (value, found) in [(#""automatic""#, #"found "automatic""#), ("1.5", "found 1.5"), ("0", "found 0"), ("true", "found true")] {
            XCTAssertThrowsError(try load(#"{"name": "t", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tfrac": \#(value)}}"#)) { e in
                let text = String(describing: e)
                for fragment in ["tfrac.json", "dmn.tfrac", found, "(0, 1]", #""auto""#] {
                    XCTAssertTrue(text.contains(fragment), "\(value): message lacks \(fragment):\n\(text)")
                }
            }
        }
        XCTAssertThrowsError(try load(#"{"name": "t", "datasets": ["mnist"], "models": ["dmn"], "dmn": {"tfracTolerance": 0}}"#)) { e in
            XCTAssertTrue(String(describing: e).contains("dmn.tfracTolerance"), String(describing: e))
        }
    }

    /// A numeric T_frac is the `.real` value it always was: the committed run files' ids are
    /// recomputed from their runs as written, and their tfrac reads as that number.
    func testCommittedNumericRunIdsStayValid() throws {
        let folder = TestFiles.packageRoot.appendingPathComponent("results/fig3-tfrac/runs")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        XCTAssertGreaterThanOrEqual(files.count, 21)
        var fractions: Set<TrainingFraction> = []
        for url in files {
            let record = try RunRecord.decode(Data(contentsOf: url))
            XCTAssertEqual(RunIdentity.id(of: record.run), record.runId, url.lastPathComponent)
            if record.run.model == .dmn { fractions.insert(record.run.dmn.tfrac) }
        }
        XCTAssertEqual(fractions, [0.1, 0.2, 0.3, 0.5, 0.7, 1.0])
    }

    func testNumericTfracEncodesAsANumberAndAutoAsAWord() throws {
        var r = ResolvedRun()
        r.model = .dmn
        r.dmn.tfrac = 0.7
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let numeric = String(decoding: try encoder.encode(r), as: UTF8.self)
        XCTAssertTrue(numeric.contains(#""tfrac":0.7"#), numeric)
        XCTAssertTrue(RunIdentity.canonicalJSON(of: r).contains(#""tfrac":0.7"#), RunIdentity.canonicalJSON(of: r))
        r.dmn.tfrac = .auto
        let auto = try encoder.encode(r)
        XCTAssertTrue(String(decoding: auto, as: UTF8.self).contains(#""tfrac":"auto""#))
        XCTAssertEqual(try JSONDecoder().decode(ResolvedRun.self, from: auto), r)
        let bad = String(decoding: auto, as: UTF8.self).replacingOccurrences(of: #""tfrac":"auto""#, with: #""tfrac":"half""#)
        XCTAssertThrowsError(try JSONDecoder().decode(ResolvedRun.self, from: Data(bad.utf8))) { e in
            XCTAssertTrue(String(describing: e).contains("dmn.tfrac"), String(describing: e))
        }
        // The tolerance enters the id only away from its default.
        var tolerant = r
        tolerant.dmn.tfracTolerance = 0.02
        XCTAssertNotEqual(RunIdentity.id(of: tolerant), RunIdentity.id(of: r))
        XCTAssertFalse(RunIdentity.canonicalJSON(of: r).contains("tfracTolerance"))
    }

    /// runs.csv: tfrac is "auto" or the number; tfrac_chosen holds the per-layer choices of
    /// an automatic run and is empty otherwise (and for run files written before the option).
    func testRunsTableRecordsTheChosenFractions() throws {
        var run = ResolvedRun()
        run.model = .dmn; run.filters = [4, 15]; run.dmn.tfrac = .auto
        var outcome = RunOutcome()
        outcome.tfracChosen = [0.15, 0.4]
        let columns = ResultTables.runColumns
        func row(_ run: ResolvedRun, _ outcome: RunOutcome) -> [String: String] {
            let record = RunRecord(runId: RunIdentity.id(of: run), status: .ok, reason: nil,
                                   spec: SpecReference(name: "t", hash: "h", file: "t.json"), run: run, outcome: outcome,
                                   timings: RunTimings(started: "", finished: "", totalSeconds: 1), executor: "test")
            return Dictionary(uniqueKeysWithValues: zip(columns, ResultTables.runRow(record)))
        }
        let auto = row(run, outcome)
        XCTAssertEqual(auto["tfrac"], "auto")
        XCTAssertEqual(auto["tfrac_chosen"], "0.15-0.4")
        run.dmn.tfrac = 0.3
        let numeric = row(run, RunOutcome())
        XCTAssertEqual(numeric["tfrac"], "0.3")
        XCTAssertEqual(numeric["tfrac_chosen"], "")
        // An outcome written before the option decodes without the field.
        let old = try RunRecord.encoder.encode(RunOutcome())
        XCTAssertFalse(String(decoding: old, as: UTF8.self).contains("tfracChosen"))
        XCTAssertNil(try RunRecord.decoder.decode(RunOutcome.self, from: old).tfracChosen)
    }
}
