/// ρ[n×n] (Double, upper triangle) += Σ_rows h hᵀ for the rows h of block[rows, n] (Float).
/// The block's Gram matrix is formed by ssyrk in Float into `scratch` (n×n) — each entry a sum
/// of at most `rows` products — and added to the Double accumulator, so the long sum over a
/// whole data set never runs in Float.
public func accumulateDensity(block: UnsafePointer<Float>, rows: Int, n: Int,
                              scratch: UnsafeMutablePointer<Float>, into rho: UnsafeMutablePointer<Double>) {
    guard rows > 0 else { return }
    ssyrkGram(rows: rows, n: n, block, beta: 0, scratch)
    for i in 0..<n { for j in i..<n { rho[i * n + j] += Double(scratch[i * n + j]) } }
}
