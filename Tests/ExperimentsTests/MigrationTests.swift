import Foundation
import XCTest
@testable import Experiments

final class MigrationTests: XCTestCase {
    func record(_ run: ResolvedRun, id: String) -> RunRecord {
        var o = RunOutcome()
        o.testAccuracy = 0.8566666666666667
        o.trainAccuracy = 0.9
        o.history = [.init(epoch: 1, loss: 0.5, trainAccuracy: 0.8, testAccuracy: 0.8566666666666667, seconds: 1.25)]
        return RunRecord(runId: id, status: .ok, reason: nil, spec: SpecReference(name: "m", hash: "abc", file: "m.json"),
                         run: run, outcome: o, timings: RunTimings(started: "s", finished: "f", totalSeconds: 2),
                         executor: "test")
    }

    /// The layout of format 1: `data` and `convergence` parameters at the top of `run`,
    /// unset limits absent, and an id over every field (here any other 12 hex digits).
    func format1(_ r: RunRecord, oldId: String) throws -> Data {
        var o = try JSONSerialization.jsonObject(with: try r.encoded()) as! [String: Any]
        var run = o["run"] as! [String: Any]
        for section in ["data", "convergence"] {
            for (k, v) in run.removeValue(forKey: section) as! [String: Any] where !(v is NSNull) { run[k] = v }
        }
        o["run"] = run; o["format"] = 1; o["runId"] = oldId
        return try JSONSerialization.data(withJSONObject: o)
    }

    func testFormat1FolderIsRenamedAndRewrittenWithoutChangingOutcomes() throws {
        let dir = TestFiles.tempDir(self, "migrate")
        let folder = ResultFolder(dir)
        try folder.create()
        var a = ResolvedRun(); a.data.trainLimit = 1000; a.convergence.lambdaEvery = 50
        var b = ResolvedRun(); b.model = .convnet; b.seed = 2
        let originals = [record(a, id: RunIdentity.id(of: a)), record(b, id: RunIdentity.id(of: b))]
        for (r, old) in zip(originals, ["0123456789ab", "ba9876543210"]) {
            try format1(r, oldId: old).write(to: folder.runFile(old))
            // The current reader refuses the old layout rather than read defaults into it.
            XCTAssertThrowsError(try RunRecord.read(folder.runFile(old))) { e in
                XCTAssertTrue(String(describing: e).contains("repro migrate"), String(describing: e))
            }
        }
        let summary = try RunFileMigration.migrate(folder)
        XCTAssertEqual(summary, .init(renamed: 2, rewritten: 0, current: 0))
        XCTAssertEqual(folder.runIds(), originals.map(\.runId).sorted())
        for r in originals { XCTAssertEqual(try RunRecord.read(folder.runFile(r.runId)), r) }
        // A second pass finds everything current and changes nothing.
        XCTAssertEqual(try RunFileMigration.migrate(folder), .init(renamed: 0, rewritten: 0, current: 2))
        let runs = try String(contentsOf: dir.appendingPathComponent("runs.csv"), encoding: .utf8)
        XCTAssertTrue(runs.contains(originals[0].runId) && runs.contains("0.8566666666666667"), runs)
    }
}
