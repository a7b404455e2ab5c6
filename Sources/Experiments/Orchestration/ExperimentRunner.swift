import Foundation

/// The state of a planned run in an output folder.
public enum RunState: String, Sendable {
    case done, failed, pending
}

public struct RunSummary: Sendable, CustomStringConvertible {
    public var planned = 0
    public var skippedOk = 0
    public var skippedFailed = 0
    public var executedOk = 0
    public var executedFailed = 0
    public var seconds = 0.0
    public init() {}

    /// Runs of the plan whose latest record is failed (new failures and old ones not retried).
    public var failed: Int { executedFailed + skippedFailed }
    /// 0 when every run of the plan is ok, 1 when any failed.
    public var exitCode: Int32 { failed > 0 ? 1 : 0 }

    public var description: String {
        var s = "repro: \(planned) planned: \(executedOk + executedFailed) executed (\(executedOk) ok, \(executedFailed) failed), "
        s += "\(skippedOk) already done"
        if skippedFailed > 0 { s += ", \(skippedFailed) failed earlier (not retried; use --retry-failed)" }
        s += " in " + ProgressReporting.duration(seconds)
        return s
    }
}

public struct RunnerOptions: Sendable {
    public var jobs: Int = 1
    public var retryFailed = false
    public var dataDirectory: URL
    public var spec: SpecReference
    public var shard: Shard? = nil
    public var blasThreads: Int = 1
    /// Which runs save their layers' weights beside the run file (see `WeightSaving`).
    public var weights: WeightSaving = .auto
    public init(dataDirectory: URL, spec: SpecReference) {
        self.dataDirectory = dataDirectory; self.spec = spec
    }
}

/// Runs a plan into an output folder: skips what is done, executes the rest on `jobs`
/// threads, writes each run's file atomically as it finishes and rebuilds the tables.
public final class ExperimentRunner: @unchecked Sendable {
    public let executor: any RunExecutor
    public let folder: ResultFolder
    public let options: RunnerOptions
    public let sink: ProgressSink
    private let tables: ResultTables

    public init(executor: any RunExecutor, folder: ResultFolder, options: RunnerOptions, progress: ProgressSink) {
        self.executor = executor; self.folder = folder; self.options = options; self.sink = progress
        self.tables = ResultTables(folder: folder)
    }

    public var executorName: String { String(describing: type(of: executor)) }

    /// done (ok file), failed (failed file), or pending (no readable file).
    public static func state(of id: String, in folder: ResultFolder) -> RunState {
        guard FileManager.default.fileExists(atPath: folder.runFile(id).path) else { return .pending }
        guard let r = folder.record(id) else { return .pending }
        // A run file that names weight files is done only with all of them there.
        if r.status == .ok, let w = r.weights, !w.isComplete(in: folder.runsDirectory) { return .pending }
        return r.status == .ok ? .done : .failed
    }

    public func run(_ plan: [PlannedRun]) throws -> RunSummary {
        let t0 = Date()
        try folder.create()
        AtomicFile.removeStaleTemps(in: folder.runsDirectory)
        AtomicFile.removeStaleTemps(in: folder.url)

        var summary = RunSummary()
        summary.planned = plan.count
        var todo: [PlannedRun] = []
        for p in plan {
            switch ExperimentRunner.state(of: p.id, in: folder) {
            case .done: summary.skippedOk += 1
            case .failed:
                if options.retryFailed { todo.append(p) } else { summary.skippedFailed += 1 }
            case .pending:
                if FileManager.default.fileExists(atPath: folder.runFile(p.id).path) {
                    sink.message("warning: \(folder.runFile(p.id).path) is unreadable; running it again")
                }
                todo.append(p)
            }
        }

        var provenance = Provenance(specFile: options.spec.file, specName: options.spec.name, specHash: options.spec.hash,
                                    blasThreads: options.blasThreads, jobs: options.jobs, shard: options.shard?.description,
                                    executor: executorName, runsPlanned: plan.count,
                                    runsSkipped: summary.skippedOk + summary.skippedFailed)
        try provenance.write(to: folder)
        try tables.rebuild()

        sink.begin(total: todo.count, skipped: summary.skippedOk + summary.skippedFailed)

        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var ok = 0
            var failed = 0
            var writeErrors: [String] = []
        }
        let shared = Shared()
        let queue = todo
        let workers = max(1, min(options.jobs, queue.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    shared.lock.lock()
                    guard shared.next < queue.count else { shared.lock.unlock(); return }
                    let item = queue[shared.next]
                    shared.next += 1
                    shared.lock.unlock()
                    let record = self.execute(item)
                    do {
                        try AtomicFile.write(try record.encoded(), to: self.folder.runFile(item.id))
                        try self.tables.rebuild()
                    } catch {
                        shared.lock.lock(); shared.writeErrors.append(String(describing: error)); shared.lock.unlock()
                    }
                    shared.lock.lock()
                    if record.status == .ok { shared.ok += 1 } else { shared.failed += 1 }
                    shared.lock.unlock()
                    self.sink.finished(record)
                }
            }
            thread.stackSize = 64 << 20  // deep recursion in model code should not overflow
            thread.start()
        }
        group.wait()
        let ok = shared.ok, failed = shared.failed, writeErrors = shared.writeErrors

        summary.executedOk = ok
        summary.executedFailed = failed
        summary.seconds = Date().timeIntervalSince(t0)
        try tables.rebuild()
        provenance.finished = ISOTime.now()
        provenance.runsOk = ok
        provenance.runsFailed = failed
        try provenance.write(to: folder)
        if !writeErrors.isEmpty { throw RunnerError.cannotWrite(writeErrors) }
        sink.end(summary: summary)
        return summary
    }

    /// Executes one run, turning any thrown error (or a non-finite loss that slipped
    /// through) into a failed record.
    func execute(_ item: PlannedRun) -> RunRecord {
        sink.started(item)
        let start = Date()
        let startText = ISOTime.string(start)
        var outcome: RunOutcome? = nil
        var reason: String? = nil
        var manifest: WeightManifest? = nil
        do {
            let o: RunOutcome
            if options.weights.wants(item.run), let saver = executor as? any WeightSavingExecutor {
                let r = try saver.execute(item.run, dataDirectory: options.dataDirectory, saveWeights: true) { [sink] p in
                    sink.progress(item, p)
                }
                o = r.outcome
                if let w = r.weights, options.weights.keeps(w) { manifest = try WeightFiles.write(w, id: item.id, in: folder) }
            } else {
                o = try executor.execute(item.run, dataDirectory: options.dataDirectory) { [sink] p in
                    sink.progress(item, p)
                }
            }
            if let bad = o.history.first(where: { !$0.loss.isFinite }) {
                reason = "loss became \(bad.loss) at epoch \(bad.epoch)"
            } else {
                outcome = o
            }
        } catch {
            let text = String(describing: error)
            reason = text.isEmpty ? "\(type(of: error))" : text
        }
        let end = Date()
        var record = RunRecord(runId: item.id, status: reason == nil ? .ok : .failed, reason: reason, spec: options.spec,
                               run: item.run, outcome: outcome,
                               timings: RunTimings(started: startText, finished: ISOTime.string(end),
                                                   totalSeconds: end.timeIntervalSince(start)),
                               executor: executorName)
        if reason == nil { record.weights = manifest }
        return record
    }
}

public enum RunnerError: Error, CustomStringConvertible {
    case cannotWrite([String])
    public var description: String {
        switch self { case .cannotWrite(let e): return "could not write results: " + e.joined(separator: "; ") }
    }
}
