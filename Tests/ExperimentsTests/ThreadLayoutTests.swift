@testable import Datasets
import Foundation
import XCTest
@testable import Experiments
import Models
@testable import Numerics

/// OpenBLAS's thread count is process-wide and `repro run --jobs 2` executes two runs at once
/// in one process. The trainer and the DMN builder used to set it to 1 around their parallel
/// sections and restore it, so one run's restore changed the threads of the other in the
/// middle of its section. Now the runner's layout is set once, and the runs never write it.
final class ThreadLayoutTests: XCTestCase {
    /// Runs the real executor's build-and-train path (`ModelRunExecutor.trainModel`: the DMN
    /// builder and the trainer) on generated images, and records the OpenBLAS count each run
    /// sees at every progress report. Each run waits for the other to start, so they overlap.
    final class Probe: @unchecked Sendable {
        let condition = NSCondition()
        var started = 0
        var overlapped: [String: Bool] = [:]
        var seen: [String: Set<Int>] = [:]
        var given: [String: ThreadLayout] = [:]

        func arrive(_ id: String) {
            condition.lock(); defer { condition.unlock() }
            started += 1
            condition.broadcast()
            let deadline = Date().addingTimeInterval(60)
            while started < 2 && condition.wait(until: deadline) {}
            overlapped[id] = started >= 2
        }

        func record(_ id: String, threads: ThreadLayout? = nil) {
            let count = BLAS.threads
            condition.lock(); defer { condition.unlock() }
            seen[id, default: []].insert(count)
            if let threads { given[id] = threads }
        }
    }

    struct GeneratedDataExecutor: RunExecutor {
        let probe: Probe
        let train: ImageDataset
        let test: ImageDataset

        func execute(_ run: ResolvedRun, dataDirectory: URL, threads: ThreadLayout,
                     progress: @escaping @Sendable (RunProgress) -> Void) throws -> RunOutcome {
            let id = RunIdentity.id(of: run)
            probe.record(id, threads: threads)
            probe.arrive(id)
            return try ModelRunExecutor().trainModel(run, train: train, test: test, threads: threads, progress: { [probe] p in
                probe.record(id)
                progress(p)
            })
        }
    }

    /// Images whose classes brighten different bands of rows (so the DMN finds filters).
    static func blobs(count: Int, side: Int, classes: Int, seed: UInt64) -> ImageDataset {
        var rng = SeededRandom(seed: seed)
        var images = [UInt8](repeating: 0, count: count * side * side)
        for i in 0..<count {
            let c = i % classes
            for y in 0..<side { for x in 0..<side {
                let band = (y * classes / side) == c ? 160.0 : 30.0
                images[(i * side + y) * side + x] = UInt8(min(255, max(0, band + 40 * rng.nextGaussian())))
            } }
        }
        return ImageDataset(images: images, labels: (0..<count).map { Int32($0 % classes) }, height: side, width: side,
                            channels: 1, numClasses: classes)
    }

    /// Two runs (a DMN and a ConvNet, each with two workers) execute at once under
    /// `--jobs 2`. Neither writes OpenBLAS's count, a thread watching it throughout sees only
    /// the count set before the runner started, and so does each run at each of its progress
    /// reports. With the old set-to-1-and-restore around every parallel section, the count was
    /// written at every step and the watcher saw it drop to 1.
    func testConcurrentRunsKeepTheLayoutTheyWereGiven() throws {
        let spec = try SpecLoader.load(data: Data("""
            {"name": "threads", "datasets": ["mnist"], "models": ["dmn", "convnet"], "filters": ["4"],
             "seeds": [1], "training": {"epochs": 3, "batchSize": 8}}
            """.utf8), file: "threads.json")
        let plan = spec.plannedRuns()
        XCTAssertEqual(plan.count, 2)
        let savedCount = BLAS.threads
        defer { BLAS.setThreads(savedCount) }
        // A count other than 1 (where the machine has the cores for it), so that a section
        // setting it to 1 would show; the process's layout is set once, here, before the runs.
        BLAS.setThreads(2)
        let layout = ThreadLayout(workers: 2, blasThreads: BLAS.threads)
        let dir = TestFiles.tempDir(self, "threads")
        var options = RunnerOptions(dataDirectory: dir, spec: SpecReference(name: spec.name, hash: spec.hash, file: spec.file))
        options.jobs = 2
        options.threads = layout
        let probe = Probe()
        let executor = GeneratedDataExecutor(probe: probe, train: Self.blobs(count: 320, side: 16, classes: 4, seed: 1),
                                             test: Self.blobs(count: 80, side: 16, classes: 4, seed: 2))

        // Watches the count from its own thread while the runs execute.
        final class Watcher: @unchecked Sendable {
            let lock = NSLock()
            var seen: Set<Int> = []
            var samples = 0
            var running = true
        }
        let watcher = Watcher()
        let watching = Thread {
            while watcher.lock.withLock({ watcher.running }) {
                let count = BLAS.threads
                watcher.lock.withLock { watcher.seen.insert(count); watcher.samples += 1 }
                usleep(100)
            }
        }
        let writesBefore = BLAS.threadCountWriteCount
        watching.start()
        let summary = try ExperimentRunner(executor: executor, folder: ResultFolder(dir), options: options,
                                           progress: SilentProgress()).run(plan)
        watcher.lock.withLock { watcher.running = false }

        XCTAssertEqual(summary.exitCode, 0, summary.description)
        XCTAssertEqual(BLAS.threadCountWriteCount, writesBefore, "a run wrote OpenBLAS's process-wide thread count")
        watcher.lock.withLock {
            XCTAssertGreaterThan(watcher.samples, 10)
            XCTAssertEqual(watcher.seen, [layout.blasThreads], "OpenBLAS's count changed while the runs executed")
        }
        for p in plan {
            XCTAssertEqual(probe.overlapped[p.id], true, "run \(p.run.model) did not execute at the same time as the other")
            XCTAssertEqual(probe.given[p.id], layout, "run \(p.run.model)")
            XCTAssertEqual(probe.seen[p.id], [layout.blasThreads], "run \(p.run.model) saw another OpenBLAS count")
            let record = try XCTUnwrap(ResultFolder(dir).record(p.id))
            XCTAssertEqual(record.status, .ok, record.reason ?? "")
            XCTAssertEqual(record.layout?.workers, 2)
            XCTAssertEqual(record.layout?.blasThreads, layout.blasThreads)
        }
    }
}
