import CNumerics

/// Subnormal floats (|x| < 2^-126) cost 10–100× a normal operation on x86 and arm64 cores
/// that handle them in microcode. They appear where training drives values towards zero
/// (softmax probabilities of very negative logits, Adam moments of weights whose gradient
/// is zero), and in `protocols.json`'s raw-input CIFAR-100 runs they made the classifier's
/// epochs 5–10× slower. Flushing them changes a value only when it is below 2^-126, which
/// is far below what any accuracy or loss the tool reports can resolve.
///
/// The setting is per thread: `repro` sets it on its main thread before any work (threads
/// started later inherit it), and the gradient-shard and DMN-build workers, which run on
/// GCD's pool threads, run their work inside `withSubnormalsFlushed`. OpenBLAS's own pool
/// threads start before `main` and keep the default.
public enum FloatEnvironment {
    /// Flush subnormal results to zero and read subnormal inputs as zero on this thread.
    public static func flushSubnormals() { setFlushingSubnormals(true) }

    /// Runs `body` with subnormals flushed on this thread, then restores the thread's setting
    /// (a caller's thread that GCD lends to the work keeps what it had).
    @inline(__always) public static func withSubnormalsFlushed<T>(_ body: () throws -> T) rethrows -> T {
        let previous = repro_set_flush_subnormals(1)
        defer { if previous == 0 { repro_set_flush_subnormals(0) } }
        return try body()
    }

    /// Whether this thread flushes subnormals (nil on a CPU family that is not handled).
    static var flushesSubnormals: Bool? {
        switch repro_flushes_subnormals() {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }

    /// Sets this thread's mode; returns the previous one (nil on a CPU family not handled).
    @discardableResult static func setFlushingSubnormals(_ on: Bool) -> Bool? {
        switch repro_set_flush_subnormals(on ? 1 : 0) {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}
