import Foundation
import Numerics

/// How many OpenBLAS threads each run gets when `jobs` runs share the machine.
public enum BLASThreads {
    public static func set(_ n: Int) { BLAS.setThreads(n) }
    public static var current: Int { BLAS.threads }

    /// threads × jobs ≤ cores. If the user set OPENBLAS_NUM_THREADS it is kept, with a warning
    /// when jobs × that exceeds the cores.
    public static func plan(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (threads: Int, fromEnvironment: Bool, warning: String?) {
        if let text = environment["OPENBLAS_NUM_THREADS"], let t = Int(text.trimmingCharacters(in: .whitespaces)), t >= 1 {
            let warning = t * jobs > cores
                ? "OPENBLAS_NUM_THREADS=\(t) with --jobs \(jobs) uses \(t * jobs) threads on \(cores) cores; runs will contend (lower one of them)"
                : nil
            return (t, true, warning)
        }
        let warning = jobs > cores ? "--jobs \(jobs) exceeds the \(cores) cores; runs will contend" : nil
        return (max(1, cores / max(1, jobs)), false, warning)
    }

    /// Applies the plan and returns the thread count in force.
    /// The count is what OpenBLAS reports once set: it caps OPENBLAS_NUM_THREADS at what it
    /// was built for (`OPENBLAS_NUM_THREADS=1000` gives the cores), and that is what runs use.
    @discardableResult
    public static func configure(jobs: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> (threads: Int, warning: String?) {
        let p = plan(jobs: jobs, cores: cores, environment: environment)
        guard p.fromEnvironment else { set(p.threads); return (current, p.warning) }
        let actual = current
        guard actual != p.threads else { return (actual, p.warning) }
        let note = "OPENBLAS_NUM_THREADS=\(p.threads): OpenBLAS uses \(actual) thread\(actual == 1 ? "" : "s")"
        let warning = actual * jobs > cores
            ? note + "; with --jobs \(jobs) that is \(actual * jobs) threads on \(cores) cores and runs will contend (lower one of them)"
            : note
        return (actual, warning)
    }
}
