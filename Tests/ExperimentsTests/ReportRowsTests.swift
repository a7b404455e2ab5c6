import Foundation
import XCTest
@testable import Experiments
import Models
@testable import Report

/// runs.csv and history.csv read once into typed rows (`RunRow`, `EpochStats`): parameter cells
/// by their definitions, and a missing or malformed field named by file, row and column.
final class ReportRowsTests: XCTestCase {
    typealias F = ReportFixtures

    /// Every parameter's cell as runs.csv writes it reads back as the same value: its default,
    /// and each sweep value through the spec's own spelling.
    func testParameterCellsReadBackWhatTheTableWrites() throws {
        let run = ResolvedRun()
        for p in Parameters.all {
            let v = p.get(run)
            XCTAssertEqual(p.value(cell: v.description), v, p.column)
            XCTAssertEqual(p.value(cell: nil), v, "\(p.column): a column the table lacks holds the default")
        }
        let tpc = try XCTUnwrap(Parameters.definition(column: "tpc"))
        XCTAssertEqual(tpc.value(cell: "0.9"), .real(0.9))
        let validation = try XCTUnwrap(Parameters.definition(column: "validation"))
        XCTAssertEqual(validation.value(cell: "0.0"), validation.value(cell: "0"), "numbers compare as numbers")
        let tv = try XCTUnwrap(Parameters.definition(column: "tv"))
        XCTAssertEqual(tv.value(cell: "0.98-0.99"), .reals([0.98, 0.99]))
        XCTAssertEqual(tv.value(cell: "1e-05-0.99"), .reals([1e-05, 0.99]), "an exponent's minus is not a separator")
        XCTAssertEqual(ParamValue.reals([1e-05, 0.99]).description, "1e-05-0.99")
        let trainLimit = try XCTUnwrap(Parameters.definition(column: "train_limit"))
        XCTAssertEqual(trainLimit.value(cell: "nan"), ParamValue.none)
        XCTAssertEqual(trainLimit.value(cell: "600"), .integer(600))
        // What a column cannot hold.
        XCTAssertNil(tpc.value(cell: "nan"))
        XCTAssertNil(tpc.value(cell: ""))
        XCTAssertNil(tv.value(cell: "0.98-"))
        XCTAssertNil(trainLimit.value(cell: "6.5"))
        XCTAssertNil(try XCTUnwrap(Parameters.definition(column: "centre")).value(cell: "maybe"))
        XCTAssertNil(try XCTUnwrap(Parameters.definition(column: "similarity")).value(cell: "euclid"))
    }

    func testRunRowFields() throws {
        let r = F.run(dataset: "cifar10", model: "convnet", filters: "4-15", seed: 12, acc: 0.5, params: ["validation": "0.1"],
                      build: 0, sgd: 40)
        XCTAssertEqual(r.kind, .classify)
        XCTAssertEqual(r.dataset, .cifar10)
        XCTAssertEqual(r.model, .convnet)
        XCTAssertEqual(r.filters, "4-15")
        XCTAssertEqual(r.seed, 12)
        XCTAssertEqual(r.status, .ok)
        XCTAssertEqual(r.testAccuracy, 0.5)
        XCTAssertEqual(r.sgdSeconds, 40)
        XCTAssertEqual(r.setting("validation"), .real(0.1))
        XCTAssertEqual(r.setting("activation"), .text("relu"), "absent from the fixture: the default")
        XCTAssertEqual(Set(r.settings.keys), Set(Parameters.all.map(\.column)), "every parameter column, by construction")
        let failed = F.run(dataset: "mnist", model: "dmn", filters: "4", seed: 1, acc: .nan, status: "infeasible")
        XCTAssertEqual(failed.status, .infeasible)
        XCTAssertTrue(failed.testAccuracy.isNaN)
    }

    /// One bad field: that row is left out, and the problem names the column and the cell.
    func testRunRowProblemsNameTheColumn() {
        let good = F.fields(F.run(dataset: "mnist", model: "dmn", filters: "4", seed: 1, acc: 0.9)).values
        func problem(_ column: String, _ value: String?) -> RowProblem? {
            var d = good
            d[column] = value
            do { _ = try RunRow(ReportRow(d)); return nil } catch { return error }
        }
        XCTAssertEqual(problem("test_acc", "abc")?.column, "test_acc")
        XCTAssertEqual(problem("test_acc", "")?.value, "")
        XCTAssertEqual(problem("status", "done")?.expected, "one of ok, failed, infeasible")
        XCTAssertEqual(problem("kind", "regress")?.column, "kind")
        XCTAssertEqual(problem("model", "resnet")?.column, "model")
        XCTAssertEqual(problem("seed", "-1")?.column, "seed")
        XCTAssertEqual(problem("filters", "4+15")?.column, "filters")
        XCTAssertEqual(problem("run_id", "")?.column, "run_id")
        XCTAssertNil(problem("reason", "anything, even \"quoted\""))
        let tpc = problem("tpc", "high")
        XCTAssertEqual(tpc?.column, "tpc")
        XCTAssertEqual(tpc?.expected, "a number in [0, 1]", "the parameter's own expectation")
        XCTAssertNil(problem("tpc", nil), "a parameter column the table lacks holds the default")
        XCTAssertEqual(problem("sgd_s", nil)?.value, nil, "a measured column is required")
        XCTAssertEqual(problem("sgd_s", nil)?.column, "sgd_s")
    }

    /// A folder with a damaged runs.csv (no run files to rebuild it from): the damaged row is
    /// left out of every table and named in the report's notes with its file, row and column;
    /// the others are reported.
    func testDamagedRowIsLeftOutAndNamed() throws {
        let dir = TestFiles.tempDir(self, "rows-damaged")
        F.writeFolder(dir)
        let whole = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(whole.notes.filter { $0.contains("row") }, [], "the fixture's rows all parse")
        let url = dir.appendingPathComponent("runs.csv")
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        let header = lines[0].components(separatedBy: ",")
        let column = try XCTUnwrap(header.firstIndex(of: "test_acc"))
        var cells = lines[3].components(separatedBy: ",")
        XCTAssertEqual(cells.count, header.count, "row 3 has no quoted comma")
        cells[column] = "0.9x"
        lines[3] = cells.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)

        let set = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(set.runs.count, whole.runs.count - 1)
        XCTAssertFalse(set.runs.contains { $0.runId == cells[0] })
        XCTAssertTrue(set.notes.contains("./runs.csv, row 3 after the header: column test_acc: \"0.9x\" is not a number (nan and inf allowed); row left out"),
                      set.notes.joined(separator: "\n"))
        let text = ReportWriter.markdown(ReportAnalysis(set), generated: "x")
        XCTAssertTrue(text.contains("row 3 after the header: column test_acc"), "the report names it")

        // A column missing from the header leaves every row out, named once.
        lines[0] = lines[0].replacingOccurrences(of: ",status,", with: ",state,")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let noStatus = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(noStatus.runs.count, 0)
        XCTAssertTrue(noStatus.notes.contains("./runs.csv: no column status; its \(whole.runs.count) rows left out"),
                      noStatus.notes.joined(separator: "\n"))
    }

    func testHistoryRows() throws {
        let table = ParsedTable(csv: """
        run_id,epoch,loss,train_acc,test_acc,seconds,validation_acc
        a,2,0.5,0.8,0.75,1.5,nan
        a,1,0.9,0.6,0.5,1.25,0.4
        b,x,0.9,0.6,0.5,1.25,nan
        b,1,0.9,0.6,,1.25,nan
        c,1,0.9,0.6,0.5,1.25,0.25

        """)
        let (h, problems) = EpochStats.histories(of: table, file: "f/history.csv")
        XCTAssertEqual(h.keys.sorted(), ["a", "c"])
        XCTAssertEqual(h["a"]?.map(\.epoch), [1, 2], "in epoch order")
        XCTAssertEqual(h["a"]?.first, EpochStats(epoch: 1, loss: 0.9, trainAccuracy: 0.6, testAccuracy: 0.5, seconds: 1.25,
                                                 validationAccuracy: 0.4))
        XCTAssertNil(h["a"]?.last?.validationAccuracy, "nan: no validation split, as in the run file")
        XCTAssertEqual(problems, [
            "f/history.csv, row 3 after the header: column epoch: \"x\" is not an integer >= 1; row left out",
            "f/history.csv, row 4 after the header: column test_acc: \"\" is not a number (nan and inf allowed); row left out",
        ])
        // Older tables without loss, train accuracy, seconds or validation: NaN and none.
        let old = EpochStats.histories(of: ParsedTable(csv: "run_id,epoch,test_acc\na,1,0.5\n"), file: "old")
        XCTAssertEqual(old.problems, [])
        let e = try XCTUnwrap(old.histories["a"]?.first)
        XCTAssertTrue(e.loss.isNaN && e.trainAccuracy.isNaN && e.seconds.isNaN)
        XCTAssertNil(e.validationAccuracy)
        XCTAssertEqual(EpochStats.histories(of: ParsedTable(csv: "run_id,test_acc\na,0.5\n"), file: "g").problems,
                       ["g: no column epoch; its 1 rows left out"])
    }

    /// What runs record is what the report reads back: runs through the real runner and
    /// table writer, then `ResultSet.load` from the CSVs (one type, `EpochStats`, both ways).
    func testTablesReadBackWhatRunsRecorded() throws {
        let dir = TestFiles.tempDir(self, "rows-roundtrip")
        let s = try SpecLoader.load(data: Data(FaultInjectionTests.specJSON.utf8), file: "faults.json")
        let runs = Array(s.plannedRuns().prefix(4))
        let o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: s.name, hash: s.hash, file: s.file))
        _ = try ExperimentRunner(executor: FakeExecutor(), folder: ResultFolder(dir), options: o, progress: SilentProgress()).run(runs)
        let records = ResultTables(folder: ResultFolder(dir)).records().records
        XCTAssertEqual(records.count, runs.count)
        let set = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertFalse(set.notes.contains { $0.contains("rebuilt") || $0.contains("row") }, "read from the CSVs: \(set.notes)")
        for r in records {
            let row = try XCTUnwrap(set.runs.first { $0.runId == r.runId })
            let outcome = try XCTUnwrap(r.outcome)
            XCTAssertEqual(row.seed, r.run.seed)
            XCTAssertEqual(row.kind, r.run.kind)
            XCTAssertEqual(row.dataset, r.run.dataset)
            XCTAssertEqual(row.model, r.run.model)
            XCTAssertEqual(row.testAccuracy, outcome.testAccuracy)
            XCTAssertEqual(row.buildSeconds, outcome.buildSeconds)
            for p in Parameters.all { XCTAssertEqual(row.setting(p.column), p.get(r.run), p.column) }
            XCTAssertEqual(set.history[r.runId], outcome.history, "history.csv gives back the run file's epochs")
        }
    }
}
