import Numerics

/// Streamed second moments of one class's input vectors: ρ = (1/N) Σ h hᵀ and μ = (1/N) Σ h,
/// accumulated in Double from Float blocks.
struct ClassDensity: Sendable {
    let dimension: Int
    private(set) var count = 0
    /// Σ h hᵀ; only the upper triangle is accumulated (`densityMatrix` mirrors it).
    private(set) var sumOuter: [Double]
    private(set) var sum: [Double]

    init(dimension n: Int) {
        dimension = n
        sumOuter = [Double](repeating: 0, count: n * n)
        sum = [Double](repeating: 0, count: n)
    }

    /// Adds the rows of block[rows, n].
    mutating func add(block: UnsafePointer<Float>, rows: Int, scratch: UnsafeMutablePointer<Float>) {
        let n = dimension
        sumOuter.withUnsafeMutableBufferPointer { accumulateDensity(block: block, rows: rows, n: n, scratch: scratch, into: $0.baseAddress!) }
        sum.withUnsafeMutableBufferPointer { s in
            var colSums = [Double](repeating: 0, count: n)
            for r in 0..<rows {
                let h = block + r * n
                for j in 0..<n { colSums[j] += Double(h[j]) }
            }
            for j in 0..<n { s[j] += colSums[j] }
        }
        count += rows
    }

    /// Adds every k×k patch of images x[batch, H, W, C] directly (no im2col).
    mutating func addPatches(of x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, channels: Int, kernel k: Int) {
        sumOuter.withUnsafeMutableBufferPointer { rho in
            sum.withUnsafeMutableBufferPointer { s in
                accumulatePatchDensity(x, batch: batch, height: height, width: width, channels: channels, kernel: k,
                                       rho: rho.baseAddress!, sum: s.baseAddress!)
            }
        }
        count += batch * (height - k + 1) * (width - k + 1)
    }

    var mean: [Double] { sum.map { $0 / Double(max(1, count)) } }

    /// The full symmetric density matrix (1/N) Σ h hᵀ, or the covariance when `centred`.
    func densityMatrix(centred: Bool) -> [Double] {
        let n = dimension
        let inv = 1 / Double(max(1, count))
        var rho = [Double](repeating: 0, count: n * n)
        let mu = mean
        for i in 0..<n {
            for j in i..<n {
                var v = sumOuter[i * n + j] * inv
                if centred { v -= mu[i] * mu[j] }
                rho[i * n + j] = v
                rho[j * n + i] = v
            }
        }
        return rho
    }
}
