import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT (Ctrl-C) and SIGTERM into a call of a handler on a dispatch queue instead of
/// killing the process. `installProcessWide()` is the first thing `repro` does, so that a
/// signal at any moment ends the process with a message and 128 + the signal, never silently;
/// until a runner registers its own handler (an `Interruption`), the default one says that
/// nothing was started, lets the files being written finish (`AtomicFile.seal`) and exits.
/// A handler runs once; later signals are ignored while it works (it ends by exiting).
final class Interruption: @unchecked Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM]

    private static let lock = NSLock()
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var handler: (@Sendable (Int32) -> Void)? = nil
    nonisolated(unsafe) private static var fired = false

    static func name(_ signal: Int32) -> String {
        signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
    }

    /// The conventional exit status of a process stopped by `signal`: 128 + its number.
    static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    /// Catches SIGINT and SIGTERM for the rest of the process (idempotent).
    static func installProcessWide() {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        let queue = DispatchQueue(label: "repro.interruption")
        for s in signals {
            signal(s, SIG_IGN)   // the dispatch source sees the signal; the default action must not
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { deliver(s) }
            source.resume()
            sources.append(source)
        }
    }

    private static func deliver(_ s: Int32) {
        lock.lock()
        if fired { lock.unlock(); return }
        fired = true
        let h = handler
        lock.unlock()
        if let h { h(s) } else { stopBeforeAnyRun(s) }
    }

    /// The default handler: no runner is executing runs, so nothing is abandoned.
    private static func stopBeforeAnyRun(_ s: Int32) {
        FileHandle.standardError.write(Data("\n\(name(s)): stopped\n".utf8))
        AtomicFile.seal()
        exit(exitStatus(s))
    }

    /// Makes `handler` the one that runs on the next SIGINT/SIGTERM (installing the catching
    /// if `installProcessWide` was not called).
    init(handler: @escaping @Sendable (Int32) -> Void) {
        Interruption.installProcessWide()
        Interruption.lock.lock()
        Interruption.handler = handler
        Interruption.lock.unlock()
    }

    /// Stops the handler from running from now on. Returns true when it has already run (it
    /// ends the process: the caller must not finish on its own, or the two race).
    func disarm() -> Bool {
        Interruption.lock.lock(); defer { Interruption.lock.unlock() }
        let alreadyFired = Interruption.fired
        Interruption.fired = true
        return alreadyFired
    }

    /// The run is over: the default handler is back.
    func cancel() {
        Interruption.lock.lock(); defer { Interruption.lock.unlock() }
        Interruption.handler = nil
        Interruption.fired = false
    }
}

/// The process-wide signal catching `repro` installs first (see `Interruption`).
public enum ProcessSignals {
    public static func install() { Interruption.installProcessWide() }
}
