/// How one run spreads its arithmetic over threads. `repro run --jobs N` executes runs
/// concurrently in one process, and OpenBLAS's thread count is process-wide: so the layout is
/// decided once per process, the count is set to `blasThreads` before any run starts, and the
/// trainer and the DMN builder receive the layout and never change the count (they used to set
/// it to 1 around their parallel sections and restore it, and one run's restore changed the
/// threads of another run in the middle of its section).
///
/// The layout never changes a result: the gradient shards and the DMN's class groups are fixed
/// by the run, not by `workers` (docs/results-format.md, "What is bit-reproducible").
public struct ThreadLayout: Sendable, Hashable, CustomStringConvertible {
    /// Threads that work a run's parallel sections: the trainer's gradient shards (at most
    /// `TrainingConfig.gradientShards` of them are busy) and the DMN builder's class groups.
    public let workers: Int
    /// OpenBLAS threads of each BLAS call: the process-wide count, set once. 1 whenever
    /// `workers` > 1: OpenBLAS 0.3 serialises concurrent multi-threaded level-3 calls behind one
    /// lock, and workers × BLAS threads would exceed the run's share of the cores.
    public let blasThreads: Int

    public init(workers: Int, blasThreads: Int) {
        self.workers = max(1, workers); self.blasThreads = max(1, blasThreads)
    }

    /// One thread for everything: what a caller that does not say gets.
    public static let serial = ThreadLayout(workers: 1, blasThreads: 1)

    /// `threads` threads for one run: all of them workers, each calling OpenBLAS single-threaded.
    public static func run(threads: Int) -> ThreadLayout { ThreadLayout(workers: threads, blasThreads: 1) }

    public var description: String {
        "\(workers) worker thread\(workers == 1 ? "" : "s") × \(blasThreads) OpenBLAS thread\(blasThreads == 1 ? "" : "s")"
    }
}
