import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT (Ctrl-C) and SIGTERM into a call of `handler` on a dispatch queue instead of
/// killing the process, so the runner can write its tables and summary first. The handler
/// runs once; later signals are ignored while it works (it ends by exiting).
final class Interruption: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var fired = false

    static let signals: [Int32] = [SIGINT, SIGTERM]

    public static func name(_ signal: Int32) -> String {
        signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
    }

    /// The conventional exit status of a process stopped by `signal`: 128 + its number.
    static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    public init(handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "repro.interruption")
        for s in Self.signals {
            signal(s, SIG_IGN)   // the dispatch source sees the signal; the default action must not
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { [self] in
                lock.lock(); let first = !fired; fired = true; lock.unlock()
                if first { handler(s) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Stops the handler from running from now on. Returns true when it has already run (it
    /// ends the process: the caller must not finish on its own, or the two race).
    public func disarm() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let alreadyFired = fired
        fired = true
        return alreadyFired
    }

    /// Restores the default actions (the run is over).
    func cancel() {
        for s in sources { s.cancel() }
        for s in Self.signals { signal(s, SIG_DFL) }
    }
}
