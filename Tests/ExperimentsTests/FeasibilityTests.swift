import Foundation
import XCTest
@testable import Experiments

/// `validate` refuses specs that cannot run (issue #10, items 4 and 5), and small spec and
/// result-file details (item 11).
final class FeasibilityTests: XCTestCase {
    func spec(_ body: String) -> String {
        #"{"name": "f", "datasets": ["mnist"], "models": ["dmn"], "#  + body + "}"
    }

    func load(_ json: String) throws -> ExperimentSpec {
        try SpecLoader.load(data: Data(json.utf8), file: "f.json")
    }

    /// Before: a 10⁹-run grid made `validate` allocate without end. Now it is counted from
    /// the axis sizes and refused at once, with the count and the limit named.
    func testHugeGridIsCountedNotExpanded() throws {
        let thousand = (1...1000).map(String.init).joined(separator: ", ")
        let tpcs = (1...1000).map { "0.\(String(format: "%04d", $0 * 9))" }.joined(separator: ", ")
        let tfracs = (1...1000).map { String(Double($0) / 1000) }.joined(separator: ", ")
        let json = spec(#""filters": ["4"], "seeds": [\#(thousand)], "dmn": {"tpc": [\#(tpcs)], "tfrac": [\#(tfracs)]}"#)
        let start = Date()
        XCTAssertThrowsError(try load(json)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("1000000000 runs"), msg)
            XCTAssertTrue(msg.contains("\(Feasibility.maxRuns)"), msg)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the grid was expanded")
        // Just under the limit is fine, and the count is exact for a grid without duplicates.
        let ok = try load(spec(#""filters": ["4"], "seeds": [\#(thousand)]"#))
        XCTAssertEqual(Feasibility.gridSize(ok), 1000)
        XCTAssertEqual(ok.plannedRuns().count, 1000)
    }

    /// Before: five conv layers on a 28×28 image validated and every run failed later. Now
    /// validate names the layer and how many layers the image allows.
    func testArchitectureMustFitTheInput() throws {
        XCTAssertThrowsError(try load(spec(#""filters": ["4,4,4,4,4"]"#))) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("filters"), msg)
            XCTAssertTrue(msg.contains("layer 4 gets a 1×1 input"), msg)
            XCTAssertTrue(msg.contains("at most 3 conv layers"), msg)
        }
        XCTAssertNoThrow(try load(spec(#""filters": ["4,15,20"]"#)))
    }

    /// Before: 50000 filters validated, then the process aborted allocating 4.3 GB, killing
    /// the sweep. Now validate refuses it with the estimate and the bound (1 GB here, so that
    /// the test does not depend on the machine's memory), and the runner records such a run
    /// as failed without executing it.
    func testMemoryBound() throws {
        var run = ResolvedRun()
        run.dataset = .mnist; run.model = .convnet; run.filters = [50000]; run.training.batchSize = 32
        let problem = Feasibility.problem(run, memoryBound: 1_000_000_000)
        XCTAssertNotNil(problem)
        XCTAssertTrue(problem?.contains("needs about") == true, problem ?? "")
        XCTAssertTrue(problem?.contains("50000") == true, problem ?? "")
        run.filters = [64, 128]
        XCTAssertNil(Feasibility.problem(run, memoryBound: 1_000_000_000), "the paper's sizes fit in 1 GB")
        // 50000 filters on 26×26 positions × 500 evaluation images is about 200 GB: refused on
        // any machine with less than 400 GB.
        XCTAssertThrowsError(try load(spec(#""filters": ["50000"]"#))) { e in
            XCTAssertTrue(String(describing: e).contains("needs about"), String(describing: e))
        }

        let dir = TestFiles.tempDir(self, "memory")
        let s = try load(spec(#""filters": ["4"]"#))
        var huge = ResolvedRun(); huge.dataset = .mnist; huge.model = .convnet; huge.filters = [50000]
        let planned = PlannedRun(huge)
        final class Calls: @unchecked Sendable { var n = 0 }
        let calls = Calls()
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: s.name, hash: s.hash, file: s.file))
        o.jobs = 1
        let summary = try ExperimentRunner(executor: FakeExecutor(onExecute: { _ in calls.n += 1 }), folder: ResultFolder(dir),
                                           options: o, progress: SilentProgress()).run([planned])
        XCTAssertEqual(summary.executedFailed, 1)
        XCTAssertEqual(calls.n, 0, "the run was started")
        XCTAssertTrue(ResultFolder(dir).record(planned.id)?.reason?.contains("needs about") == true)
    }

    /// Before: an ok run file had no "reason" key although the format documents `"reason": null`.
    func testOkRunFileHasNullReason() throws {
        var outcome = RunOutcome()
        outcome.testAccuracy = 0.5; outcome.trainAccuracy = 0.5   // NaN would not compare equal after the round trip
        let r = RunRecord(runId: "x", status: .ok, reason: nil, spec: SpecReference(name: "n", hash: "h", file: "f"),
                          run: ResolvedRun(), outcome: outcome, timings: RunTimings(started: "", finished: "", totalSeconds: 0),
                          executor: "e")
        let object = try JSONSerialization.jsonObject(with: r.encoded()) as? [String: Any]
        XCTAssertTrue(object?.keys.contains("reason") == true, "no reason key")
        XCTAssertTrue(object?["reason"] is NSNull)
        XCTAssertEqual(try RunRecord.decoder.decode(RunRecord.self, from: r.encoded()), r)
    }

    /// Before: a newline in a spec's name was printed raw, breaking the error over two lines.
    func testControlCharactersInErrorsAreEscaped() {
        XCTAssertThrowsError(try load(#"{"name": "a\nb", "datasets": ["mnist"], "models": ["dmn"]}"#)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains(#""a\nb""#), msg)
            XCTAssertEqual(msg.split(separator: "\n").count, 2, "one line per error plus the count: \(msg)")
        }
    }

    /// Before: `--values -0.1` was a usage error (taken for a flag) and `0x1p-1` was accepted.
    func testSweepValues() throws {
        XCTAssertTrue(Sweep.isDecimal("-0.1"))
        XCTAssertTrue(Sweep.isDecimal("1e-3"))
        XCTAssertTrue(Sweep.isDecimal(".5"))
        XCTAssertFalse(Sweep.isDecimal("0x1p-1"))
        XCTAssertFalse(Sweep.isDecimal("nan"))
        XCTAssertFalse(Sweep.isDecimal("inf"))
        let dir = TestFiles.tempDir(self, "sweep")
        let hex = try ReproBinary.run(["sweep", "--param", "tpc", "--values", "0x1p-1", "--dry-run"], cwd: TestFiles.packageRoot)
        XCTAssertEqual(hex.status, 2, hex.stderr)
        XCTAssertTrue(hex.stderr.contains("0x1p-1"), hex.stderr)
        let negative = try ReproBinary.run(["sweep", "--param", "tpc", "--values", "-0.1", "--dry-run", "--out", dir.path],
                                           cwd: TestFiles.packageRoot)
        XCTAssertNotEqual(negative.status, 64, "-0.1 taken as a missing value: \(negative.stderr)")
        XCTAssertTrue(negative.stderr.contains("-0.1"), negative.stderr)
    }
}
