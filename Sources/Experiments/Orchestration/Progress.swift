import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the runner reports what it does. All methods may be called from any thread.
public protocol ProgressSink: AnyObject, Sendable {
    /// `total` runs will be executed now; `skipped` were already done.
    func begin(total: Int, skipped: Int)
    func started(_ run: PlannedRun)
    func progress(_ run: PlannedRun, _ p: RunProgress)
    func finished(_ record: RunRecord)
    /// A line for the user (warnings and the like).
    func message(_ text: String)
    func end(summary: RunSummary)
}

public enum ProgressReporting {
    /// A single updating line on a terminal, plain log lines otherwise, nothing when quiet.
    public static func make(quiet: Bool) -> ProgressSink {
        if quiet { return SilentProgress() }
        return isatty(STDERR_FILENO) != 0 ? TerminalProgress() : LogProgress()
    }

    static func label(_ run: PlannedRun) -> String {
        "\(run.id) \(run.run.model.rawValue)/\(run.run.dataset.rawValue) filters \(run.run.filters.isEmpty ? "-" : run.run.filters.map(String.init).joined(separator: ",")) seed \(run.run.seed)"
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, s >= 0 else { return "?" }
        if s < 60 { return String(format: "%.1fs", s) }
        let t = Int(s.rounded())
        if t < 3600 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t / 3600)h\(String(format: "%02d", (t % 3600) / 60))m"
    }

    static func accuracy(_ v: Double) -> String { v.isNaN ? "nan" : String(format: "%.4f", v) }

    static func writeErr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}

final class SilentProgress: ProgressSink, @unchecked Sendable {
    init() {}
    func begin(total: Int, skipped: Int) {}
    func started(_ run: PlannedRun) {}
    func progress(_ run: PlannedRun, _ p: RunProgress) {}
    func finished(_ record: RunRecord) {}
    func message(_ text: String) {}
    func end(summary: RunSummary) {}
}

/// One line per run start and finish, for logs and pipes.
final class LogProgress: ProgressSink, @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var startedCount = 0
    init() {}

    func begin(total: Int, skipped: Int) {
        lock.lock(); self.total = total; lock.unlock()
        ProgressReporting.writeErr("repro: \(total) run\(total == 1 ? "" : "s") to do, \(skipped) already done\n")
    }
    func started(_ run: PlannedRun) {
        lock.lock(); startedCount += 1; let n = startedCount; let t = total; lock.unlock()
        ProgressReporting.writeErr("[\(n)/\(t)] start \(ProgressReporting.label(run))\n")
    }
    func progress(_ run: PlannedRun, _ p: RunProgress) {}
    func finished(_ record: RunRecord) {
        lock.lock(); done += 1; let n = done; let t = total; lock.unlock()
        let secs = ProgressReporting.duration(record.timings.totalSeconds)
        if record.status == .ok, let o = record.outcome {
            ProgressReporting.writeErr("[\(n)/\(t)] ok    \(record.runId) test_acc \(ProgressReporting.accuracy(o.testAccuracy)) train_acc \(ProgressReporting.accuracy(o.trainAccuracy)) \(secs)\n")
        } else if record.status == .infeasible {
            ProgressReporting.writeErr("[\(n)/\(t)] infeasible \(record.runId): \(record.reason ?? "unknown reason")\n")
        } else {
            ProgressReporting.writeErr("[\(n)/\(t)] FAILED \(record.runId) after \(secs): \(record.reason ?? "unknown reason")\n")
        }
    }
    func message(_ text: String) { ProgressReporting.writeErr(text + "\n") }
    func end(summary: RunSummary) { ProgressReporting.writeErr(summary.description + "\n") }
}

/// A single line on the terminal, redrawn in place at most ten times a second.
final class TerminalProgress: ProgressSink, @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var failed = 0
    private var inFlight: [String: (run: PlannedRun, p: RunProgress?)] = [:]
    private var lastActive: String?
    private var begun = Date()
    private var lastDraw = Date.distantPast
    private let width: Int

    init() {
        width = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }

    func begin(total: Int, skipped: Int) {
        lock.lock(); defer { lock.unlock() }
        self.total = total; begun = Date()
        ProgressReporting.writeErr("repro: \(total) run\(total == 1 ? "" : "s") to do, \(skipped) already done\n")
    }
    func started(_ run: PlannedRun) {
        lock.lock(); defer { lock.unlock() }
        inFlight[run.id] = (run, nil); lastActive = run.id
        draw(force: true)
    }
    func progress(_ run: PlannedRun, _ p: RunProgress) {
        lock.lock(); defer { lock.unlock() }
        inFlight[run.id] = (run, p); lastActive = run.id
        draw(force: false)
    }
    func finished(_ record: RunRecord) {
        lock.lock(); defer { lock.unlock() }
        inFlight[record.runId] = nil
        done += 1
        if record.status == .infeasible {
            clear()
            ProgressReporting.writeErr("infeasible \(record.runId): \(record.reason ?? "unknown reason")\n")
        } else if record.status != .ok {
            failed += 1
            clear()
            ProgressReporting.writeErr("FAILED \(record.runId): \(record.reason ?? "unknown reason")\n")
        }
        if lastActive == record.runId { lastActive = inFlight.keys.sorted().first }
        draw(force: true)
    }
    func message(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        clear()
        ProgressReporting.writeErr(text + "\n")
        draw(force: true)
    }
    func end(summary: RunSummary) {
        lock.lock(); defer { lock.unlock() }
        clear()
        ProgressReporting.writeErr(summary.description + "\n")
    }

    private func clear() { ProgressReporting.writeErr("\r\u{1B}[K") }

    private func draw(force: Bool) {
        let now = Date()
        if !force && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        var line = "[\(done)/\(total)"
        if failed > 0 { line += ", \(failed) failed" }
        line += "]"
        if let id = lastActive, let cur = inFlight[id] {
            line += " \(cur.run.id) \(cur.run.run.model.rawValue)/\(cur.run.run.dataset.rawValue)"
            if let p = cur.p {
                line += " \(p.phase)"
                if p.epochs > 0 && p.epoch > 0 { line += " epoch \(p.epoch)/\(p.epochs)" }
                line += String(format: " %3.0f%%", p.fraction * 100)
            }
            if inFlight.count > 1 { line += " (+\(inFlight.count - 1) more)" }
        }
        let work = Double(done) + inFlight.values.reduce(0) { $0 + min(1, max(0, $1.p?.fraction ?? 0)) }
        let elapsed = now.timeIntervalSince(begun)
        if work > 0.02 && total > 0 {
            line += " ETA " + ProgressReporting.duration(elapsed / work * (Double(total) - work))
        }
        if line.count > width - 1 { line = String(line.prefix(max(10, width - 1))) }
        ProgressReporting.writeErr("\r\u{1B}[K" + line)
    }
}
