import Foundation
import XCTest
@testable import Experiments
#if canImport(Glibc)
import Glibc
#endif

/// Tests through the `repro` binary. They work with whichever executor the binary uses (the
/// development one now, ModelRunExecutor later): the spec is small (MNIST, 300 training and
/// 200 test images, one epoch). Tests that need to inject failures run only with the
/// development executor.
final class EndToEndTests: XCTestCase {
    static let spec = """
    {
      "name": "e2e",
      "description": "small grid for the kill -9 and shard tests",
      "datasets": ["mnist"],
      "models": ["dmn", "convnet"],
      "filters": ["4", "2,3"],
      "seeds": [1, 2, 3],
      "dmn": {"tpc": 0.9, "tv": [0.98, 0.99], "tfrac": 0.3, "filterCount": "fixed"},
      "training": {"optimizer": "adam", "learningRate": 0.001, "batchSize": 32, "epochs": 1},
      "data": {"trainLimit": 300, "testLimit": 200}
    }
    """
    static let runCount = 12
    /// Slow the development executor a little so kills land inside runs.
    static let env = ["REPRO_DEV_DELAY": "0.4"]

    /// One uninterrupted, unsharded reference run, shared by the tests of this class.
    nonisolated(unsafe) static var referenceDir: URL?
    static let referenceLock = NSLock()

    func reference() throws -> URL {
        Self.referenceLock.lock(); defer { Self.referenceLock.unlock() }
        if let r = Self.referenceDir { return r }
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("repro-e2e-ref-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let r = try ReproBinary.run(["run", "e2e.json", "--out", "out", "--jobs", "2", "--quiet"], cwd: dir, env: Self.env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("out")
        XCTAssertEqual(Tables.assertParseable(out).count, Self.runCount)
        Self.referenceDir = out
        return out
    }

    override class func tearDown() {
        if let r = referenceDir { try? FileManager.default.removeItem(at: r.deletingLastPathComponent()) }
        super.tearDown()
    }

    func runFileCount(_ out: URL) -> Int { ResultFolder(out).runIds().count }

    /// Kills `repro run` with SIGKILL at several points, checks after each kill that every file
    /// parses and no finished run was lost, then resumes; the final tables list every run
    /// exactly once and equal an uninterrupted run's apart from timing columns.
    func testKillNineAndResume() throws {
        let ref = try reference()
        let dir = TestFiles.tempDir(self, "kill")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let out = dir.appendingPathComponent("out")
        let args = ["run", "e2e.json", "--out", "out", "--jobs", "2", "--quiet"]

        // Kill points: right at start, after the first file, mid-run (shortly after a file
        // appears), during the table rebuild that follows a file, then at a fixed delay.
        enum Point { case afterSeconds(Double), whenFiles(Int, extra: Double) }
        let points: [Point] = [.afterSeconds(0.02), .whenFiles(1, extra: 0), .whenFiles(3, extra: 0.15),
                               .whenFiles(5, extra: 0.001), .afterSeconds(0.3), .whenFiles(8, extra: 0.05)]
        var kills = 0
        var known: [String: String] = [:]   // run id → result signature seen so far
        for point in points {
            let before = runFileCount(out)
            if before >= Self.runCount { break }
            let p = try ReproBinary.start(args, cwd: dir, env: Self.env)
            let deadline = Date().addingTimeInterval(600)
            switch point {
            case .afterSeconds(let s):
                Thread.sleep(forTimeInterval: s)
            case .whenFiles(let n, let extra):
                while p.process.isRunning && runFileCount(out) < max(n, before + 1) && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.002)
                }
                if extra > 0 { Thread.sleep(forTimeInterval: extra) }
            }
            if p.process.isRunning { p.killHard(); kills += 1 } else { p.process.waitUntilExit() }
            // Everything parses, and nothing finished before was lost or changed.
            let ids = Tables.assertParseable(out)
            XCTAssertGreaterThanOrEqual(ids.count, before, "a finished run was lost")
            for id in ids {
                let sig = ResultFolder(out).record(id)!.resultSignature
                if let old = known[id] { XCTAssertEqual(old, sig, "run \(id) changed after a kill") }
                known[id] = sig
            }
        }
        XCTAssertGreaterThanOrEqual(kills, 3, "the runs finished too fast to be killed")

        let final = try ReproBinary.run(args, cwd: dir, env: Self.env)
        XCTAssertEqual(final.status, 0, final.stderr)
        let ids = Tables.assertParseable(out)
        XCTAssertEqual(ids.count, Self.runCount)
        let table = Tables.read(out.appendingPathComponent("runs.csv"))
        XCTAssertEqual(table.count - 1, Self.runCount)
        XCTAssertEqual(Set(table.dropFirst().map { $0[0] }).count, Self.runCount, "a run appears twice")
        Tables.assertSame(ref, out)
        // Resuming a finished folder executes nothing.
        let again = try ReproBinary.run(["run", "e2e.json", "--out", "out"], cwd: dir, env: Self.env)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("0 executed"), again.stderr)
        XCTAssertTrue(again.stderr.contains("\(Self.runCount) already done"), again.stderr)
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
            var e = ProcessInfo.processInfo.environment
            for (k, v) in Self.env { e[k] = v }
            p.environment = e
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
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let r = try ReproBinary.run(["sweep", "--param", "tfrac", "--values", "0.2,0.4", "--spec", "e2e.json", "--quiet"],
                                    cwd: dir, env: ["REPRO_DEV_DELAY": "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = dir.appendingPathComponent("results/sweep-tfrac")
        // dmn: 2 tfrac × 2 filter configs × 3 seeds; baseline: 3 seeds.
        XCTAssertEqual(Tables.assertParseable(out).count, 2 * 2 * 3 + 3)
        let table = Tables.read(out.appendingPathComponent("runs.csv"))
        let c = table[0].firstIndex(of: "tfrac")!, m = table[0].firstIndex(of: "model")!
        XCTAssertEqual(Set(table.dropFirst().filter { $0[m] == "dmn" }.map { $0[c] }), ["0.2", "0.4"])
    }

    /// Failure handling needs failures on demand: development executor only.
    func testFailedRunsExitOneAndRetry() throws {
        guard ReproBinary.isDevelopment else { throw XCTSkip("needs the development executor (REPRO_DEV_FAIL)") }
        let dir = TestFiles.tempDir(self, "fail")
        TestFiles.write(Self.spec, "e2e.json", in: dir)
        let args = ["run", "e2e.json", "--out", "out"]
        let first = try ReproBinary.run(args, cwd: dir, env: ["REPRO_DEV_FAIL": "all", "REPRO_DEV_DELAY": "0"])
        XCTAssertEqual(first.status, 1)
        XCTAssertTrue(first.stderr.contains("FAILED"), first.stderr)
        let out = dir.appendingPathComponent("out")
        let table = Tables.read(out.appendingPathComponent("runs.csv"))
        XCTAssertEqual(table.count - 1, Self.runCount)
        XCTAssertTrue(table.dropFirst().allSatisfy { $0[table[0].firstIndex(of: "status")!] == "failed" })
        let skip = try ReproBinary.run(args, cwd: dir, env: ["REPRO_DEV_DELAY": "0"])
        XCTAssertEqual(skip.status, 1)
        XCTAssertTrue(skip.stderr.contains("0 executed"), skip.stderr)
        let retry = try ReproBinary.run(args + ["--retry-failed"], cwd: dir, env: ["REPRO_DEV_DELAY": "0"])
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual(Tables.read(out.appendingPathComponent("runs.csv")).dropFirst()
            .filter { $0[table[0].firstIndex(of: "status")!] == "ok" }.count, Self.runCount)
    }
}
