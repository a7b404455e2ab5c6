import Foundation
import Models
import Numerics

/// The state of a planned run in an output folder.
public enum RunState: String, Sendable {
    case done, failed, infeasible, pending
}

public struct RunSummary: Sendable, CustomStringConvertible {
    var planned = 0
    var skippedOk = 0
    var skippedFailed = 0
    var skippedInfeasible = 0
    var executedOk = 0
    var executedFailed = 0
    var executedInfeasible = 0
    /// Runs another process held the claim of (see `RunLock`); not executed here.
    var busy = 0
    /// Why the sweep stopped early because the output folder could not be written, if it did.
    var writeError: String? = nil
    /// The signal that stopped the sweep, if one did.
    var interrupted: Int32? = nil
    var seconds = 0.0
    init() {}

    /// Runs of the plan whose latest record is failed (new failures and old ones not retried).
    var failed: Int { executedFailed + skippedFailed }

    /// 128 + signal when interrupted; 73 when the output folder could not be written; 1 when
    /// any run failed; 75 when some runs were left to another process; else 0. Infeasible runs
    /// are results, not failures.
    public var exitCode: Int32 {
        if let s = interrupted { return Interruption.exitStatus(s) }
        if writeError != nil { return ExitStatus.outputFolder }
        if failed > 0 { return ExitStatus.runFailed }
        if busy > 0 { return ExitStatus.busy }
        return 0
    }

    public var description: String {
        var s = "repro: \(planned) planned: \(executedOk + executedFailed + executedInfeasible) executed (\(executedOk) ok, \(executedFailed) failed"
        if executedInfeasible > 0 { s += ", \(executedInfeasible) infeasible" }
        s += "), \(skippedOk) already done"
        if skippedInfeasible > 0 { s += ", \(skippedInfeasible) infeasible earlier" }
        if skippedFailed > 0 { s += ", \(skippedFailed) failed earlier (not retried; use --retry-failed)" }
        if busy > 0 { s += ", \(busy) being run by another process" }
        s += " in " + ProgressReporting.duration(seconds)
        return s
    }
}

/// The exit statuses of `repro` (README.md, "Exit status").
public enum ExitStatus {
    static let runFailed: Int32 = 1
    static let badSpec: Int32 = 2
    static let usage: Int32 = 64
    /// EX_CANTCREAT: the output folder cannot be created or written (read-only, full disk).
    public static let outputFolder: Int32 = 73
    /// EX_TEMPFAIL: runs of the plan are being executed by another process.
    static let busy: Int32 = 75
}

public struct RunnerOptions: Sendable {
    public var jobs: Int = 1
    public var retryFailed = false
    var dataDirectory: URL
    var spec: SpecReference
    public var shard: Shard? = nil
    /// How each run spreads over threads, planned once for the process (`ThreadPlan`);
    /// OpenBLAS's count is set to it before the runner starts and nothing changes it after.
    public var threads: ThreadLayout = .serial
    /// Stop cleanly on SIGINT/SIGTERM (tables, summary, exit 130/143). Only the CLI sets it:
    /// it ends the process.
    public var handleSignals = false
    /// Which runs save their layers' weights beside the run file (see `WeightSaving`).
    public var weights: WeightSaving = .auto
    /// Whether the executor reuses the DMN layers' spectra (`--pca-cache`), recorded in
    /// provenance.json (build times depend on it); nil when the executor has no such cache.
    public var pcaCache: PCACacheMode? = nil
    public init(dataDirectory: URL, spec: SpecReference) {
        self.dataDirectory = dataDirectory; self.spec = spec
    }
}

/// Runs a plan into an output folder: skips what is done, executes the rest on `jobs`
/// threads, writes each run's file atomically and durably as it finishes (only then reports
/// it) and rebuilds the tables. The first write error stops the sweep: no new run starts.
public final class ExperimentRunner: @unchecked Sendable {
    let executor: any RunExecutor
    let folder: ResultFolder
    let options: RunnerOptions
    let sink: ProgressSink
    private let tables: ResultTables

    public init(executor: any RunExecutor, folder: ResultFolder, options: RunnerOptions, progress: ProgressSink) {
        self.executor = executor; self.folder = folder; self.options = options; self.sink = progress
        self.tables = ResultTables(folder: folder)
    }

    var executorName: String { String(describing: type(of: executor)) }

    /// done (ok file), failed, infeasible, or pending (no file, or one that is not a result:
    /// see `ResultFolder.check`).
    static func state(of id: String, in folder: ResultFolder) -> RunState {
        state(of: folder.check(id))
    }

    /// The state a checked run file gives its run; `problem` says why a file that exists
    /// does not count (nil when none does).
    public static func state(of check: RunFileCheck) -> RunState {
        switch check {
        case .missing, .invalid: return .pending
        // A run file that names weight files is done only with all of them there.
        case .valid(_, .some): return .pending
        case .valid(let r, nil):
            switch r.status {
            case .ok: return .done
            case .failed: return .failed
            case .infeasible: return .infeasible
            }
        }
    }

    /// Why an existing run file does not make its run done, failed or infeasible (nil when
    /// there is no file or it does).
    public static func problem(of check: RunFileCheck) -> String? {
        switch check {
        case .missing, .valid(_, nil): return nil
        case .valid(_, let weightProblem?): return weightProblem
        case .invalid(let why): return why
        }
    }

    /// State shared by the worker threads and the signal handler.
    private final class Shared: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var stopping = false
        /// Held while a finished run is written, counted and reported, and by the signal
        /// handler from the moment it fires until the process ends: a run that finishes
        /// around a signal is either recorded and counted before the handler writes the
        /// tables, or discarded (redone on resume).
        let commit = NSLock()
        var inFlight = 0
        var summary = RunSummary()
        var provenance: Provenance
        /// False when this invocation runs nothing and the folder has a provenance already:
        /// that one describes the invocation that made the runs and is kept.
        let writesProvenance: Bool
        init(provenance: Provenance, writesProvenance: Bool) { self.provenance = provenance; self.writesProvenance = writesProvenance }

        func locked<T>(_ body: (Shared) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(self) }
    }

    public func run(_ plan: [PlannedRun]) throws -> RunSummary {
        let t0 = Date()
        try OutputFolderError.guarding(folder.url.path, "create the output folder") { try folder.create() }
        AtomicFile.removeStaleTemps(in: folder.runsDirectory)
        AtomicFile.removeStaleTemps(in: folder.url)
        // A kill while a run's weights were written leaves temp files in its weights folder.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.runsDirectory.path)) ?? []
        where name.hasSuffix(".weights") {
            AtomicFile.removeStaleTemps(in: folder.runsDirectory.appendingPathComponent(name, isDirectory: true))
        }
        // Run files that are not results (unparseable, ok without an outcome, an id or
        // parameters that do not match the name) are set aside, named, and their runs redone.
        for line in try OutputFolderError.guarding(folder.url.path, "set aside run files that are not results", {
            try tables.quarantineInvalid()
        }) {
            sink.message("warning: " + line)
        }

        var summary = RunSummary()
        summary.planned = plan.count
        let todo = selectPending(plan, into: &summary)
        let skipped = summary.skippedOk + summary.skippedFailed + summary.skippedInfeasible
        var provenance = Provenance(specFile: options.spec.file, specName: options.spec.name, specHash: options.spec.hash,
                                    threads: options.threads, jobs: options.jobs, shard: options.shard?.description,
                                    executor: executorName, runsPlanned: plan.count, runsSkipped: skipped)
        provenance.pcaCache = options.pcaCache
        // A call with nothing left to run changes nothing: resuming a finished folder must not
        // replace the provenance of the invocation that made its runs with its own.
        let writesProvenance = !todo.isEmpty || !FileManager.default.fileExists(atPath: folder.provenanceFile.path)
        try OutputFolderError.guarding(folder.url.path, "write to the output folder") {
            if writesProvenance { try provenance.write(to: folder) }
            try tables.rebuild()
        }
        if provenance.gitDirty == true && !todo.isEmpty {
            sink.message("warning: the working tree has uncommitted changes (commit \(provenance.gitCommit.prefix(12))); "
                + "provenance.json and the report will mark these results as not reproducible from the history. "
                + "Commit first for results you mean to keep.")
        }
        sink.begin(total: todo.count, skipped: skipped)

        let shared = Shared(provenance: provenance, writesProvenance: writesProvenance)
        shared.summary = summary
        let interruption = options.handleSignals
            ? Interruption { [self] signal in self.abandon(shared, signal: signal, since: t0) } : nil
        runWorkers(todo, shared: shared)
        if let i = interruption, i.disarm() {
            // The signal handler is writing the tables and the summary and will end the process.
            while true { sleep(3600) }
        }
        interruption?.cancel()
        return finish(shared, since: t0)
    }

    /// The runs to execute; counts the others into `summary`.
    private func selectPending(_ plan: [PlannedRun], into summary: inout RunSummary) -> [PlannedRun] {
        var todo: [PlannedRun] = []
        for p in plan {
            switch ExperimentRunner.state(of: p.id, in: folder) {
            case .done: summary.skippedOk += 1
            case .infeasible: summary.skippedInfeasible += 1
            case .failed:
                if options.retryFailed { todo.append(p) } else { summary.skippedFailed += 1 }
            case .pending:
                if let problem = ExperimentRunner.problem(of: folder.check(p.id)) {
                    sink.message("warning: \(problem); running it again")
                }
                todo.append(p)
            }
        }
        return todo
    }

    private func runWorkers(_ queue: [PlannedRun], shared: Shared) {
        let workers = max(1, min(options.jobs, queue.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while let item = shared.locked({ s -> PlannedRun? in
                    guard !s.stopping, s.next < queue.count else { return nil }
                    s.next += 1; s.inFlight += 1
                    return queue[s.next - 1]
                }) {
                    self.claimAndExecute(item, shared: shared)
                }
            }
            thread.stackSize = 64 << 20  // deep recursion in model code should not overflow
            thread.start()
        }
        group.wait()
    }

    /// Executes one run unless another process holds its claim or finished it meanwhile, then
    /// writes its file; reports it only once the file is durably on disk.
    private func claimAndExecute(_ item: PlannedRun, shared: Shared) {
        // No longer in flight once it is committed (or, on every other path, on return).
        var committed = false
        defer { if !committed { shared.locked { $0.inFlight -= 1 } } }
        let claim: RunLock
        do {
            guard let c = try RunLock.tryAcquire(item.id, in: folder) else {
                shared.locked { $0.summary.busy += 1 }
                return
            }
            claim = c
        } catch {
            stop(shared, because: "\(error)")
            return
        }
        defer { withExtendedLifetime(claim) {} }
        // Another process may have finished it between our plan and our claim.
        switch ExperimentRunner.state(of: item.id, in: folder) {
        case .done: shared.locked { $0.summary.skippedOk += 1 }; return
        case .infeasible: shared.locked { $0.summary.skippedInfeasible += 1 }; return
        case .failed where !options.retryFailed: shared.locked { $0.summary.skippedFailed += 1 }; return
        case .failed, .pending: break
        }
        let record: RunRecord
        do {
            record = try execute(item)
        } catch {
            // Writing its weights failed (a full disk): not the run's result. It leaves no
            // run file and is redone once there is room.
            stop(shared, because: "\(error)")
            return
        }
        shared.commit.lock(); defer { shared.commit.unlock() }
        // After a signal nothing more is recorded: the handler has counted what was.
        if shared.locked({ $0.summary.interrupted != nil }) { return }
        do {
            try AtomicFile.write(try record.encoded(), to: folder.runFile(item.id))
        } catch {
            stop(shared, because: "\(error)")
            return
        }
        shared.locked { s in
            switch record.status {
            case .ok: s.summary.executedOk += 1
            case .failed: s.summary.executedFailed += 1
            case .infeasible: s.summary.executedInfeasible += 1
            }
            s.inFlight -= 1
        }
        committed = true
        sink.finished(record)
        do { try tables.rebuild() } catch { stop(shared, because: "\(error)") }
    }

    /// A write failed: no new run starts; the first reason is kept for the summary.
    private func stop(_ shared: Shared, because reason: String) {
        let first = shared.locked { s -> Bool in
            s.stopping = true
            // After a signal, a write refused because the process is exiting is no error.
            if s.summary.interrupted != nil { return false }
            if s.summary.writeError == nil { s.summary.writeError = reason; return true }
            return false
        }
        if first { sink.message("error: \(reason); stopping: no new run starts") }
    }

    /// Rebuilds the tables, writes the provenance's end and prints the summary.
    private func finish(_ shared: Shared, since t0: Date) -> RunSummary {
        var summary = shared.locked { $0.summary }
        summary.seconds = Date().timeIntervalSince(t0)
        do {
            try tables.rebuild()
            if shared.writesProvenance {
                var p = shared.locked { $0.provenance }
                p.finished = ISOTime.now()
                p.runsOk = summary.executedOk
                p.runsFailed = summary.executedFailed
                try p.write(to: folder)
            }
        } catch {
            if summary.writeError == nil { summary.writeError = "\(error)" }
        }
        sink.end(summary: summary)
        if let e = summary.writeError {
            sink.message("error: the output folder \(folder.url.path) could not be written (\(e)). "
                + "Every run reported ok above is on disk; make room or fix the folder and run the same command again to resume.")
        }
        return summary
    }

    /// SIGINT/SIGTERM: abandon the runs in flight (they are redone on resume), write the
    /// tables and the summary, say how to resume and exit 128 + signal.
    private func abandon(_ shared: Shared, signal: Int32, since t0: Date) {
        // Held until the process ends: no run is recorded from now on (see `Shared.commit`).
        shared.commit.lock()
        let inFlight = shared.locked { s -> Int in s.stopping = true; s.summary.interrupted = signal; return s.inFlight }
        sink.message("\n\(Interruption.name(signal)): stopping; \(inFlight) run\(inFlight == 1 ? "" : "s") in flight abandoned")
        let summary = finish(shared, since: t0)
        sink.message("interrupted: run the same command again to resume (finished runs are kept, abandoned ones are redone)")
        // Weight files being written finish (complete, without a run file: their run is
        // redone); nothing new starts, so no `.partial` file is left behind.
        AtomicFile.seal()
        exit(summary.exitCode)
    }

    /// Executes one run, turning any error of the run (or a non-finite loss that slipped
    /// through) into a failed record. Throws only when its weights cannot be written: a
    /// write error is the output folder's, never the run's result.
    func execute(_ item: PlannedRun) throws -> RunRecord {
        sink.started(item)
        let start = Date()
        let startText = ISOTime.string(start)
        var outcome: RunOutcome? = nil
        var reason: String? = nil
        var infeasible = false
        var manifest: WeightManifest? = nil
        do {
            // A run that would exhaust memory aborts the process (Swift cannot catch a failed
            // allocation), taking the sweep down: refuse it here as a failed run instead.
            if let problem = Feasibility.problem(item.run) { throw ExecutionRefused(description: problem) }
            let o: RunOutcome
            if options.weights.wants(item.run), let saver = executor as? any WeightSavingExecutor {
                let r = try saver.execute(item.run, dataDirectory: options.dataDirectory, threads: options.threads, saveWeights: true) { [sink] p in
                    sink.progress(item, p)
                }
                o = r.outcome
                if let w = r.weights, options.weights.keeps(w) {
                    do { manifest = try WeightFiles.write(w, id: item.id, in: folder) } catch {
                        throw WeightWriteFailure(path: folder.runsDirectory.appendingPathComponent(WeightFiles.directoryName(for: item.id)).path,
                                                 reason: "\(error)")
                    }
                }
            } else {
                o = try executor.execute(item.run, dataDirectory: options.dataDirectory, threads: options.threads) { [sink] p in
                    sink.progress(item, p)
                }
            }
            if let bad = o.history.first(where: { !$0.loss.isFinite }) {
                reason = "loss became \(bad.loss) at epoch \(bad.epoch)"
            } else {
                outcome = o
            }
        } catch let e as WeightWriteFailure {
            throw e
        } catch let e as InfeasibleConfiguration {
            reason = e.description
            infeasible = true
        } catch {
            let text = String(describing: error)
            reason = text.isEmpty ? "\(type(of: error))" : text
        }
        let end = Date()
        let status: RunStatus = reason == nil ? .ok : infeasible ? .infeasible : .failed
        var record = RunRecord(runId: item.id, status: status, reason: reason, spec: options.spec,
                         run: item.run, outcome: outcome,
                         timings: RunTimings(started: startText, finished: ISOTime.string(end),
                                             totalSeconds: end.timeIntervalSince(start)),
                         executor: executorName)
        record.layout = ComputeLayout(threads: options.threads, blasCore: OpenBLASCore.current, jobs: options.jobs)
        if reason == nil { record.weights = manifest }
        return record
    }
}

/// The weights of a finished run could not be written (a full disk, a read-only folder).
struct WeightWriteFailure: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write the weights of the run into \(path): \(reason)" }
}

/// A run the runner refuses to start (see `Feasibility.problem`).
struct ExecutionRefused: Error, CustomStringConvertible {
    let description: String
}
