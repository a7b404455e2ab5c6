import Foundation
import Numerics

/// The thread layout of every run of a process, decided once from the cores, `--jobs` and
/// OPENBLAS_NUM_THREADS, before any run starts.
public enum ThreadPlan {
    /// Each run gets `threads` threads with threads × jobs ≤ cores: cores ÷ jobs, or
    /// OPENBLAS_NUM_THREADS when the user set it (capped at the cores, as OpenBLAS caps it; a
    /// warning when jobs × it exceeds the cores). The threads are the run's workers and each
    /// calls OpenBLAS single-threaded (`ThreadLayout.run(threads:)`): OPENBLAS_NUM_THREADS is
    /// kept as each run's thread budget, not as OpenBLAS's own count.
    static func plan(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (layout: ThreadLayout, fromEnvironment: Bool, warning: String?) {
        let cores = max(1, cores)
        if let text = environment["OPENBLAS_NUM_THREADS"], let t = Int(text.trimmingCharacters(in: .whitespaces)), t >= 1 {
            let threads = min(t, cores)
            var notes: [String] = []
            if t > cores { notes.append("OPENBLAS_NUM_THREADS=\(t) exceeds the \(cores) cores: each run uses \(threads) thread\(threads == 1 ? "" : "s")") }
            if threads * jobs > cores {
                notes.append("OPENBLAS_NUM_THREADS=\(threads) with --jobs \(jobs) uses \(threads * jobs) threads on \(cores) cores; runs will contend (lower one of them)")
            }
            return (.run(threads: threads), true, notes.isEmpty ? nil : notes.joined(separator: "; "))
        }
        let warning = jobs > cores ? "--jobs \(jobs) exceeds the \(cores) cores; runs will contend" : nil
        return (.run(threads: max(1, cores / max(1, jobs))), false, warning)
    }

    /// Plans the layout and sets OpenBLAS's process-wide count to it: once, before any run
    /// starts (runs executing at once must never see it change). Returns the layout.
    @discardableResult
    public static func configure(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                                 environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (layout: ThreadLayout, warning: String?) {
        let p = plan(jobs: jobs, cores: cores, environment: environment)
        if BLAS.threads != p.layout.blasThreads { BLAS.setThreads(p.layout.blasThreads) }
        // What OpenBLAS reports is what the runs use and record (it always takes a count of 1).
        return (ThreadLayout(workers: p.layout.workers, blasThreads: BLAS.threads), p.warning)
    }
}
