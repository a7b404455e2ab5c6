import CNumerics

/// Instruction sets of the C kernels (Sources/CNumerics: the conv block's forward and weight
/// gradient, the DMN's lag products), widest last. Every version gives the same bits; the
/// kernels take one as a parameter so that tests can run each.
public enum VectorISA: Int32, CaseIterable, Comparable, Sendable {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// The widest this CPU runs that the kernels have a version for.
    public static let best = VectorISA(rawValue: repro_best_isa()) ?? .baseline

    public var name: String {
        switch self {
        case .baseline:
            #if arch(arm64)
            return "neon"
            #else
            return "sse2"
            #endif
        case .avx2: return "avx2"
        case .avx512: return "avx512f"
        }
    }
    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }
}
