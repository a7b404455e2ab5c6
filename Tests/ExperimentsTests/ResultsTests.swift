import Foundation
import XCTest
import Numerics
@testable import Experiments
@testable import Report

final class ResultsTests: XCTestCase {
    static let specJSON = """
    {"name": "res", "datasets": ["mnist", "cifar100"], "models": ["dmn", "baseline"], "filters": ["4", "4,15"], "seeds": [1, 2],
     "dmn": {"tpc": [0.8, 0.9]}, "training": {"epochs": 2}}
    """

    func plan() throws -> (ExperimentSpec, [PlannedRun]) {
        let s = try SpecLoader.load(data: Data(Self.specJSON.utf8), file: "res.json")
        return (s, s.plannedRuns())
    }

    func runner(_ dir: URL, _ spec: ExperimentSpec, executor: any RunExecutor = FakeExecutor(), jobs: Int = 1,
                retryFailed: Bool = false, shard: Shard? = nil) -> ExperimentRunner {
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        o.jobs = jobs; o.retryFailed = retryFailed; o.shard = shard
        return ExperimentRunner(executor: executor, folder: ResultFolder(dir), options: o, progress: SilentProgress())
    }

    func testShardsCoverEveryRunOnce() throws {
        let (_, runs) = try plan()
        for n in 1...7 {
            var seen: [String: Int] = [:]
            var sizes: [Int] = []
            for i in 1...n {
                let part = Shard(index: i, count: n)!.select(runs)
                sizes.append(part.count)
                for r in part { seen[r.id, default: 0] += 1 }
                XCTAssertEqual(part, Shard(index: i, count: n)!.select(runs), "not deterministic")
            }
            XCTAssertEqual(Set(seen.keys), Set(runs.map(\.id)), "n=\(n)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "n=\(n)")
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
        }
        if case .success = Shard.parse("0/3") { XCTFail("0/3 accepted") }
        if case .success = Shard.parse("4/3") { XCTFail("4/3 accepted") }
        if case .success = Shard.parse("a/3") { XCTFail("a/3 accepted") }
        if case .success = Shard.parse("1/0") { XCTFail("1/0 accepted") }
        guard case .success(let s) = Shard.parse("2/3") else { return XCTFail() }
        XCTAssertEqual(s, Shard(index: 2, count: 3))
    }

    func testRunWritesFilesAndTables() throws {
        let dir = TestFiles.tempDir(self, "write")
        let (spec, runs) = try plan()
        let summary = try runner(dir, spec, jobs: 2).run(runs)
        XCTAssertEqual(summary.executedOk, runs.count)
        XCTAssertEqual(summary.exitCode, 0)
        let ids = Tables.assertParseable(dir)
        XCTAssertEqual(Set(ids), Set(runs.map(\.id)))
        let table = Tables.read(dir.appendingPathComponent("runs.csv"))
        XCTAssertEqual(table[0], ResultTables.runColumns)
        XCTAssertEqual(table.count, runs.count + 1)
        XCTAssertEqual(Set(table.dropFirst().map { $0[0] }), Set(runs.map(\.id)))
        let col = { (name: String) in table[0].firstIndex(of: name)! }
        let twoLayer = table.first { $0[col("filters")] == "4-15" && $0[col("model")] == "dmn" }!
        XCTAssertEqual(twoLayer[col("filter_counts")], "4-15")
        XCTAssertEqual(twoLayer[col("relaxed_tv")], "1-0")
        XCTAssertEqual(twoLayer[col("tv")], "0.95-0.99")
        XCTAssertEqual(twoLayer[col("train_limit")], "nan")
        XCTAssertEqual(twoLayer[col("status")], "ok")
        XCTAssertEqual(twoLayer[col("spec_hash")], spec.hash)
        let history = Tables.read(dir.appendingPathComponent("history.csv"))
        XCTAssertEqual(history[0], ResultTables.historyColumns)
        XCTAssertEqual(history.count, 1 + runs.count * 2)
        let prov = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("provenance.json"))) as! [String: Any]
        XCTAssertEqual(prov["specHash"] as? String, spec.hash)
        XCTAssertEqual(prov["jobs"] as? Int, 2)
        XCTAssertNotNil(prov["finished"] as? String)
        XCTAssertNotNil(prov["gitCommit"] as? String)
        // No temp files left behind.
        let all = try FileManager.default.contentsOfDirectory(atPath: dir.path) + FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)
        XCTAssertFalse(all.contains { $0.hasPrefix("tmp-") }, "\(all)")
    }

    func testResumeSkipsDoneAndRetriesFailedOnlyWhenAsked() throws {
        let dir = TestFiles.tempDir(self, "resume")
        let (spec, runs) = try plan()
        let failing: Set<String> = [runs[1].id, runs[5].id]
        let first = try runner(dir, spec, executor: FakeExecutor(failIds: failing)).run(runs)
        XCTAssertEqual(first.executedFailed, 2)
        XCTAssertEqual(first.exitCode, 1)
        let rec = ResultFolder(dir).record(runs[1].id)!
        XCTAssertEqual(rec.status, .failed)
        XCTAssertNil(rec.outcome)
        XCTAssertTrue(rec.reason!.contains("fake failure"))
        // CSV quoting of a reason with quotes, commas and a newline, read back intact.
        let table = Tables.read(dir.appendingPathComponent("runs.csv"))
        let row = table.first { $0[0] == runs[1].id }!
        XCTAssertEqual(row.last, "fake failure, with \"quotes\", commas\nand a newline")
        XCTAssertEqual(row[table[0].firstIndex(of: "test_acc")!], "nan")

        let provenanceFile = dir.appendingPathComponent("provenance.json")
        let madeBy = try Data(contentsOf: provenanceFile)
        let second = try runner(dir, spec).run(runs)
        XCTAssertEqual(second.skippedOk, runs.count - 2)
        XCTAssertEqual(second.skippedFailed, 2)
        XCTAssertEqual(second.executedOk + second.executedFailed, 0)
        XCTAssertEqual(second.exitCode, 1)
        // Nothing ran, so nothing changed: the provenance still names the invocation that made the runs.
        XCTAssertEqual(try Data(contentsOf: provenanceFile), madeBy)

        // A deleted run file (an interrupted run) is redone.
        try FileManager.default.removeItem(at: ResultFolder(dir).runFile(runs[0].id))
        let third = try runner(dir, spec, retryFailed: true).run(runs)
        XCTAssertEqual(third.executedOk, 3)
        XCTAssertEqual(third.exitCode, 0)
        XCTAssertEqual(ResultFolder(dir).record(runs[1].id)!.status, .ok)
    }

    func testMergeOfShardsEqualsUnsharded() throws {
        let root = TestFiles.tempDir(self, "merge")
        let (spec, runs) = try plan()
        let whole = root.appendingPathComponent("whole")
        _ = try runner(whole, spec).run(runs)
        var shardDirs: [URL] = []
        for i in 1...3 {
            let d = root.appendingPathComponent("shard\(i)")
            let sh = Shard(index: i, count: 3)!
            _ = try runner(d, spec, jobs: 2, shard: sh).run(sh.select(runs))
            shardDirs.append(d)
        }
        let merged = root.appendingPathComponent("merged")
        let summary = try ResultMerger.merge(sources: shardDirs, into: merged)
        XCTAssertEqual(summary.runs, runs.count)
        XCTAssertEqual(summary.duplicates, 0)
        Tables.assertSame(whole, merged)
        // Merging again (duplicates with equal outcomes, different timings) is fine and idempotent.
        let again = try ResultMerger.merge(sources: shardDirs + [whole], into: merged)
        XCTAssertEqual(again.runs, runs.count)
        Tables.assertSame(whole, merged)
        let prov = try JSONSerialization.jsonObject(with: Data(contentsOf: merged.appendingPathComponent("provenance.json"))) as! [String: Any]
        // Sources named relative to the merged folder, never by absolute machine paths.
        XCTAssertEqual(prov["mergedFrom"] as? [String], shardDirs.map { "../" + $0.lastPathComponent } + ["../" + whole.lastPathComponent])
    }

    func testMergeRefusesConflictingDuplicates() throws {
        let root = TestFiles.tempDir(self, "conflict")
        let (spec, runs) = try plan()
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        _ = try runner(a, spec).run(Array(runs.prefix(3)))
        _ = try runner(b, spec).run(Array(runs.prefix(3)))
        // Tamper with one outcome in b.
        let folder = ResultFolder(b)
        var r = folder.record(runs[2].id)!
        r.outcome!.testAccuracy += 0.01
        try AtomicFile.write(try r.encoded(), to: folder.runFile(runs[2].id))
        let out = root.appendingPathComponent("out")
        XCTAssertThrowsError(try ResultMerger.merge(sources: [a, b], into: out)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("conflicting duplicate"), msg)
            XCTAssertTrue(msg.contains(runs[2].id), msg)
            XCTAssertTrue(msg.contains("nothing was written"), msg)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        // Through the CLI: exit status 2.
        let cli = try ReproBinary.run(["merge", a.path, b.path, "--out", out.path])
        XCTAssertEqual(cli.status, 2, cli.stderr)
        XCTAssertTrue(cli.stderr.contains(runs[2].id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        // A failed record is superseded by an ok one (no conflict).
        try AtomicFile.write(try ResultFolder(a).record(runs[2].id)!.encoded(), to: folder.runFile(runs[2].id))
        var failed = folder.record(runs[1].id)!
        failed.status = .failed; failed.outcome = nil; failed.reason = "boom"
        try AtomicFile.write(try failed.encoded(), to: folder.runFile(runs[1].id))
        let s = try ResultMerger.merge(sources: [b, a], into: out)
        XCTAssertEqual(s.runs, 3)
        XCTAssertEqual(ResultFolder(out).record(runs[1].id)!.status, .ok)
    }

    func testAtomicWriteLeavesOldOrNewContent() throws {
        let dir = TestFiles.tempDir(self, "atomic")
        let url = dir.appendingPathComponent("f.csv")
        try AtomicFile.write("old\n", to: url)
        // A reader racing with many writers only ever sees a complete version.
        let stop = Date().addingTimeInterval(1.0)
        let writer = Thread {
            var i = 0
            while Date() < stop {
                i += 1
                try? AtomicFile.write(String(repeating: "line \(i)\n", count: 2000) + "end\n", to: url)
            }
        }
        writer.start()
        var reads = 0
        while Date() < stop {
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                XCTAssertTrue(text == "old\n" || text.hasSuffix("end\n"), "torn read")
                reads += 1
            }
        }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertGreaterThan(reads, 10)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasPrefix("tmp-") })
    }

    func testStaleTempFilesAreRemoved() throws {
        let dir = TestFiles.tempDir(self, "stale")
        // pid 2^22+1 is above Linux's pid_max default and never alive.
        let stale = dir.appendingPathComponent("tmp-4194305-1-abc.json.partial")
        let mine = dir.appendingPathComponent("tmp-\(getpid())-1-abc.json.partial")
        try Data("{".utf8).write(to: stale)
        try Data("{".utf8).write(to: mine)
        AtomicFile.removeStaleTemps(in: dir)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: mine.path))
    }

    func testTablesRebuildFromRunFilesAlone() throws {
        let dir = TestFiles.tempDir(self, "rebuild")
        let (spec, runs) = try plan()
        _ = try runner(dir, spec).run(runs)
        let before = Tables.withoutTimings(dir.appendingPathComponent("runs.csv"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("runs.csv"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("history.csv"))
        try ResultTables(folder: ResultFolder(dir)).rebuild()
        XCTAssertEqual(Tables.withoutTimings(dir.appendingPathComponent("runs.csv")), before)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("history.csv").path))
    }

    func testExtraAndLambdaTables() throws {
        let dir = TestFiles.tempDir(self, "extra")
        let conv = try SpecLoader.load(data: Data(#"{"name": "c", "kind": "convergence", "datasets": ["mnist"], "models": ["mlp"], "filters": ["81,81"]}"#.utf8), file: "c.json")
        let fluct = try SpecLoader.load(data: Data(#"{"name": "f", "kind": "fluctuation", "datasets": ["mnist"], "models": ["dmn"]}"#.utf8), file: "f.json")
        _ = try runner(dir, conv).run(conv.plannedRuns())
        _ = try runner(dir, fluct).run(fluct.plannedRuns())
        let lambda = Tables.read(dir.appendingPathComponent("lambda.csv"))
        XCTAssertEqual(lambda[0], ResultTables.lambdaColumns)
        XCTAssertEqual(lambda.count, 6)
        XCTAssertEqual(lambda[1].last, "nan")
        let extra = Tables.read(dir.appendingPathComponent("fluctuation.csv"))
        XCTAssertEqual(extra[0], ["run_id", "class", "note"])
        XCTAssertEqual(extra[1].dropFirst(), ["0", "a,b"])
        XCTAssertEqual(extra[2].dropFirst(), ["1", "say \"hi\""])
        let raw = try String(contentsOf: dir.appendingPathComponent("fluctuation.csv"), encoding: .utf8)
        XCTAssertTrue(raw.contains(",\"a,b\"\n"), raw)
        XCTAssertTrue(raw.contains(",\"say \"\"hi\"\"\"\n"), raw)

        // The per-sample table is not committed (.gitignore): a report rebuilds it
        // from the run files when it is missing, with the same rows.
        let committed = try ResultSet.load(folders: [dir], relativeTo: dir).fluctuation
        XCTAssertEqual(committed.count, 2)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("fluctuation.csv"))
        let rebuilt = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(rebuilt.fluctuation, committed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("fluctuation.csv").path),
                       "loading a folder for a report writes nothing into it")
    }

    /// Each run gets cores ÷ jobs threads (or OPENBLAS_NUM_THREADS), all of them workers that
    /// call OpenBLAS single-threaded: workers × OpenBLAS threads × jobs ≤ cores.
    func testThreadPlan() {
        func layout(_ jobs: Int, _ cores: Int, _ env: [String: String] = [:]) -> ThreadLayout {
            ThreadPlan.plan(jobs: jobs, cores: cores, environment: env).layout
        }
        XCTAssertEqual(layout(1, 8), ThreadLayout(workers: 8, blasThreads: 1))
        XCTAssertEqual(layout(3, 8), ThreadLayout(workers: 2, blasThreads: 1))
        XCTAssertEqual(layout(2, 2), ThreadLayout(workers: 1, blasThreads: 1))
        XCTAssertNil(ThreadPlan.plan(jobs: 3, cores: 8, environment: [:]).warning)
        XCTAssertEqual(layout(16, 8), .serial)
        XCTAssertNotNil(ThreadPlan.plan(jobs: 16, cores: 8, environment: [:]).warning)
        let env = ThreadPlan.plan(jobs: 2, cores: 8, environment: ["OPENBLAS_NUM_THREADS": "4"])
        XCTAssertEqual(env.layout, ThreadLayout(workers: 4, blasThreads: 1))
        XCTAssertTrue(env.fromEnvironment)
        XCTAssertNil(env.warning)
        XCTAssertEqual(layout(1, 8, ["OPENBLAS_NUM_THREADS": "1"]), .serial)
        let over = ThreadPlan.plan(jobs: 3, cores: 8, environment: ["OPENBLAS_NUM_THREADS": "4"])
        XCTAssertEqual(over.layout.workers, 4)
        XCTAssertTrue(over.warning!.contains("OPENBLAS_NUM_THREADS=4 with --jobs 3 uses 12 threads on 8 cores"), over.warning!)
        // Not a count: planned as if unset.
        XCTAssertEqual(layout(2, 8, ["OPENBLAS_NUM_THREADS": "x"]), ThreadLayout(workers: 4, blasThreads: 1))
        for jobs in 1...9 {
            for cores in 1...9 {
                let l = layout(jobs, cores)
                XCTAssertLessThanOrEqual(l.workers * l.blasThreads * jobs, max(cores, jobs), "jobs \(jobs), cores \(cores)")
            }
        }
    }

    func testCSVQuoting() {
        XCTAssertEqual(CSVTable.quote("plain"), "plain")
        XCTAssertEqual(CSVTable.quote("4-15"), "4-15")
        XCTAssertEqual(CSVTable.quote("4,15"), "\"4,15\"")
        XCTAssertEqual(CSVTable.quote("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVTable.quote("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVTable.quote(" padded"), "\" padded\"")
        XCTAssertEqual(CSVTable.quote(""), "")
        XCTAssertEqual(CSVTable.number(.nan), "nan")
        XCTAssertEqual(CSVTable.number(0.1), "0.1")
        XCTAssertEqual(CSVTable.number(1e-05), "1e-05")
        XCTAssertEqual(Double(CSVTable.number(0.123456789012345678)), 0.123456789012345678)
        var t = CSVTable(header: ["a", "b"])
        t.append(["1,2", "x\"y"])
        t.append(["", "z"])
        XCTAssertEqual(t.text, "a,b\n\"1,2\",\"x\"\"y\"\n,z\n")
        XCTAssertEqual(CSVTable.parse(t.text), [["a", "b"], ["1,2", "x\"y"], ["", "z"]])
    }

    func testCanonicalJSONAndParser() throws {
        let node = try JSONReader.parse(#"{"b": [1, 2.50, -0.0, 1e2], "a": {"y": "q\"\n", "x": null}, "c": true}"#)
        XCTAssertEqual(CanonicalJSON.serialize(node), #"{"a":{"x":null,"y":"q\"\n"},"b":[1,2.5,0,100],"c":true}"#)
        XCTAssertThrowsError(try JSONReader.parse("[01]"))
        XCTAssertThrowsError(try JSONReader.parse("[1.]"))
        XCTAssertThrowsError(try JSONReader.parse(#"["\x"]"#))
        XCTAssertEqual(CanonicalJSON.serialize(try JSONReader.parse(#"["\u00e9\ud83d\ude00"]"#)), "[\"é😀\"]")
    }
}

/// Provenance's "modified" flag: code changes mark it, regenerated results under results/ do not.
final class GitProvenanceTests: XCTestCase {
    func git(_ dir: URL, _ args: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", dir.path, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"] + args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("git \(args.joined(separator: " ")) failed (is git installed?)") }
    }

    func testResultsUnderTheTopLevelResultsFolderDoNotMarkTheTreeModified() throws {
        let dir = TestFiles.tempDir(self, "git-dirty")
        let sub = dir.appendingPathComponent("Sources")
        let results = dir.appendingPathComponent("results/fig3")
        for d in [sub, results] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try "code\n".write(to: sub.appendingPathComponent("a.swift"), atomically: true, encoding: .utf8)
        try "old\n".write(to: results.appendingPathComponent("runs.csv"), atomically: true, encoding: .utf8)
        try git(dir, "init", "-q")
        try git(dir, "add", ".")
        try git(dir, "commit", "-q", "-m", "init")
        XCTAssertEqual(GitInfo.current(in: dir).dirty, false)
        XCTAssertEqual(GitInfo.current(in: dir).commit.count, 40)
        try "regenerated\n".write(to: results.appendingPathComponent("runs.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(GitInfo.current(in: dir).dirty, false, "a rewritten result is an output, not a code change")
        XCTAssertEqual(GitInfo.current(in: sub).dirty, false, "from a subfolder too")
        try "changed\n".write(to: sub.appendingPathComponent("a.swift"), atomically: true, encoding: .utf8)
        XCTAssertEqual(GitInfo.current(in: dir).dirty, true)
        XCTAssertEqual(GitInfo.current(in: results).dirty, true, "from inside results/ too")
        XCTAssertEqual(GitInfo.current(in: dir.appendingPathComponent("nowhere")).commit, "unknown")
    }
}
