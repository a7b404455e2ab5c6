import Foundation
import XCTest
@testable import Experiments
#if canImport(Glibc)
import Glibc
#endif

/// Tests through the `repro` binary with the real executor (`ModelRunExecutor`). The data is
/// Fashion-MNIST from the Debian package `dataset-fashion-mnist`; the spec is small (500
/// training and 200 test images, one epoch, a high learning rate so that the models still
/// learn), so a run takes tens of milliseconds in a release build; loading the data (about
/// 0.7 s per process) dominates.
final class EndToEndTests: XCTestCase {
    /// A spec over Fashion-MNIST, small enough for tests.
    static func spec(name: String = "e2e", models: [String] = ["dmn", "convnet"], filters: [String] = ["4", "2,3"],
                     seeds: [Int] = [1, 2, 3], dmn: String = #"{"tpc": 0.9, "tv": [0.98, 0.99], "tfrac": 0.3, "filterCount": "fixed"}"#) -> String {
        func list(_ xs: [String]) -> String { "[" + xs.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return """
        {
          "name": "\(name)",
          "description": "small Fashion-MNIST grid for the end-to-end tests",
          "datasets": ["fashion-mnist"],
          "models": \(list(models)),
          "filters": \(list(filters)),
          "seeds": [\(seeds.map(String.init).joined(separator: ", "))],
          "dmn": \(dmn),
          "training": {"optimizer": "adam", "learningRate": 0.01, "batchSize": 32, "epochs": 1},
          "data": {"trainLimit": 500, "testLimit": 200}
        }
        """
    }
    static let spec = spec()
    static let runCount = 12

    /// One uninterrupted, unsharded reference run, shared by the tests of this class.
    nonisolated(unsafe) static var referenceDir: URL?
    static let referenceLock = NSLock()

    override func setUpWithError() throws {
        try FashionMNIST.require()
    }

    func reference() throws -> URL {
        Self.referenceLock.lock(); defer { Self.referenceLock.unlock() }
        if let r = Self.referenceDir { return r }
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("repro-e2e-ref-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let r = try ReproBinary.run(["run", "e2e.json", "--out", "out", "--jobs", "2", "--quiet"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("out")
        XCTAssertEqual(Tables.assertParseable(out).count, Self.runCount)
        // Real outcomes: every run ok, accuracies at least twice chance (0.1), the filters asked for.
        let status = Tables.column("status", of: out), acc = Tables.column("test_acc", of: out)
        let filters = Tables.column("filters", of: out), counts = Tables.column("filter_counts", of: out)
        XCTAssertEqual(status.count, Self.runCount)
        for (id, s) in status {
            XCTAssertEqual(s, "ok", id)
            XCTAssertGreaterThan(Double(acc[id] ?? "") ?? 0, 0.2, "test_acc of \(id)")
            XCTAssertEqual(counts[id], filters[id], "filter_counts of \(id)")
        }
        Self.referenceDir = out
        return out
    }

    override class func tearDown() {
        if let r = referenceDir { try? FileManager.default.removeItem(at: r.deletingLastPathComponent()) }
        super.tearDown()
    }

    func runFileCount(_ out: URL) -> Int { ResultFolder(out).runIds().count }

    /// Kills `repro run` with SIGKILL at several points of the sweep, checks after each kill
    /// that every file parses and no finished run was lost or changed, then resumes; the final
    /// tables list every run exactly once and equal an uninterrupted run's apart from timing
    /// columns (same spec, same seeds: identical accuracies, losses and filter counts).
    func testKillNineAndResume() throws {
        let ref = try reference()
        let dir = TestFiles.tempDir(self, "kill")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let out = dir.appendingPathComponent("out")
        let args = ["run", "e2e.json", "--out", "out", "--jobs", "2", "--quiet"]

        // Kill points: while the first process loads the data (no file yet), as soon as the
        // 1st run file appears, a few milliseconds after the 4th (runs in flight, or the table
        // rebuild that follows a file), right at the 7th and at the 10th. The runs take tens of
        // milliseconds, so the polling must be tight and the extra delays short.
        enum Point { case afterSeconds(Double), whenFiles(Int, extra: Double) }
        let points: [Point] = [.afterSeconds(0.05), .whenFiles(1, extra: 0), .whenFiles(4, extra: 0.004),
                               .whenFiles(7, extra: 0), .whenFiles(10, extra: 0.001)]
        var killedAt: [Int] = []            // run files present right after each kill
        var known: [String: String] = [:]   // run id → result signature seen so far
        for point in points {
            let before = runFileCount(out)
            if before >= Self.runCount { break }
            let p = try ReproBinary.start(args, cwd: dir)
            let deadline = Date().addingTimeInterval(600)
            switch point {
            case .afterSeconds(let s):
                Thread.sleep(forTimeInterval: s)
            case .whenFiles(let n, let extra):
                while p.process.isRunning && runFileCount(out) < max(n, before + 1) && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.0005)
                }
                if extra > 0 { Thread.sleep(forTimeInterval: extra) }
            }
            if p.process.isRunning {
                p.killHard()
                killedAt.append(runFileCount(out))
            } else {
                p.process.waitUntilExit()
            }
            // Everything parses, and nothing finished before was lost or changed.
            let ids = Tables.assertParseable(out)
            XCTAssertGreaterThanOrEqual(ids.count, before, "a finished run was lost")
            for id in ids {
                let sig = try ResultFolder(out).record(id)!.resultSignature()
                if let old = known[id] { XCTAssertEqual(old, sig, "run \(id) changed after a kill") }
                known[id] = sig
            }
        }
        print("testKillNineAndResume: run files present after each kill: \(killedAt)")
        // The kills must have landed mid-sweep, at several different points.
        XCTAssertGreaterThanOrEqual(killedAt.count, 4, "the sweep finished before the kills (files after each kill: \(killedAt))")
        XCTAssertGreaterThanOrEqual(Set(killedAt.filter { $0 > 0 && $0 < Self.runCount }).count, 3,
                                    "kills did not land at several points inside the sweep: \(killedAt)")

        let final = try ReproBinary.run(args, cwd: dir)
        XCTAssertEqual(final.status, 0, final.stderr)
        let ids = Tables.assertParseable(out)
        XCTAssertEqual(ids.count, Self.runCount)
        let table = Tables.read(out.appendingPathComponent("runs.csv"))
        XCTAssertEqual(table.count - 1, Self.runCount)
        XCTAssertEqual(Set(table.dropFirst().map { $0[0] }).count, Self.runCount, "a run appears twice")
        Tables.assertSame(ref, out)
        // Resuming a finished folder executes nothing.
        let again = try ReproBinary.run(["run", "e2e.json", "--out", "out"], cwd: dir)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("0 executed"), again.stderr)
        XCTAssertTrue(again.stderr.contains("\(Self.runCount) already done"), again.stderr)
    }

    /// The same spec run twice into two folders gives identical outcomes. The two executions
    /// differ in how the work is spread over threads (one job with two worker threads for the
    /// gradient shards and class groups, against two jobs with one each), which must not change
    /// any result.
    func testSameSpecSameResults() throws {
        let dir = TestFiles.tempDir(self, "determinism")
        TestFiles.write(Self.spec(name: "det", models: ["dmn", "convnet", "baseline", "pca", "hybrid"], seeds: [5]), "det.json", in: dir)
        let a = try ReproBinary.run(["run", "det.json", "--out", "a", "--jobs", "1", "--quiet"], cwd: dir,
                                    env: ["OPENBLAS_NUM_THREADS": "2"])
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try ReproBinary.run(["run", "det.json", "--out", "b", "--jobs", "2", "--quiet"], cwd: dir,
                                    env: ["OPENBLAS_NUM_THREADS": "1"])
        XCTAssertEqual(b.status, 0, b.stderr)
        let da = dir.appendingPathComponent("a"), db = dir.appendingPathComponent("b")
        // dmn, convnet, pca, hybrid × 2 filter configs, and one baseline.
        XCTAssertEqual(Tables.assertParseable(da).count, 9)
        XCTAssertEqual(Tables.assertParseable(db).count, 9)
        for column in ["train_acc", "test_acc", "filter_counts", "relaxed_tv", "status"] {
            let x = Tables.column(column, of: da), y = Tables.column(column, of: db)
            XCTAssertEqual(x.count, 9, column)
            XCTAssertEqual(x, y, "\(column) differs between two executions of the same spec")
        }
        XCTAssertTrue(Tables.column("status", of: da).values.allSatisfy { $0 == "ok" })
        Tables.assertSame(da, db)
    }

    /// GNU parallel runs the shards (separate folders, then merge; and one shared folder);
    /// both equal the unsharded run.
    func testParallelShards() throws {
        guard let parallel = ["/usr/bin/parallel", "/usr/local/bin/parallel"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("GNU parallel is not installed (Debian package `parallel`)")
        }
        let ref = try reference()
        let bin = try ReproBinary.require()
        let dir = TestFiles.tempDir(self, "parallel")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        func sh(_ command: String) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.currentDirectoryURL = dir
            p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
            try! p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        XCTAssertEqual(sh("\(parallel) --will-cite -j 3 '\(bin.path)' run e2e.json --shard {}/3 --out shard-{} --quiet ::: 1 2 3"), 0)
        var total = 0
        for i in 1...3 { total += Tables.assertParseable(dir.appendingPathComponent("shard-\(i)")).count }
        XCTAssertEqual(total, Self.runCount)
        let m = try ReproBinary.run(["merge", "shard-1", "shard-2", "shard-3", "--out", "merged"], cwd: dir)
        XCTAssertEqual(m.status, 0, m.stderr)
        Tables.assertSame(ref, dir.appendingPathComponent("merged"))

        // All shards writing into one folder: the file lock keeps the tables complete.
        XCTAssertEqual(sh("\(parallel) --will-cite -j 3 '\(bin.path)' run e2e.json --shard {}/3 --out shared --quiet ::: 1 2 3"), 0)
        Tables.assertSame(ref, dir.appendingPathComponent("shared"))
    }

    func testDryRunAndPlanWriteNothing() throws {
        let dir = TestFiles.tempDir(self, "dry")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let r = try ReproBinary.run(["run", "e2e.json", "--dry-run"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasSuffix("pending") }.count, Self.runCount)
        XCTAssertTrue(r.stdout.contains("\(Self.runCount) runs: 0 done, \(Self.runCount) to run;"), r.stdout)
        let p = try ReproBinary.run(["plan", "e2e.json", "--shard", "2/3"], cwd: dir)
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(p.stdout.split(separator: "\n").filter { $0.hasSuffix("pending") }.count, Self.runCount / 3)
        XCTAssertTrue(p.stdout.contains("seed=1"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path))
    }

    func testUsageErrors() throws {
        let dir = TestFiles.tempDir(self, "usage")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        for args in [["run", "e2e.json", "--shard", "0/3"], ["run", "e2e.json", "--shard", "4/3"],
                     ["run", "e2e.json", "--shard", "x"], ["run", "e2e.json", "--jobs", "0"],
                     ["merge", "a"], ["sweep", "--param", "speed"]] {
            let r = try ReproBinary.run(args, cwd: dir)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path), "\(args)")
        }
        let bad = try ReproBinary.run(["sweep", "--param", "tpc", "--values", "0.5,7", "--spec", "e2e.json"], cwd: dir)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("dmn.tpc.grid[1]"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("results").path))
        for verb in ["run", "sweep", "validate", "plan", "merge", "version"] {
            let h = try ReproBinary.run([verb, "--help"])
            XCTAssertEqual(h.status, 0, verb)
            XCTAssertTrue(h.stdout.contains("USAGE"), verb)
        }
    }

    func testSweepThroughCLI() throws {
        let dir = TestFiles.tempDir(self, "sweep")
        TestFiles.write(Self.spec(filters: ["4"], seeds: [1, 2]), "e2e.json", in: dir)
        let r = try ReproBinary.run(["sweep", "--param", "tfrac", "--values", "0.2,0.4", "--spec", "e2e.json", "--jobs", "2", "--quiet"],
                                    cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("results/sweep-tfrac")
        // dmn: 2 tfrac × 2 seeds; baseline: 2 seeds.
        XCTAssertEqual(Tables.assertParseable(out).count, 2 * 2 + 2)
        let table = Tables.read(out.appendingPathComponent("runs.csv"))
        let c = table[0].firstIndex(of: "tfrac")!, m = table[0].firstIndex(of: "model")!
        XCTAssertEqual(Set(table.dropFirst().filter { $0[m] == "dmn" }.map { $0[c] }), ["0.2", "0.4"])
        XCTAssertEqual(Set(table.dropFirst().map { $0[m] }), ["dmn", "baseline"])
        XCTAssertTrue(Tables.column("status", of: out).values.allSatisfy { $0 == "ok" })
    }

    /// A configuration the method cannot build: a fixed filter count the data cannot give.
    /// 3×3 single-channel patches have 9 eigenvectors per class, so 10 classes give at most 90
    /// directions (far fewer once T_PC = 0.5 drops the similar ones): 200 filters cannot be
    /// met. The run is recorded as infeasible with its reason (before issue #10: failed, exit
    /// 1), the others are ok, the exit status is 0; neither a rerun nor `--retry-failed`
    /// executes it again, and runs.csv lists every run exactly once throughout.
    func testInfeasibleRunsAreResultsAndExitZero() throws {
        let dir = TestFiles.tempDir(self, "infeasible")
        TestFiles.write(Self.spec(name: "infeasible", models: ["dmn", "baseline"], filters: ["4", "200"], seeds: [1],
                                  dmn: #"{"tpc": 0.5, "filterCount": "fixed"}"#), "infeasible.json", in: dir)
        let out = dir.appendingPathComponent("out")
        let args = ["run", "infeasible.json", "--out", "out"]

        func check(_ label: String) -> (id: String, started: String)? {
            let table = Tables.read(out.appendingPathComponent("runs.csv"))
            guard let h = table.first else { XCTFail("\(label): no runs.csv"); return nil }
            let col = { (n: String) in h.firstIndex(of: n)! }
            let rows = Array(table.dropFirst())
            XCTAssertEqual(rows.count, 3, "\(label): dmn × {4, 200} and one baseline")
            XCTAssertEqual(Set(rows.map { $0[0] }).count, rows.count, "\(label): a run appears twice")
            let infeasible = rows.filter { $0[col("status")] == "infeasible" }
            let ok = rows.filter { $0[col("status")] == "ok" }
            XCTAssertEqual(infeasible.count, 1, "\(label)")
            XCTAssertEqual(ok.count, 2, "\(label)")
            guard let f = infeasible.first else { return nil }
            XCTAssertEqual(f[col("model")], "dmn")
            XCTAssertEqual(f[col("filters")], "200")
            XCTAssertEqual(f[col("test_acc")], "nan")
            XCTAssertTrue(f[col("reason")].contains("cannot be met"), f[col("reason")])
            let rec = ResultFolder(out).record(f[0])
            XCTAssertEqual(rec?.status, .infeasible)
            XCTAssertNil(rec?.outcome)
            return (f[0], rec?.timings.started ?? "")
        }

        let first = try ReproBinary.run(args, cwd: dir)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("infeasible"), first.stderr)
        XCTAssertTrue(first.stderr.contains("3 planned: 3 executed (2 ok, 0 failed, 1 infeasible)"), first.stderr)
        guard let one = check("first run") else { return }
        Tables.assertParseable(out)

        let retry = try ReproBinary.run(args + ["--retry-failed"], cwd: dir)
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertTrue(retry.stderr.contains("0 executed"), retry.stderr)
        XCTAssertTrue(retry.stderr.contains("2 already done, 1 infeasible earlier"), retry.stderr)
        XCTAssertEqual(check("retry")?.started, one.started, "the infeasible run was executed again")
        Tables.assertParseable(out)
    }
}
