import Foundation
import XCTest
@testable import Experiments
import Models
import Numerics
#if canImport(Glibc)
import Glibc
#endif

/// The hostile-user trials of issue #10, repeated on small specs: a configuration the method
/// cannot build, a full disk, a read-only output folder, two invocations into one folder,
/// SIGINT/SIGTERM. Each asserts that no run reported ok is lost or altered and that every
/// file parses. (kill -9 and resume: EndToEndTests.testKillNineAndResume; merge conflicts:
/// ResultsTests.testMergeRefusesConflictingDuplicates.)
final class FaultInjectionTests: XCTestCase {
    static let specJSON = """
    {"name": "faults", "datasets": ["mnist"], "models": ["dmn", "baseline"], "filters": ["4", "16"],
     "seeds": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "training": {"epochs": 2}}
    """

    func plan() throws -> (ExperimentSpec, [PlannedRun]) {
        let s = try SpecLoader.load(data: Data(Self.specJSON.utf8), file: "faults.json")
        return (s, s.plannedRuns())
    }

    func runner(_ dir: URL, _ spec: ExperimentSpec, executor: any RunExecutor, jobs: Int = 1,
                progress: ProgressSink = SilentProgress()) -> ExperimentRunner {
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        o.jobs = jobs
        return ExperimentRunner(executor: executor, folder: ResultFolder(dir), options: o, progress: progress)
    }

    /// Records what the runner reported as finished (what the user saw as "ok").
    final class Recorder: ProgressSink, @unchecked Sendable {
        let lock = NSLock()
        var finished: [RunRecord] = []
        var messages: [String] = []
        var ended: RunSummary?
        func begin(total: Int, skipped: Int) {}
        func started(_ run: PlannedRun) {}
        func progress(_ run: PlannedRun, _ p: RunProgress) {}
        func finished(_ record: RunRecord) { lock.lock(); finished.append(record); lock.unlock() }
        func message(_ text: String) { lock.lock(); messages.append(text); lock.unlock() }
        func end(summary: RunSummary) { lock.lock(); ended = summary; lock.unlock() }
    }

    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var counts: [String: Int] = [:]
        func add(_ id: String) { lock.lock(); counts[id, default: 0] += 1; lock.unlock() }
    }

    // MARK: infeasible configurations

    /// Before: a configuration the method cannot build was status failed and made the sweep
    /// exit 1 (README's first command). Now it is `infeasible`, with its reason, exit 0, and
    /// it is not redone, not even with --retry-failed.
    func testInfeasibleIsAResultNotAFailure() throws {
        let dir = TestFiles.tempDir(self, "infeasible")
        let (spec, runs) = try plan()
        let impossible = Set(runs.filter { $0.run.filters == [16] && $0.run.model.rawValue == "dmn" }.map(\.id))
        XCTAssertFalse(impossible.isEmpty)
        let first = try runner(dir, spec, executor: FakeExecutor(infeasibleIds: impossible)).run(runs)
        XCTAssertEqual(first.executedInfeasible, impossible.count)
        XCTAssertEqual(first.executedFailed, 0)
        XCTAssertEqual(first.exitCode, 0, "an infeasible configuration is a result, not a failure")
        XCTAssertTrue(first.description.contains("\(impossible.count) infeasible"), first.description)
        let status = Tables.column("status", of: dir), reason = Tables.column("reason", of: dir)
        for id in impossible {
            XCTAssertEqual(status[id], "infeasible")
            XCTAssertEqual(reason[id], "fake: 16 filters cannot be met")
            XCTAssertEqual(ExperimentRunner.state(of: id, in: ResultFolder(dir)), .infeasible)
        }
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        o.retryFailed = true
        let counter = Counter()
        let again = try ExperimentRunner(executor: FakeExecutor(onExecute: { counter.add($0) }), folder: ResultFolder(dir),
                                         options: o, progress: SilentProgress()).run(runs)
        XCTAssertEqual(again.skippedInfeasible, impossible.count)
        XCTAssertTrue(counter.counts.isEmpty, "rerun executed \(counter.counts)")
        XCTAssertEqual(again.exitCode, 0)
    }

    /// The DMN builder throws the distinct error type for "cannot build K filters", so the
    /// runner can tell it from a fault.
    func testFilterCountThatCannotBeMetIsInfeasibleConfiguration() throws {
        let id = try plan().1[0]
        let executor = FakeExecutor(infeasibleIds: [id.id])
        XCTAssertThrowsError(try executor.execute(id.run, dataDirectory: URL(fileURLWithPath: "/"), threads: .serial, progress: { _ in })) {
            XCTAssertTrue($0 is InfeasibleConfiguration)
        }
    }

    // MARK: full disk

    /// Mounts a tmpfs of `kilobytes` at a new folder (root only); nil when that is not possible.
    func smallFileSystem(kilobytes: Int, readOnly: Bool = false) throws -> URL? {
        guard getuid() == 0 else { return nil }
        let dir = TestFiles.tempDir(self, "mnt")
        let options = "size=\(kilobytes)k" + (readOnly ? ",ro" : "")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/mount")
        p.arguments = ["-t", "tmpfs", "-o", options, "tmpfs", dir.path]
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        addTeardownBlock {
            let u = Process()
            u.executableURL = URL(fileURLWithPath: "/bin/umount")
            u.arguments = ["-l", dir.path]
            try? u.run(); u.waitUntilExit()
        }
        return dir
    }

    /// Before: on a 200 KB tmpfs, runs were reported ok whose files never reached the disk,
    /// the sweep went on, and the final table rebuild threw before any summary. Now every run
    /// reported finished is on disk and parses, the sweep stops at the first write error (at
    /// most the runs in flight are executed after it), the summary names the error, exit 73.
    func testFullDiskStopsTheSweepAndLosesNoReportedRun() throws {
        guard let mnt = try smallFileSystem(kilobytes: 120) else {
            throw XCTSkip("needs root to mount a small tmpfs; the full-disk trial is skipped")
        }
        let (spec, runs) = try plan()
        let out = mnt.appendingPathComponent("out")
        let recorder = Recorder(), counter = Counter()
        let executor = FakeExecutor(onExecute: { counter.add($0) })
        let summary = try runner(out, spec, executor: executor, jobs: 2, progress: recorder).run(runs)
        XCTAssertNotNil(summary.writeError, "120 KB cannot hold \(runs.count) runs and their tables")
        XCTAssertTrue(summary.writeError?.contains("No space left on device") == true, summary.writeError ?? "")
        XCTAssertEqual(summary.exitCode, ExitStatus.outputFolder)
        XCTAssertNotNil(recorder.ended, "no summary was printed")
        XCTAssertLessThan(recorder.finished.count, runs.count)
        for r in recorder.finished {
            let onDisk = ResultFolder(out).record(r.runId)
            XCTAssertEqual(onDisk, r, "run \(r.runId) was reported finished but is not on disk as reported")
        }
        XCTAssertEqual(summary.executedOk, recorder.finished.count)
        let executed = counter.counts.values.reduce(0, +)
        XCTAssertLessThanOrEqual(executed, recorder.finished.count + 2 + 1,
                                 "runs kept starting after the disk was full: \(executed) executed, \(recorder.finished.count) written")
        let ids = ResultFolder(out).runIds()
        for id in ids { XCTAssertNotNil(ResultFolder(out).record(id), "\(id) does not parse") }
    }

    // MARK: read-only folder

    /// Before: a raw `NSCocoaErrorDomain Code=642` and exit 1. Now the folder and the reason
    /// are named and the exit status is 73, distinct from "a run failed".
    func testReadOnlyOutputFolderIsNamedWithItsOwnExitStatus() throws {
        guard let mnt = try smallFileSystem(kilobytes: 64, readOnly: true) else {
            throw XCTSkip("needs root to mount a read-only tmpfs; the read-only trial is skipped")
        }
        let dir = TestFiles.tempDir(self, "ro")
        TestFiles.write(Self.specJSON, "faults.json", in: dir)
        let out = mnt.appendingPathComponent("out").path
        let r = try ReproBinary.run(["run", "faults.json", "--out", out], cwd: dir)
        XCTAssertEqual(r.status, ExitStatus.outputFolder, r.stderr)
        XCTAssertTrue(r.stderr.contains(out), r.stderr)
        XCTAssertTrue(r.stderr.contains("Read-only file system"), r.stderr)
        XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
    }

    // MARK: concurrent invocations

    /// Before: two runners into one folder both executed every run. Now each run is executed
    /// by exactly one of them, and together they leave every run done.
    func testConcurrentInvocationsSplitTheWork() throws {
        let dir = TestFiles.tempDir(self, "concurrent")
        let (spec, runs) = try plan()
        let counter = Counter()
        let executor = FakeExecutor(delay: 0.01, onExecute: { counter.add($0) })
        let a = runner(dir, spec, executor: executor), b = runner(dir, spec, executor: executor)
        let summaries = LockedSummaries()
        // Two threads of their own, released together: `concurrentPerform` may run both
        // iterations one after the other on the calling thread when no pool thread is free
        // (it did on a busy 2-core CI machine), and then the first invocation does all the work.
        let go = DispatchSemaphore(value: 0), done = DispatchGroup()
        for r in [a, b] {
            done.enter()
            Thread.detachNewThread {
                go.wait()
                if let s = try? r.run(runs) { summaries.add(s) }
                done.leave()
            }
        }
        go.signal(); go.signal()
        done.wait()
        let all = summaries.all
        XCTAssertEqual(all.count, 2)
        let twice = counter.counts.filter { $0.value > 1 }
        XCTAssertTrue(twice.isEmpty, "executed by both invocations: \(twice)")
        XCTAssertEqual(Set(Tables.assertParseable(dir)), Set(runs.map(\.id)))
        XCTAssertEqual(all.map(\.executedOk).reduce(0, +), runs.count)
        XCTAssertGreaterThan(all.map(\.executedOk).min() ?? 0, 0, "one invocation did all the work")
    }

    /// The summaries of runners on several threads.
    private final class LockedSummaries: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [RunSummary] = []
        func add(_ s: RunSummary) { lock.lock(); list.append(s); lock.unlock() }
        var all: [RunSummary] { lock.lock(); defer { lock.unlock() }; return list }
    }

    // MARK: signals

    /// Before: SIGINT/SIGTERM killed the process without a word. Now it stops: the summary and
    /// how to resume are printed, provenance.json has its end, the files parse, every run
    /// reported ok is on disk, and the exit status is 128 + the signal.
    func testSignalsStopCleanlyAndResume() throws {
        try FashionMNIST.require()
        for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            let dir = TestFiles.tempDir(self, "signal")
            TestFiles.write(EndToEndTests.spec, "e2e.json", in: dir)
            let out = dir.appendingPathComponent("out")
            let p = try ReproBinary.start(["run", "e2e.json", "--out", "out"], cwd: dir)
            let deadline = Date().addingTimeInterval(300)
            while p.process.isRunning && ResultFolder(out).runIds().count < 2 && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            XCTAssertTrue(p.process.isRunning, "the sweep ended before the \(name)")
            kill(p.process.processIdentifier, signal)
            p.process.waitUntilExit()
            let err = p.stderr()
            XCTAssertEqual(p.process.terminationReason, .exit, "\(name) killed the process: \(err)")
            XCTAssertEqual(p.process.terminationStatus, 128 + signal, err)
            XCTAssertTrue(err.contains(name), err)
            XCTAssertTrue(err.contains("planned"), "no summary: \(err)")
            XCTAssertTrue(err.contains("resume"), err)
            let ids = Set(Tables.assertParseable(out))
            for line in err.split(separator: "\n") where line.contains("] ok ") {
                let id = line.split(separator: " ")[2]
                XCTAssertTrue(ids.contains(String(id)), "\(id) was reported ok but is not on disk")
            }
            let prov = try JSONSerialization.jsonObject(with: Data(contentsOf: ResultFolder(out).provenanceFile)) as? [String: Any]
            XCTAssertNotNil(prov?["finished"] as? String, "provenance.json has no end time")
            let resume = try ReproBinary.run(["run", "e2e.json", "--out", "out", "--quiet"], cwd: dir)
            XCTAssertEqual(resume.status, 0, resume.stderr)
            XCTAssertEqual(Tables.assertParseable(out).count, EndToEndTests.runCount)
        }
    }

    // MARK: merge

    /// Before: merge accepted a run file whose seed had been edited. Now the id must be the
    /// hash of the parameters, else nothing is merged and the file is named.
    func testMergeRefusesARunFileWhoseIdDoesNotMatchItsParameters() throws {
        let root = TestFiles.tempDir(self, "tampered")
        let (spec, runs) = try plan()
        let a = root.appendingPathComponent("a")
        _ = try runner(a, spec, executor: FakeExecutor()).run(Array(runs.prefix(2)))
        var r = ResultFolder(a).record(runs[1].id)!
        r.run.seed += 1000
        try AtomicFile.write(try r.encoded(), to: ResultFolder(a).runFile(runs[1].id))
        let out = root.appendingPathComponent("out")
        XCTAssertThrowsError(try ResultMerger.merge(sources: [a], into: out)) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains(ResultFolder(a).runFile(runs[1].id).path), msg)
            XCTAssertTrue(msg.contains("its parameters hash to"), msg)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a refused merge wrote something")
    }

    /// Before: a conflict between two copies that differ elsewhere than test_acc showed two
    /// identical numbers. Now the message names each field that differs, with both values.
    func testMergeConflictNamesTheFieldThatDiffers() throws {
        let root = TestFiles.tempDir(self, "conflict-field")
        let (spec, runs) = try plan()
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        _ = try runner(a, spec, executor: FakeExecutor()).run(Array(runs.prefix(1)))
        _ = try runner(b, spec, executor: FakeExecutor()).run(Array(runs.prefix(1)))
        var r = ResultFolder(b).record(runs[0].id)!
        let before = r.outcome!.trainAccuracy
        r.outcome!.trainAccuracy = before + 0.125
        try AtomicFile.write(try r.encoded(), to: ResultFolder(b).runFile(runs[0].id))
        XCTAssertThrowsError(try ResultMerger.merge(sources: [a, b], into: root.appendingPathComponent("out"))) { e in
            let msg = String(describing: e)
            XCTAssertTrue(msg.contains("outcome.trainAccuracy"), msg)
            XCTAssertTrue(msg.contains("\(before + 0.125)"), msg)
            XCTAssertFalse(msg.contains("outcome.testAccuracy"), "test_acc is equal in both copies: \(msg)")
        }
    }

    // MARK: thread layout

    /// Results are bit-identical only for the same thread layout and BLAS kernels (issue #10,
    /// item 6), so each run file records them.
    func testRunFileRecordsTheComputeLayout() throws {
        let dir = TestFiles.tempDir(self, "layout")
        let (spec, runs) = try plan()
        var o = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        o.jobs = 2; o.threads = ThreadLayout(workers: 3, blasThreads: 1)
        _ = try ExperimentRunner(executor: FakeExecutor(), folder: ResultFolder(dir), options: o, progress: SilentProgress())
            .run(Array(runs.prefix(2)))
        let layout = ResultFolder(dir).record(runs[0].id)?.layout
        XCTAssertEqual(layout?.jobs, 2)
        XCTAssertEqual(layout?.blasThreads, 1)
        XCTAssertEqual(layout?.workers, 3)
        XCTAssertFalse(layout?.blasCore.isEmpty ?? true)
    }
}
