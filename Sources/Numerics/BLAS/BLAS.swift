import CLinalg
import Foundation

/// Thin, row-major wrappers over OpenBLAS's CBLAS. Shapes are given as (rows, cols) of the
/// matrices as stored; `transA`/`transB` say whether to use their transposes.
public enum BLAS {
    /// Threads OpenBLAS uses: process-wide. `OPENBLAS_NUM_THREADS` is read by OpenBLAS itself
    /// at load time; `repro run` sets the count once, to its `ThreadLayout`, before any run starts.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Sets the process-wide count. Only before runs start: a run executing meanwhile would
    /// see its threads change (see `ThreadLayout`).
    public static func setThreads(_ n: Int) {
        writesLock.withLock { writes += 1 }
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// How many times `setThreads` was called in this process: a test runs concurrent runs and
    /// checks that none of them wrote the count.
    static var threadCountWriteCount: Int { writesLock.withLock { writes } }
    private static let writesLock = NSLock()
    // Guarded by writesLock (Synchronization's Mutex needs macOS 15; the package supports 13).
    nonisolated(unsafe) private static var writes = 0
}

/// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, all row-major.
/// A is stored m×k (or k×m when transA); B is stored k×n (or n×k when transB).
@inline(__always)
public func sgemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                  beta: Float = 0, _ c: UnsafeMutablePointer<Float>) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                beta, c, Int32(n))
}

/// C[n×n] (upper triangle) += alpha · Aᵀ·A for A stored rows×n row-major: the Gram matrix of
/// A's rows, which is how a density matrix Σ h hᵀ is accumulated from a block of vectors h.
@inline(__always)
func ssyrkGram(rows: Int, n: Int, alpha: Float = 1, _ a: UnsafePointer<Float>,
                      beta: Float = 1, _ c: UnsafeMutablePointer<Float>) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows), alpha, a, Int32(n), beta, c, Int32(n))
}
