import Foundation
import XCTest
@testable import Experiments
@testable import Report
import Models
import Numerics
#if canImport(Glibc)
import Glibc
#endif

/// Issue #26's defects: run files that are not results, a garbage runs.csv, a write error
/// while a run's weights are written, and a signal racing a finishing run. Each test failed
/// before its fix (the message of each says how).
final class RunFileTrustTests: XCTestCase {
    typealias Recorder = FaultInjectionTests.Recorder
    typealias Counter = FaultInjectionTests.Counter

    func plan(_ n: Int = 4) throws -> (ExperimentSpec, [PlannedRun]) {
        let s = try SpecLoader.load(data: Data(FaultInjectionTests.specJSON.utf8), file: "faults.json")
        return (s, Array(s.plannedRuns().prefix(n)))
    }

    func runner(_ dir: URL, _ spec: ExperimentSpec, executor: any RunExecutor,
                progress: ProgressSink = SilentProgress()) -> ExperimentRunner {
        let o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        return ExperimentRunner(executor: executor, folder: ResultFolder(dir), options: o, progress: progress)
    }

    /// Rewrites a run file through `edit`, as a user's editor would (bytes, not via the runner).
    func edit(_ dir: URL, _ id: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = ResultFolder(dir).runFile(id)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    // MARK: defect 1

    /// Before: an ok run file without `outcome` was "already done", runs.csv got a row of nan
    /// and merge copied it. Now it is named, set aside, and the run is redone.
    func testOkRunFileWithoutOutcomeIsRedone() throws {
        let dir = TestFiles.tempDir(self, "no-outcome")
        let (spec, runs) = try plan()
        _ = try runner(dir, spec, executor: FakeExecutor()).run(runs)
        let victim = runs[1].id
        try edit(dir, victim) { $0["outcome"] = nil }
        XCTAssertEqual(ExperimentRunner.state(of: victim, in: ResultFolder(dir)), .pending, "an ok file without outcome counts as done")
        XCTAssertThrowsError(try ResultMerger.merge(sources: [dir], into: TestFiles.tempDir(self, "merged"))) {
            XCTAssertTrue(String(describing: $0).contains("status ok but no outcome"), "\($0)")
        }
        let recorder = Recorder(), counter = Counter()
        let again = try runner(dir, spec, executor: FakeExecutor(onExecute: { counter.add($0) }), progress: recorder).run(runs)
        XCTAssertEqual(counter.counts, [victim: 1])
        XCTAssertEqual(again.skippedOk, runs.count - 1)
        XCTAssertEqual(again.executedOk, 1)
        XCTAssertTrue(recorder.messages.contains { $0.contains(ResultFolder(dir).runFile(victim).path) && $0.contains("no outcome") },
                      "\(recorder.messages)")
        let acc = Tables.column("test_acc", of: dir)
        XCTAssertEqual(acc.count, runs.count)
        for (id, a) in acc { XCTAssertNotEqual(a, "nan", "runs.csv row of \(id)") }
    }

    // MARK: defect 2

    /// Before: a run file whose runId (or whose parameters) had been edited hid a result:
    /// "already done", plan "done", its row gone from runs.csv. Now `run` names it ("its
    /// parameters hash to"), moves it to runs/quarantine/ and redoes the run; `plan`'s state
    /// is pending; the report names it and counts only results.
    func testRunFileWhoseIdOrParametersDoNotMatchItsNameIsSetAsideAndRedone() throws {
        let dir = TestFiles.tempDir(self, "mismatch")
        let (spec, runs) = try plan()
        _ = try runner(dir, spec, executor: FakeExecutor()).run(runs)
        let folder = ResultFolder(dir)
        let renamed = runs[0].id, reseeded = runs[2].id
        try edit(dir, renamed) { $0["runId"] = "0123456789ab" }
        try edit(dir, reseeded) { o in
            var run = o["run"] as! [String: Any]
            run["seed"] = ((run["seed"] as? Int) ?? 0) + 1000
            o["run"] = run
        }
        for id in [renamed, reseeded] { XCTAssertEqual(ExperimentRunner.state(of: id, in: folder), .pending, id) }
        // The report reads the run files as run does: the edited ones are named and left out.
        let set = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(Set(set.runs.map(\.runId)), Set(runs.map(\.id)).subtracting([renamed, reseeded]))
        XCTAssertTrue(set.notes.contains { $0.contains(folder.runFile(reseeded).path) && $0.contains("its parameters hash to") }, "\(set.notes)")
        XCTAssertTrue(set.notes.contains { $0.contains(folder.runFile(renamed).path) && $0.contains("runId 0123456789ab") }, "\(set.notes)")

        let recorder = Recorder(), counter = Counter()
        let again = try runner(dir, spec, executor: FakeExecutor(onExecute: { counter.add($0) }), progress: recorder).run(runs)
        XCTAssertEqual(counter.counts, [renamed: 1, reseeded: 1])
        XCTAssertEqual(again.executedOk, 2)
        XCTAssertEqual(again.skippedOk, runs.count - 2)
        let expectedHash = RunIdentity.id(of: { var r = runs[2].run; r.seed += 1000; return r }())
        XCTAssertTrue(recorder.messages.contains { $0.contains("run file \(folder.runFile(reseeded).path): its parameters hash to \(expectedHash)") },
                      "\(recorder.messages)")
        let aside = try FileManager.default.contentsOfDirectory(atPath: folder.runsDirectory.appendingPathComponent("quarantine").path).sorted()
        XCTAssertEqual(aside, [renamed + ".json", reseeded + ".json"].sorted())
        XCTAssertEqual(Set(Tables.column("status", of: dir).keys), Set(runs.map(\.id)))
        XCTAssertEqual(Set(Tables.assertParseable(dir)), Set(runs.map(\.id)))
    }

    // MARK: defect 3

    /// Before: a garbage runs.csv made report and plot print empty tables (exit 0, one note).
    /// Now the tables are rebuilt from the run files, as when runs.csv is missing.
    func testGarbageRunsCSVIsRebuiltFromTheRunFiles() throws {
        let dir = TestFiles.tempDir(self, "garbage-csv")
        let (spec, runs) = try plan()
        _ = try runner(dir, spec, executor: FakeExecutor()).run(runs)
        for (garbage, why) in [("\u{0}\u{1}garbage, not a table\n1,2\n", "runs.csv is not a runs table"),
                               ("run_id,status\n" + runs.map { "\($0.id),ok" }.joined(separator: "\n"), "runs.csv lacks the columns")] {
            try Data(garbage.utf8).write(to: dir.appendingPathComponent("runs.csv"))
            let set = try ResultSet.load(folders: [dir], relativeTo: dir)
            XCTAssertEqual(Set(set.runs.map(\.runId)), Set(runs.map(\.id)))
            XCTAssertTrue(set.runs.allSatisfy { $0.testAccuracy.isFinite }, "rows without accuracies")
            XCTAssertTrue(set.notes.contains { $0.contains(why) && $0.contains("rebuilt in memory from \(runs.count) run files") }, "\(set.notes)")
        }
        // A runs.csv that lists other runs than the run files (one row removed) is not used either.
        _ = try runner(dir, spec, executor: FakeExecutor()).run(runs)   // rebuilds runs.csv
        var lines = try String(contentsOf: dir.appendingPathComponent("runs.csv"), encoding: .utf8).split(separator: "\n")
        lines.removeLast()
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("runs.csv"))
        let set = try ResultSet.load(folders: [dir], relativeTo: dir)
        XCTAssertEqual(set.runs.count, runs.count)
    }

    // MARK: defect 4

    /// Returns weights with every run, like `ModelRunExecutor` under `--weights auto`.
    struct WeightFake: WeightSavingExecutor {
        var base = FakeExecutor()
        func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome {
            try base.execute(run, dataDirectory: dataDirectory, threads: threads, progress: progress)
        }
        func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout, saveWeights: Bool,
                     progress: @escaping @Sendable (RunProgress) -> Void) throws -> (outcome: RunOutcome, weights: RunWeights?) {
            var w = RunWeights()
            w.arrays = [WeightArray(name: "softmax.w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])]
            return (try base.execute(run, dataDirectory: dataDirectory, threads: threads, progress: progress), w)
        }
    }

    /// Before: a write error while a run's weights were written (a full disk) recorded the run
    /// as failed, and after making room the same command exited 1 ("failed earlier, not
    /// retried"). Now the run leaves no record, the sweep stops with 73, and the same command
    /// once the folder is writable again ends with 0.
    func testWeightWriteErrorLeavesNoRecordAndTheSameCommandResumes() throws {
        let dir = TestFiles.tempDir(self, "weights-enospc")
        let (spec, runs) = try plan(3)
        let folder = ResultFolder(dir)
        try folder.create()
        // A file where the run's weights folder goes: creating it fails, as a full disk would.
        let blocked = runs[1].id
        let obstacle = folder.runsDirectory.appendingPathComponent(WeightFiles.directoryName(for: blocked))
        try Data("x".utf8).write(to: obstacle)
        let first = try runner(dir, spec, executor: WeightFake()).run(runs)
        XCTAssertNotNil(first.writeError)
        XCTAssertTrue(first.writeError?.contains(obstacle.path) == true, first.writeError ?? "")
        XCTAssertEqual(first.exitCode, ExitStatus.outputFolder)
        XCTAssertEqual(first.executedFailed, 0, "a write error was recorded as the run's result")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.runFile(blocked).path), "a record was left for \(blocked)")
        try FileManager.default.removeItem(at: obstacle)
        let again = try runner(dir, spec, executor: WeightFake()).run(runs)
        XCTAssertEqual(again.exitCode, 0, again.description)
        for r in runs {
            XCTAssertEqual(ExperimentRunner.state(of: r.id, in: folder), .done, r.id)
            XCTAssertNotNil(folder.record(r.id)?.weights, r.id)
        }
    }

    // MARK: weight files

    /// Before: a 0-byte .npy counted as saved, and a missing weight file was reported as
    /// "run file … is unreadable". Now each is named as what it is and the run is redone.
    func testMissingOrEmptyWeightFileIsNamedAndTheRunRedone() throws {
        let dir = TestFiles.tempDir(self, "weights-missing")
        let (spec, runs) = try plan(2)
        let folder = ResultFolder(dir)
        _ = try runner(dir, spec, executor: WeightFake()).run(runs)
        let file0 = folder.runsDirectory.appendingPathComponent("\(runs[0].id).weights/softmax.w.npy")
        let file1 = folder.runsDirectory.appendingPathComponent("\(runs[1].id).weights/softmax.w.npy")
        try FileManager.default.removeItem(at: file0)
        try Data().write(to: file1)
        for r in runs { XCTAssertEqual(ExperimentRunner.state(of: r.id, in: folder), .pending, r.id) }
        let recorder = Recorder(), counter = Counter()
        _ = try runner(dir, spec, executor: WeightFake(base: FakeExecutor(onExecute: { counter.add($0) })), progress: recorder).run(runs)
        XCTAssertEqual(counter.counts.count, 2)
        XCTAssertTrue(recorder.messages.contains { $0.contains(file0.path) && $0.contains("which is missing") }, "\(recorder.messages)")
        XCTAssertTrue(recorder.messages.contains { $0.contains(file1.path) && $0.contains("empty (0 bytes)") }, "\(recorder.messages)")
        XCTAssertFalse(recorder.messages.contains { $0.contains("unreadable") }, "\(recorder.messages)")
        for r in runs { XCTAssertEqual(ExperimentRunner.state(of: r.id, in: folder), .done, r.id) }
    }

    /// Before: temp files a kill left inside runs/<id>.weights/ stayed forever. Now the next
    /// run removes those of dead processes.
    func testPartialFilesInWeightFoldersAreRemoved() throws {
        let dir = TestFiles.tempDir(self, "weights-partial")
        let (spec, runs) = try plan(1)
        let folder = ResultFolder(dir)
        let weights = folder.runsDirectory.appendingPathComponent("0123456789ab.weights")
        try FileManager.default.createDirectory(at: weights, withIntermediateDirectories: true)
        // pid 2^22 + 1 is above Linux's pid_max limit (2^22): no such process.
        let stale = weights.appendingPathComponent("tmp-4194305-1-conv1.w.npy.partial")
        try Data("half".utf8).write(to: stale)
        _ = try runner(dir, spec, executor: FakeExecutor()).run(runs)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path))
    }

    // MARK: defect 5

    /// Before: SIGINT/SIGTERM racing a finishing run (`--jobs 2`) left, about 1 in 3 times, a
    /// run file not in runs.csv, a summary one short of the "ok" lines and a
    /// `tmp-…-runs.csv.partial`. Now, at random moments, each signal leaves runs.csv listing
    /// exactly the run files, the summary counting exactly the "ok" lines, and no temp file.
    func testSignalAtARandomMomentRecordsOrDiscardsEachRun() throws {
        try FashionMNIST.require()
        let dir = TestFiles.tempDir(self, "signal-race")
        TestFiles.write(EndToEndTests.spec(name: "race", models: ["convnet"], filters: ["4"], seeds: Array(1...40)), "race.json", in: dir)
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<8 {
            let out = "out\(trial)", outURL = dir.appendingPathComponent(out)
            let signal = trial % 2 == 0 ? SIGTERM : SIGINT
            let p = try ReproBinary.start(["run", "race.json", "--out", out, "--jobs", "2", "--weights", "all"], cwd: dir)
            let wanted = Int.random(in: 1...6, using: &generator)
            let deadline = Date().addingTimeInterval(300)
            while p.process.isRunning && ResultFolder(outURL).runIds().count < wanted && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.001)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0..<0.05, using: &generator))
            guard p.process.isRunning else { continue }
            kill(p.process.processIdentifier, signal)
            p.process.waitUntilExit()
            let err = p.stderr()
            XCTAssertEqual(p.process.terminationReason, .exit, err)
            XCTAssertEqual(p.process.terminationStatus, 128 + signal, err)
            let files = Set(Tables.assertParseable(outURL))
            XCTAssertEqual(Set(Tables.column("run_id", of: outURL).keys), files, "trial \(trial): runs.csv is not the run files\n\(err)")
            let okLines = err.split(separator: "\n").filter { $0.contains("] ok ") }.count
            XCTAssertTrue(err.contains("executed (\(okLines) ok,"), "trial \(trial): the summary does not count the \(okLines) ok lines\n\(err)")
            XCTAssertEqual(okLines, files.count, "trial \(trial)\n\(err)")
            XCTAssertEqual(Self.partialFiles(outURL), [], "trial \(trial)")
        }
    }

    static func partialFiles(_ dir: URL) -> [String] {
        let e = FileManager.default.enumerator(atPath: dir.path)
        var out: [String] = []
        while let f = e?.nextObject() as? String { if f.hasSuffix(".partial") { out.append(f) } }
        return out
    }

    /// Before: a signal before the runner installed its handler (loading the spec, planning)
    /// killed repro without a word. Now the handlers are installed first: a SIGTERM while the
    /// spec is being read (from a FIFO nobody writes) ends it with a message and 143.
    func testSignalBeforeAnyRunEndsWithAMessage() throws {
        let dir = TestFiles.tempDir(self, "early-signal")
        let fifo = dir.appendingPathComponent("spec.json").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let p = try ReproBinary.start(["run", fifo, "--out", dir.appendingPathComponent("out").path], cwd: dir)
        // Wait until the process ignores SIGTERM's default action (its handler is in place),
        // at most 3 s: before the fix it never did while reading the spec.
        let deadline = Date().addingTimeInterval(3)
        while p.process.isRunning && !Self.catches(SIGTERM, pid: p.process.processIdentifier) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        // The disposition turns to "ignore" a moment before the dispatch source is live, and a
        // signal in between is lost (the process then blocks on the FIFO): send again every
        // 0.1 s until it exits. The handler runs once; before the fix the first one killed it.
        for _ in 0..<50 where p.process.isRunning {
            kill(p.process.processIdentifier, SIGTERM)
            Thread.sleep(forTimeInterval: 0.1)
        }
        if p.process.isRunning { kill(p.process.processIdentifier, SIGKILL) }
        p.process.waitUntilExit()
        XCTAssertEqual(p.process.terminationReason, .exit, "killed by the signal without a word: \(p.stderr())")
        XCTAssertEqual(p.process.terminationStatus, 128 + SIGTERM, p.stderr())
        XCTAssertTrue(p.stderr().contains("SIGTERM"), p.stderr())
    }

    /// Whether `/proc/<pid>/status` lists `signal` as ignored (how the dispatch sources catch it).
    static func catches(_ signal: Int32, pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("SigIgn:") }),
              let mask = UInt64(line.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }
}
