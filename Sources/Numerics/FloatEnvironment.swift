import CNumerics

/// Subnormal floats (|x| < 2^-126) cost 10–100× a normal operation on x86 and arm64 cores
/// that handle them in microcode. They appear where training drives values towards zero
/// (softmax probabilities of very negative logits, Adam moments of weights whose gradient
/// is zero), and in `protocols.json`'s raw-input CIFAR-100 runs they made the classifier's
/// epochs 5–10× slower. Flushing them changes a value only when it is below 2^-126, which
/// is far below what any accuracy or loss the tool reports can resolve.
///
/// The setting is per thread: `repro` sets it on its main thread before any work and on
/// every thread it starts (run workers, gradient shards, DMN build workers); OpenBLAS's own
/// pool threads start before `main` and keep the default.
public enum FloatEnvironment {
    /// Flush subnormal results to zero and read subnormal inputs as zero on this thread.
    @inline(__always) public static func flushSubnormals() { repro_flush_subnormals() }

    /// Whether this thread flushes subnormals (nil on a CPU family that is not handled).
    public static var flushesSubnormals: Bool? {
        switch repro_flushes_subnormals() {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }
}
